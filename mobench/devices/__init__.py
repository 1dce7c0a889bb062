"""Device backends, looked up by name and imported lazily.

Public API::

    get_device(name, **options) -> Device      # DeviceError if unknown / bad options
    list_devices() -> list[DeviceStatus]       # every backend, usable here or why not

Backends: ``cpu`` (ONNX Runtime CPU, the default), ``torch`` (eager PyTorch),
``executorch`` (ExecuTorch .pte programs, XNNPACK, on this CPU),
``coreml`` (Core ML on a Mac), ``iphone`` (tethered iPhone). Each lives in its
own module and is imported only when asked for, so ``mobench --help`` never
imports onnxruntime or coremltools; a backend whose module cannot be imported
is listed as unavailable with the import error as the reason.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from ..core.errors import DeviceError, UsageError, one_line
from ..core.registry import Registry, RegistryLoadError
from .base import Device, LocalDevice

#: name -> "module:Class"; ``description`` is shown when the module cannot be imported.
#: Other distributions add devices through the ``mobench.devices`` entry-point group.
DEVICES: Registry[type[Device]] = Registry("device", group="mobench.devices", hint="see `mobench devices`")
DEVICES.register(
    "cpu", "mobench.devices.cpu:OrtCpuDevice", description="ONNX Runtime, CPU execution provider (the default)"
)
DEVICES.register("torch", "mobench.devices.torch_cpu:TorchCpuDevice", description="eager PyTorch on the CPU")
DEVICES.register(
    "executorch",
    "mobench.devices.executorch:ExecuTorchDevice",
    description="ExecuTorch runtime (.pte, XNNPACK) on this CPU",
)
DEVICES.register("coreml", "mobench.devices.coreml:CoreMLDevice", description="Core ML on this Mac via coremltools")
DEVICES.register(
    "iphone", "mobench.devices.iphone:IPhoneDevice", description="a tethered iPhone running the mobench harness app"
)

__all__ = [
    "DEVICES",
    "Device",
    "DeviceStatus",
    "LocalDevice",
    "device_class",
    "get_device",
    "list_devices",
    "parse_device_options",
]


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    available: bool
    reason: str
    description: str


def device_class(name: str) -> type[Device]:
    """The backend class for ``name`` (imports its module now)."""
    try:
        return DEVICES.get(name)
    except RegistryLoadError as exc:
        raise DeviceError(str(exc)) from exc


def get_device(name: str, **options: Any) -> Device:
    """An instance of backend ``name`` with ``options`` (``None`` values mean "default").

    Unknown names raise ``UsageError``; options the backend does not take raise
    ``DeviceError`` naming the ones it does.
    """
    cls = device_class(name)
    opts = {k: v for k, v in options.items() if v is not None}
    params = {} if cls.__init__ is Device.__init__ else inspect.signature(cls.__init__).parameters
    takes_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    accepted = [k for k, p in params.items() if k != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    unknown = sorted(set(opts) - set(accepted))
    if unknown and not takes_kw:
        raise DeviceError(
            f"device {name!r} does not take option(s) {', '.join(unknown)}"
            + (f" (it takes: {', '.join(accepted)})" if accepted else " (it takes none)")
        )
    return cls(**opts)


def parse_device_options(name: str, items: list[str] | None) -> dict[str, Any]:
    """``["threads=2", "graph_optimization=basic"]`` -> constructor options of backend ``name``,
    each checked against what the backend declares (``Device.OPTIONS``); bad input is a UsageError."""
    if not items:
        return {}
    cls = device_class(name)
    declared = getattr(cls, "OPTIONS", {}) or {}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"--device-option takes KEY=VALUE, not {item!r}")
        opt = declared.get(key)
        if opt is None:
            takes = ", ".join(sorted(declared)) or "none"
            raise UsageError(f"device {name!r} has no option {key!r} (its options: {takes})")
        text = text.strip()
        if opt.choices and text not in opt.choices:
            raise UsageError(f"device option {key}={text!r} for {name!r}: choose one of {', '.join(opt.choices)}")
        try:
            value = opt.parse(text)
        except ValueError as exc:
            raise UsageError(f"device option {key}={text!r} for {name!r}: {exc}") from None
        if opt.param in out:
            raise UsageError(f"--device-option {key} given twice")
        out[opt.param] = value
    return out


def list_devices() -> list[DeviceStatus]:
    """Every backend, whether it is usable here and why not."""
    out = []
    for name in DEVICES.names():
        desc = DEVICES.meta(name).get("description", "")
        try:
            cls = device_class(name)
        except (DeviceError, UsageError) as exc:
            out.append(DeviceStatus(name, False, str(exc), desc))
            continue
        try:
            ok, reason = cls.available()
        except Exception as exc:  # a backend's probe must not break the listing
            ok, reason = False, f"availability check failed: {one_line(exc)}"
        out.append(
            DeviceStatus(
                name, bool(ok), "" if ok else (reason or "unavailable"), getattr(cls, "description", "") or desc
            )
        )
    return out
