"""Per-op times of an ExecuTorch program from its event tracer (ETDump).

The ``.pte`` timed by the ``executorch`` device is loaded again through the
pybindings with ``enable_etdump=True``
(``executorch.extension.pybindings.portable_lib._load_for_executorch``), run
``warmup + runs`` times, and its ETDump written with
``write_etdump_result_to_file`` and read with ``executorch.devtools.Inspector``
(https://pytorch.org/executorch/main/etdump). The ``Execute`` event block holds,
per inference:

* ``Method::execute``: the whole inference (the profiled total);
* one ``DELEGATE_CALL`` per delegated subgraph, and inside it one event per
  XNNPACK operator (``Convolution (NHWC, F32) IGEMM #3``; the XNNPACK backend of
  the executorch wheel records its operators into the event tracer), which are the
  rows of the profile with the XNNPACK operator kind as op type;
* ``native_call_<op>.out`` per portable kernel run outside a delegate (rows with
  the ATen op as type; their ``OPERATOR_CALL`` wrappers are not counted twice).

The part of a delegate call not covered by its operators (XNNPACK's setup of the
call, input/output copies) is its own row, ``(delegate call outside its ops)``,
measured as call time minus the operators' sum, so every row is a measured time.
Without an ETRecord the ETDump carries no debug handles that map events to module
names, so XNNPACK rows have no network stage.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from ..core.errors import DeviceError, one_line
from ..core.profiles import OpTime, Profile

_EXECUTE = "Method::execute"
_DELEGATE = "DELEGATE_CALL"
_NATIVE = re.compile(r"^native_call_(.+?)(\.out)?$")
_OUTSIDE = "(delegate call outside its ops)"


def _op_kind(name: str) -> str:
    """``Convolution (NHWC, F32) IGEMM #3`` -> ``Convolution``; ``Fully Connected (NC, F32) GEMM #1`` ->
    ``Fully Connected``."""
    return re.split(r" \(|#", name, maxsplit=1)[0].strip() or name


def parse_events(events: list[Any], warmup: int) -> tuple[list[OpTime], list[float], dict[str, Any]]:
    """``(ops with mean ms per kept inference, kept Method::execute ms, counts)`` from the Inspector's
    ``Execute`` events (each with ``name``, ``is_delegated_op``, ``perf_data.raw`` in ms per run)."""
    totals: list[float] = []
    rows: dict[str, list[Any]] = {}  # name -> [op type, ms list]
    delegate_calls: list[list[float]] = []
    delegated_sum: list[float] | None = None
    for ev in events:
        raw = list(ev.perf_data.raw) if ev.perf_data is not None else []
        kept = raw[warmup:]
        if not kept:
            continue
        name = str(ev.name)
        if name == _EXECUTE:
            totals = kept
            continue
        if name == _DELEGATE:
            delegate_calls.append(kept)
            continue
        if getattr(ev, "is_delegated_op", False):
            op_type = _op_kind(name)
            delegated_sum = [a + b for a, b in zip(delegated_sum, kept, strict=False)] if delegated_sum else kept
        else:
            m = _NATIVE.match(name)
            if not m:
                continue  # OPERATOR_CALL wraps the native_call it times; other events are not ops
            op_type = m.group(1)
        key, k = name, 1
        while key in rows:  # a portable kernel that runs twice gets two rows
            k += 1
            key = f"{name} [{k}]"
        rows[key] = [op_type, kept]
    if not totals:
        raise DeviceError(f"the ETDump has no {_EXECUTE} event after {warmup} warm-up inference(s)")
    n = len(totals)
    ops = [OpTime(name=k, op_type=t, ms=sum(v) / len(v)) for k, (t, v) in rows.items()]
    call_ms = [sum(c[i] for c in delegate_calls if i < len(c)) for i in range(n)]
    if delegate_calls and delegated_sum:
        rest = sum(c - s for c, s in zip(call_ms, delegated_sum, strict=False)) / n
        ops.append(OpTime(name=_OUTSIDE, op_type=_OUTSIDE, ms=max(rest, 0.0)))
    counts = {
        "delegate_calls": len(delegate_calls),
        "delegated_op_events": sum(1 for ev in events if getattr(ev, "is_delegated_op", False)),
        "delegate_call_ms": sum(call_ms) / n,
    }
    return ops, totals, counts


def profile_executorch(
    device: Any,
    model: str,
    artifact: Any,
    config: Any,
    *,
    runs: int = 50,
    warmup: int = 3,
    median_ms: float | None = None,
) -> Profile:
    """Profile ``artifact`` (a ``.pte``) on the ``executorch`` device over ``runs`` inferences after ``warmup``."""
    import executorch.extension.pybindings.portable_lib as pl
    from executorch.devtools import Inspector

    from ..exporters.executorch import _quiet

    path = Path(artifact.path)
    if not path.is_file():
        raise DeviceError(f"ExecuTorch program {path} is missing; re-export it with --force")
    threads = device._set_threads()
    inputs = device.make_input(None, artifact, config)
    try:
        module = pl._load_for_executorch(str(path), enable_etdump=True)
    except Exception as exc:
        raise DeviceError(f"ExecuTorch cannot load {path} with its event tracer ({one_line(exc)})") from None
    for _ in range(warmup + runs):
        module.forward(inputs)
    if not module.has_etdump():
        raise DeviceError("the ExecuTorch runtime wrote no ETDump (this executorch build has no event tracer)")
    with tempfile.TemporaryDirectory(prefix="mobench-etdump-") as tmp:
        dump = Path(tmp) / "run.etdp"
        module.write_etdump_result_to_file(str(dump))
        with _quiet():
            inspector = Inspector(etdump_path=str(dump))
    blocks = [b for b in inspector.event_blocks if b.name == "Execute"]
    if not blocks:
        raise DeviceError("the ETDump has no Execute event block")
    ops, totals, counts = parse_events(blocks[0].events, warmup)
    man = getattr(artifact, "manifest", None) or {}
    delegate = (man.get("exporter") or {}).get("delegate")
    return Profile(
        model=model,
        device=device.name,
        source="executorch-etdump",
        ops=ops,
        runs=len(totals),
        profiled_total_ms=sum(totals) / len(totals),
        extra={
            "executorch_version": (man.get("exporter") or {}).get("executorch_version"),
            "delegate": delegate,
            "threadpool_threads": threads,
            "warmup": warmup,
            **counts,
            "note": (
                "XNNPACK operator events from ETDump inside the delegate call; the call's time outside "
                "its operators is its own row; no module names (no ETRecord)"
            ),
        },
    )
