"""Per-op profiles: where the time of one inference goes, per device.

Public API::

    PROFILE_DEVICES                         # devices that can profile, with how
    check_profile_device(name)              # one-line DeviceError if it cannot
    profile_artifact(device, model, artifact, config, runs=...) -> Profile

* ``cpu``: ONNX Runtime's profiler, kernel time per node (:mod:`.onnxruntime`).
* ``torch``: ``torch.profiler`` with one range per leaf module (:mod:`.torch_profiler`).
* ``executorch``: ExecuTorch's event tracer (ETDump), time per XNNPACK operator inside
  the delegate call (:mod:`.executorch_profiler`).
* ``coreml`` (macOS 14.4+) and ``iphone``: Core ML's compute plan, estimated cost per
  op scaled by the measured median (:mod:`.coreml_plan`). ``harness-known-cost``: the
  same path over the synthetic plan of the Swift harness's known-cost engine.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import DeviceError
from ..core.profiles import Profile

PROFILE_DEVICES: dict[str, str] = {
    "cpu": "ONNX Runtime profiler (kernel time per node)",
    "torch": "torch.profiler (CPU time per leaf module)",
    "executorch": "ExecuTorch event tracer (ETDump: time per XNNPACK operator)",
    "coreml": "Core ML compute plan (estimated cost per op x measured median; macOS 14.4+)",
    "iphone": "Core ML compute plan from the harness report (iOS 17.4+)",
    "harness-known-cost": "synthetic compute plan of the Swift harness's known-cost engine (checks the stored-run path)",
}


#: devices that exist in the ecosystem but cannot be profiled by this mobench, with why
_NOT_PROFILABLE: dict[str, str] = {}

__all__ = ["PROFILE_DEVICES", "check_profile_device", "profile_artifact"]


def check_profile_device(name: str) -> None:
    """Raise a one-line :class:`DeviceError` unless ``name`` is a device that can profile."""
    if name in PROFILE_DEVICES:
        return
    why = _NOT_PROFILABLE.get(name)
    if why:
        raise DeviceError(f"cannot profile on {name!r}: {why}")
    raise DeviceError(f"cannot profile on {name!r}: profiles come from {', '.join(PROFILE_DEVICES)}")


def profile_artifact(
    device: Any, model: str, artifact: Any, config: Any, *, runs: int | None = None, median_ms: float | None = None
) -> Profile:
    """Profile ``model`` on a local ``device`` instance (``artifact`` for cpu/coreml)."""
    name = device.name
    if name == "cpu":
        from .onnxruntime import profile_onnx

        return profile_onnx(device, model, artifact, config, runs=runs or 100)
    if name == "torch":
        from .torch_profiler import profile_torch

        return profile_torch(device, model, config, runs=runs or 30)
    if name == "executorch":
        from .executorch_profiler import profile_executorch

        return profile_executorch(device, model, artifact, config, runs=runs or 50)
    if name == "coreml":
        from .coreml_plan import compute_plan_ops, costs_to_ms

        ops = compute_plan_ops(str(artifact.path), getattr(device, "compute_units", "all") or "all")
        if median_ms is None:
            raise DeviceError("the coreml profile needs the measured median of a run")
        return Profile(
            model=model,
            device=name,
            source="coreml-compute-plan",
            ops=costs_to_ms(ops, median_ms),
            runs=0,
            profiled_total_ms=median_ms,
            unprofiled_median_ms=median_ms,
            estimated=True,
        )
    check_profile_device(name)
    raise DeviceError(f"device {name!r} is profiled from stored runs, not locally")
