"""Per-module times of eager PyTorch from ``torch.profiler``.

Every module's forward is wrapped in a ``torch.profiler.record_function`` range
named by its module path (through forward hooks). Each ATen op the profiler
records is charged, with its inclusive CPU time, to the innermost module range
around it: a conv to its ``Conv2d``, the pooling, gating and max of a dynamic
activation to the activation module itself (its FC layers to their ``Linear``),
the branch sums of a MobileOne block to the block. Ops of the top-level model's
own ``forward`` (flatten, residual adds) are the row ``(model forward)``. Python,
hook and profiler overhead between ops is charged to no op, so the coverage
(op sum over the ``mobench.inference`` range) says how much of the profiled time
is kernel work.
"""

from __future__ import annotations

from typing import Any

from ..core.profiles import OpTime, Profile, stage_of

_RUN = "mobench.inference"
_PREFIX = "module::"


def _instrument(model) -> list[Any]:
    import torch

    handles = []
    for path, mod in model.named_modules():
        if not path:
            continue
        label = f"{_PREFIX}{path}::{type(mod).__name__}"

        def pre(m, args, _label=label):
            rf = torch.profiler.record_function(_label)
            rf.__enter__()
            m.__dict__.setdefault("_mobench_rf", []).append(rf)

        def post(m, args, out):
            m.__dict__["_mobench_rf"].pop().__exit__(None, None, None)

        handles.append(mod.register_forward_pre_hook(pre))
        handles.append(mod.register_forward_hook(post))
    return handles


def profile_torch(
    device: Any,
    model: str,
    artifact: Any,
    config: Any,
    *,
    runs: int = 30,
    warmup: int = 3,
    median_ms: float | None = None,
) -> Profile:
    """Profile ``model`` on the ``torch`` device ``device`` over ``runs`` inferences after ``warmup``."""
    import torch
    from torch.profiler import ProfilerActivity, profile, record_function

    handle = device.load(model, None)
    predict = device.bind(handle, device.make_input(handle, None, config))  # every input of the model
    handles = _instrument(handle.module)
    try:
        with torch.inference_mode():
            for _ in range(warmup):
                predict()
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(runs):
                    with record_function(_RUN):
                        predict()
    finally:
        for h in handles:
            h.remove()
    acc: dict[str, list] = {}  # module path -> [class, us, calls]
    total_us = 0.0
    for ev in prof.events() or []:
        name = ev.name
        if name == _RUN:
            total_us += ev.cpu_time_total
            continue
        if name.startswith(_PREFIX):
            continue
        parent = ev.cpu_parent
        if parent is None or not (parent.name == _RUN or parent.name.startswith(_PREFIX)):
            continue  # nested inside another op (counted in its inclusive time), or outside a run
        if parent.name == _RUN:
            path, cls = "(model forward)", "(model forward)"
        else:
            path, cls = parent.name[len(_PREFIX) :].rsplit("::", 1)
        slot = acc.setdefault(path, [cls, 0.0, 0])
        slot[1] += ev.cpu_time_total
        slot[2] += 1
    ops = [
        OpTime(
            name=path,
            op_type=cls,
            ms=us / runs / 1000.0,
            stage=stage_of(path) if cls != path else "",
            calls=max(1, round(n / runs)),
        )
        for path, (cls, us, n) in acc.items()
    ]
    total_ms = total_us / runs / 1000.0
    return Profile(
        model=model,
        device=device.name,
        source="torch-profiler",
        ops=ops,
        runs=runs,
        profiled_total_ms=total_ms,
        unfused=not device.fuse,
        extra={
            "torch_version": torch.__version__,
            "threads": device.threads,
            "warmup": warmup,
            "note": "ATen op CPU time charged to the innermost module",
        },
    )
