"""Device backends, looked up by name and imported lazily.

Public API::

    get_device(name, **options) -> Device      # DeviceError if unknown / bad options
    list_devices() -> list[DeviceStatus]       # every backend, usable here or why not

Backends: ``cpu`` (ONNX Runtime CPU, the default), ``torch`` (eager PyTorch),
``coreml`` (Core ML on a Mac), ``iphone`` (tethered iPhone). Each lives in its
own module and is imported only when asked for, so ``mobench --help`` never
imports onnxruntime or coremltools; a backend whose module cannot be imported
is listed as unavailable with the import error as the reason.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from ..errors import DeviceError, UsageError
from .base import Device, LocalDevice

# name -> ("module:Class", one-line description shown when the module is missing)
BACKENDS: dict[str, tuple[str, str]] = {
    "cpu": ("mobench.devices.cpu:OrtCpuDevice", "ONNX Runtime, CPU execution provider (the default)"),
    "torch": ("mobench.devices.torch_cpu:TorchCpuDevice", "eager PyTorch on the CPU"),
    "coreml": ("mobench.devices.coreml:CoreMLDevice", "Core ML on this Mac via coremltools"),
    "iphone": ("mobench.devices.iphone:IPhoneDevice", "a tethered iPhone running the mobench harness app"),
}

__all__ = ["BACKENDS", "Device", "DeviceStatus", "LocalDevice", "device_class", "get_device", "list_devices"]


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    available: bool
    reason: str
    description: str


def device_class(name: str) -> type[Device]:
    """The backend class for ``name`` (imports its module now)."""
    if name not in BACKENDS:
        close = difflib.get_close_matches(name, list(BACKENDS), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown device {name!r}{hint} (devices: {', '.join(BACKENDS)}; see `mobench devices`)")
    target, _ = BACKENDS[name]
    mod_name, _, cls_name = target.partition(":")
    try:
        module = importlib.import_module(mod_name)
        return getattr(module, cls_name)
    except (ImportError, AttributeError) as exc:
        raise DeviceError(f"device {name!r} cannot be loaded: {type(exc).__name__}: {exc}") from None


def get_device(name: str, **options: Any) -> Device:
    """An instance of backend ``name`` with ``options`` (``None`` values mean "default").

    Unknown names raise ``UsageError``; options the backend does not take raise
    ``DeviceError`` naming the ones it does.
    """
    cls = device_class(name)
    opts = {k: v for k, v in options.items() if v is not None}
    params = {} if cls.__init__ is Device.__init__ else inspect.signature(cls.__init__).parameters
    takes_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    accepted = [k for k, p in params.items()
                if k != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    unknown = sorted(set(opts) - set(accepted))
    if unknown and not takes_kw:
        raise DeviceError(
            f"device {name!r} does not take option(s) {', '.join(unknown)}"
            + (f" (it takes: {', '.join(accepted)})" if accepted else " (it takes none)")
        )
    return cls(**opts)


def list_devices() -> list[DeviceStatus]:
    """Every backend, whether it is usable here and why not."""
    out = []
    for name, (_, desc) in BACKENDS.items():
        try:
            cls = device_class(name)
        except (DeviceError, UsageError) as exc:
            out.append(DeviceStatus(name, False, str(exc), desc))
            continue
        try:
            ok, reason = cls.available()
        except Exception as exc:  # a backend's probe must not break the listing
            ok, reason = False, f"availability check failed: {type(exc).__name__}: {exc}"
        out.append(DeviceStatus(name, bool(ok), "" if ok else (reason or "unavailable"), getattr(cls, "description", "") or desc))
    return out

