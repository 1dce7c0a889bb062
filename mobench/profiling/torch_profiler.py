"""Per-module times of eager PyTorch from ``torch.profiler``.

Every leaf module's forward is wrapped in a ``torch.profiler.record_function``
range named by its module path (through forward hooks), so the profiler's
averages give the CPU time of each conv, BN, activation ... per inference; the
op type is the module's class. Work outside leaf modules (residual adds, reshapes
in ``forward``) is one more row, ``(outside modules)``, the rest of each
inference's ``mobench.inference`` range, so the rows add up to the profiled total.
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
        if not path or any(True for _ in mod.children()):
            continue
        label = f"{_PREFIX}{path}::{type(mod).__name__}"

        def pre(m, args, _label=label):
            m._mobench_rf = torch.profiler.record_function(_label)
            m._mobench_rf.__enter__()

        def post(m, args, out):
            m._mobench_rf.__exit__(None, None, None)

        handles.append(mod.register_forward_pre_hook(pre))
        handles.append(mod.register_forward_hook(post))
    return handles


def profile_torch(device: Any, model: str, config: Any, *, runs: int = 30, warmup: int = 3) -> Profile:
    """Profile ``model`` on the ``torch`` device ``device`` over ``runs`` inferences after ``warmup``."""
    import torch
    from torch.profiler import ProfilerActivity, profile, record_function

    net = device.load(model, None)
    x = device.make_input(net, None, config)
    handles = _instrument(net)
    try:
        with torch.inference_mode():
            for _ in range(warmup):
                net(x)
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(runs):
                    with record_function(_RUN):
                        net(x)
    finally:
        for h in handles:
            h.remove()
    ops: list[OpTime] = []
    total_us = 0.0
    for ev in prof.key_averages():
        if ev.key == _RUN:
            total_us = ev.cpu_time_total
        elif ev.key.startswith(_PREFIX):
            path, cls = ev.key[len(_PREFIX):].rsplit("::", 1)
            ops.append(OpTime(name=path, op_type=cls, ms=ev.cpu_time_total / runs / 1000.0, stage=stage_of(path),
                              calls=max(1, round(ev.count / runs))))
    total_ms = total_us / runs / 1000.0
    rest = total_ms - sum(o.ms for o in ops)
    if rest > 0:
        ops.append(OpTime(name="(outside modules)", op_type="(outside modules)", ms=rest))
    return Profile(model=model, device=device.name, source="torch-profiler", ops=ops, runs=runs,
                   profiled_total_ms=total_ms, unfused=not device.fuse,
                   extra={"torch_version": torch.__version__, "threads": device.threads, "warmup": warmup,
                          "note": "module times are inclusive CPU times of leaf modules"})
