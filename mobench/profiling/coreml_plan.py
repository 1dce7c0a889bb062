"""Per-op estimates from Core ML's compute plan (iOS 17.4 / macOS 14.4 and later).

``MLComputePlan`` gives, for every ML Program operation, the preferred compute
device and an estimated cost: a relative weight, the op's estimated share of
the whole prediction. Core ML gives no measured per-op time; like coremltools'
``MLModelBenchmarker.benchmark_operation_execution`` (``sample * cost.weight``),
an op's time is estimated as its weight times the measured median prediction
time (:func:`costs_to_ms`). Ops without a cost (constants) are left out.

Two sources of costs:

* ``iphone``: the harness report's per-run ``compute_plan`` section, which the
  host ingest keeps in the run's ``extra``; its ``ops`` list holds one entry per
  operation: ``{"name", "operator", "preferred_device", "supported_devices",
  "estimated_cost"}`` (:func:`profile_from_report_run`).
* ``coreml`` on a Mac: coremltools' ``MLComputePlan`` on the compiled model
  (:func:`compute_plan_ops`), behind a platform check: on other systems Core ML
  does not exist and this raises a one-line :class:`DeviceError`.
"""

from __future__ import annotations

import platform
import sys
from typing import Any

from ..core.errors import DeviceError
from ..core.profiles import OpTime, Profile, stage_of

#: compute-device class names of coremltools / Core ML -> the report's device names
_DEVICE_NAMES = {
    "MLCPUComputeDevice": "cpu",
    "MLGPUComputeDevice": "gpu",
    "MLNeuralEngineComputeDevice": "neural_engine",
}


def costs_to_ms(ops: list[dict[str, Any]], median_ms: float) -> list[OpTime]:
    """Op entries with an ``estimated_cost`` weight -> :class:`OpTime` of ``weight * median_ms``."""
    if not median_ms or median_ms <= 0:
        raise DeviceError("cannot turn compute-plan costs into milliseconds without a measured median")
    out = []
    for op in ops:
        w = op.get("estimated_cost")
        if w is None:
            continue
        w = float(w)
        if not 0.0 <= w <= 1.0 + 1e-6:
            raise DeviceError(f"compute-plan cost {w} of op {op.get('name')!r} is not a weight in [0, 1]")
        name = str(op.get("name") or op.get("operator") or "?")
        operator = str(op.get("operator") or "?")
        out.append(
            OpTime(
                name=name,
                op_type=operator.split(".")[-1],
                ms=w * median_ms,
                stage=stage_of(name),
                device=op.get("preferred_device"),
                cost=w,
            )
        )
    return out


def profile_from_report_run(record: Any, median_ms: float | None = None) -> Profile:
    """The compute-plan profile of a stored remote-harness run, from ``record.extra["compute_plan"]``.

    Runs of the harness's known-cost engine carry a synthetic plan; their profile's source
    says so (``known-cost-synthetic-plan``)."""
    plan = (record.extra or {}).get("compute_plan")
    where = f"run {record.run_id or '?'} of {record.model} on {record.device}"
    if not plan:
        raise DeviceError(f"{where} has no compute_plan section; run it with a harness that reports the compute plan")
    if not plan.get("available"):
        raise DeviceError(f"{where}: compute plan unavailable ({plan.get('reason') or 'needs iOS 17.4 / macOS 14.4+'})")
    ops = plan.get("ops")
    if not ops:
        raise DeviceError(f"{where}: its compute_plan has no per-op costs (ops); the harness must report them")
    if median_ms is None:
        import statistics

        samples = [s for rnd in record.samples_ms for s in rnd]
        if not samples:
            raise DeviceError(f"{where} has no samples to scale the costs with")
        median_ms = statistics.median(samples)
    op_times = costs_to_ms(ops, median_ms)
    if not op_times:
        raise DeviceError(f"{where}: no op of its compute plan has an estimated cost")
    engine = (record.device_info or {}).get("engine") or (record.extra or {}).get("engine")
    source = "known-cost-synthetic-plan" if engine == "known-cost" else "coreml-compute-plan"
    return Profile(
        model=record.model,
        device=record.device,
        source=source,
        ops=op_times,
        runs=record.n_samples,
        profiled_total_ms=median_ms,
        unprofiled_median_ms=median_ms,
        unfused=record.reparameterized is False,
        estimated=True,
        run_id=record.run_id,
        extra={
            "ops_by_device": plan.get("ops_by_device"),
            "compute_units": (record.device_info or {}).get("compute_units"),
            "note": "op times = compute-plan cost weight x measured median (MLModelBenchmarker)",
        },
    )


def profile_coreml(
    device: Any, model: str, artifact: Any, config: Any, *, runs: int | None = None, median_ms: float | None = None
) -> Profile:
    """The compute-plan profile of a Core ML ``artifact`` on this Mac: estimated cost per op x ``median_ms``
    (the median of an ordinary run, timed just before)."""
    ops = compute_plan_ops(str(artifact.path), getattr(device, "compute_units", "all") or "all")
    if median_ms is None:
        raise DeviceError("the coreml profile needs the measured median of a run")
    return Profile(
        model=model,
        device=device.name,
        source="coreml-compute-plan",
        ops=costs_to_ms(ops, median_ms),
        runs=0,
        profiled_total_ms=median_ms,
        unprofiled_median_ms=median_ms,
        estimated=True,
    )


def compute_plan_supported() -> tuple[bool, str]:
    """Whether ``MLComputePlan`` can run here (macOS 14.4+ with coremltools)."""
    if sys.platform != "darwin":
        return False, f"Core ML's compute plan needs macOS 14.4+ (this is {platform.system()})"
    ver = tuple(int(p) for p in (platform.mac_ver()[0] or "0").split(".")[:2] if p.isdigit())
    if ver < (14, 4):
        return False, f"Core ML's compute plan needs macOS 14.4+, this is {platform.mac_ver()[0]}"
    try:
        from coremltools.models.compute_plan import MLComputePlan  # noqa: F401
    except ImportError as exc:
        return False, f"coremltools has no MLComputePlan ({exc}); pip install 'coremltools>=8'"
    return True, ""


def _walk(block):
    for op in block.operations:
        yield op
        for inner in op.blocks:
            yield from _walk(inner)


def compute_plan_ops(mlpackage: str, compute_units: str = "all") -> list[dict[str, Any]]:
    """One entry per ML Program op of ``mlpackage`` from ``MLComputePlan`` (macOS 14.4+ only)."""
    ok, reason = compute_plan_supported()
    if not ok:
        raise DeviceError(reason)
    import coremltools as ct
    from coremltools.models.compute_plan import MLComputePlan

    units = {
        "all": ct.ComputeUnit.ALL,
        "cpu": ct.ComputeUnit.CPU_ONLY,
        "gpu": ct.ComputeUnit.CPU_AND_GPU,
        "ane": ct.ComputeUnit.CPU_AND_NE,
    }[compute_units]
    compiled = ct.models.MLModel(str(mlpackage), compute_units=units).get_compiled_model_path()
    plan = MLComputePlan.load_from_path(path=compiled, compute_units=units)
    program = plan.model_structure.program
    if program is None:
        raise DeviceError(f"{mlpackage} is not an ML Program; the compute plan gives costs for ML Programs only")
    out = []
    for op in _walk(program.functions["main"].block):
        if op.operator_name == "const":
            continue
        usage = plan.get_compute_device_usage_for_mlprogram_operation(op)
        cost = plan.get_estimated_cost_for_mlprogram_operation(op)
        pref = type(usage.preferred_compute_device).__name__ if usage is not None else None
        out.append(
            {
                "name": op.outputs[0].name if op.outputs else op.operator_name,
                "operator": op.operator_name,
                "preferred_device": _DEVICE_NAMES.get(pref or "", pref),
                "supported_devices": [
                    _DEVICE_NAMES.get(type(d).__name__, type(d).__name__)
                    for d in (usage.supported_compute_devices if usage is not None else [])
                ],
                "estimated_cost": None if cost is None else float(cost.weight),
            }
        )
    return out
