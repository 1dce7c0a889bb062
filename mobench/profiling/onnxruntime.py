"""Per-node kernel times from ONNX Runtime's own profiler.

ONNX Runtime writes a Chrome-trace JSON when ``SessionOptions.enable_profiling`` is
set (https://onnxruntime.ai/docs/performance/tune-performance/profiling-tools.html):
one ``Session``/``model_run`` event per inference and one ``Node`` event
``<node>_kernel_time`` per kernel execution, with ``args.op_name`` (the op type
after graph optimization, e.g. ``FusedConv``) and ``dur`` in microseconds. The
session is built with the ``cpu`` device's own options (threads, sequential
execution, graph optimization level), so the graph profiled is the graph timed.
The first ``warmup`` inferences are dropped; each kernel event is assigned to the
inference whose ``model_run`` span contains it.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..core.errors import DeviceError
from ..core.profiles import OpTime, Profile, stage_of


def parse_trace(events: list[dict[str, Any]], warmup: int = 0) -> tuple[list[OpTime], list[float]]:
    """``(ops with mean ms per kept inference, kept model_run ms)`` from an ONNX Runtime trace."""
    runs = sorted(
        (e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"), key=lambda e: e["ts"]
    )
    kept = runs[warmup:]
    if not kept:
        raise DeviceError(f"the ONNX Runtime profile has {len(runs)} inference(s), none after {warmup} warm-up")
    starts = [e["ts"] for e in kept]
    per_node: dict[str, dict[str, Any]] = {}
    calls: dict[str, int] = defaultdict(int)
    for e in events:
        if e.get("cat") != "Node" or not str(e.get("name", "")).endswith("_kernel_time"):
            continue
        i = bisect.bisect_right(starts, e["ts"]) - 1
        if i < 0 or e["ts"] > kept[i]["ts"] + kept[i]["dur"]:
            continue  # a warm-up inference's kernel
        node = e["name"][: -len("_kernel_time")]
        slot = per_node.setdefault(node, {"us": 0.0, "op": (e.get("args") or {}).get("op_name", "?")})
        slot["us"] += float(e["dur"])
        calls[node] += 1
    n = len(kept)
    ops = [
        OpTime(
            name=node,
            op_type=v["op"],
            ms=v["us"] / n / 1000.0,
            stage=stage_of(node),
            calls=max(1, round(calls[node] / n)),
        )
        for node, v in per_node.items()
    ]
    return ops, [e["dur"] / 1000.0 for e in kept]


def profile_onnx(
    device: Any,
    model: str,
    artifact: Any,
    config: Any,
    *,
    runs: int = 100,
    warmup: int = 5,
    median_ms: float | None = None,
) -> Profile:
    """Profile ``artifact`` on the ``cpu`` device ``device`` over ``runs`` inferences after ``warmup``."""
    import onnxruntime as ort

    so = device.session_options()
    with tempfile.TemporaryDirectory(prefix="mobench-ortprof-") as tmp:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tmp, "ort")
        try:
            sess = ort.InferenceSession(str(artifact.path), so, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own exception types
            raise DeviceError(
                f"ONNX Runtime cannot load {artifact.path} for profiling ({str(exc).splitlines()[0]})"
            ) from None
        feed = device.make_input(sess, artifact, config)
        for _ in range(warmup + runs):
            sess.run(None, feed)
        trace = Path(sess.end_profiling())
        events = json.loads(trace.read_text())
    ops, totals = parse_trace(events, warmup)
    return Profile(
        model=model,
        device=device.name,
        source="onnxruntime-profiler",
        ops=ops,
        runs=len(totals),
        profiled_total_ms=sum(totals) / len(totals),
        extra={
            "ort_version": ort.__version__,
            "graph_optimization": device.graph_optimization,
            "threads": device.threads,
            "warmup": warmup,
        },
    )
