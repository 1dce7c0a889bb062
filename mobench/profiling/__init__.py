"""Per-op profiles: where the time of one inference goes, per device.

Public API::

    profile_artifact(device, model, artifact, config, runs=..., median_ms=...) -> Profile

Each device says how it profiles (``Device.profiler()``, a
:class:`~mobench.devices.base.DeviceProfiler` naming one of these modules' functions):

* :mod:`.onnxruntime`: ONNX Runtime's profiler, kernel time per node.
* :mod:`.torch_profiler`: ``torch.profiler`` with one range per leaf module.
* :mod:`.executorch_profiler`: ExecuTorch's event tracer (ETDump), time per XNNPACK
  operator inside the delegate call.
* :mod:`.coreml_plan`: Core ML's compute plan, estimated cost per op scaled by the
  measured median (a Mac, or a phone's stored harness report).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import DeviceError
from ..core.profiles import Profile
from ..core.registry import import_target

__all__ = ["profile_artifact"]


def profile_artifact(
    device: Any, model: str, artifact: Any, config: Any, *, runs: int | None = None, median_ms: float | None = None
) -> Profile:
    """Profile ``model`` on a local ``device`` instance with the profiler the device names."""
    spec = device.profiler()
    if spec is None:
        raise DeviceError(f"device {device.name!r} cannot profile op by op")
    if spec.function is None:
        raise DeviceError(f"device {device.name!r} is profiled from stored runs, not locally")
    profile = import_target(spec.function)
    return profile(device, model, artifact, config, runs=runs or spec.default_runs or 30, median_ms=median_ms)
