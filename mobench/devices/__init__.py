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

from dataclasses import dataclass
from typing import Any

from ..core.errors import DeviceError, UsageError, one_line
from ..core.registry import Registry, RegistryLoadError
from .base import Device, DeviceOption, DeviceProfiler, LocalDevice

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
    "DeviceOption",
    "DeviceProfiler",
    "DeviceStatus",
    "LocalDevice",
    "device_class",
    "device_options",
    "export_options",
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
    options: str = ""  # the declared options, e.g. "threads (int), graph_optimization (disable|basic|...)"


def device_class(name: str) -> type[Device]:
    """The backend class for ``name`` (imports its module now)."""
    try:
        return DEVICES.get(name)
    except RegistryLoadError as exc:
        raise DeviceError(str(exc)) from exc


def get_device(name: str, **options: Any) -> Device:
    """An instance of backend ``name`` with ``options`` (``None`` values mean "default").

    Unknown names raise ``UsageError``; options the backend does not declare, or bad
    values, raise ``DeviceError`` naming the ones it takes.
    """
    return device_class(name)(**{k: v for k, v in options.items() if v is not None})


def _parse(name: str, cls: type[Device], items: list[str], strict: bool) -> dict[str, Any]:
    declared = {o.name: o for o in cls.OPTIONS}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"--device-option takes KEY=VALUE, not {item!r}")
        opt = declared.get(key)
        if opt is None:
            if not strict:
                continue
            takes = ", ".join(declared) or "none"
            raise UsageError(f"device {name!r} has no option {key!r} (its options: {takes})")
        try:
            value = opt.parse(text)
        except ValueError as exc:
            raise UsageError(f"device option {key}={text.strip()!r} for {name!r}: {exc}") from None
        if key in out and out[key] != value:
            raise UsageError(f"--device-option {key} given twice ({out[key]!r} and {value!r})")
        out[key] = value
    return out


def parse_device_options(name: str, items: list[str] | None) -> dict[str, Any]:
    """``["threads=2", "graph_optimization=basic"]`` -> the options of backend ``name``, each parsed
    and checked by its declaration (``Device.OPTIONS``); bad input is a one-line UsageError."""
    if not items:
        return {}
    return _parse(name, device_class(name), list(items), strict=True)


def device_options(names: list[str], items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``--device-option`` items for several devices at once: each device gets the options it
    declares; an option that none of ``names`` declares is a UsageError."""
    items = list(items or [])
    out = {n: _parse(n, device_class(n), items, strict=len(names) == 1) for n in dict.fromkeys(names)}
    for item in items:
        key = item.partition("=")[0].strip().replace("-", "_")
        if not any(key in opts for opts in out.values()):
            takes = {n: [o.name for o in device_class(n).OPTIONS] for n in out}
            listing = "; ".join(f"{n}: {', '.join(t) or 'none'}" for n, t in takes.items())
            raise UsageError(f"no chosen device has an option {key!r} ({listing})")
    return out


def export_options(cls: type[Device], export_config: Any) -> dict[str, Any]:
    """The options a device without artifacts takes from an export config (``DeviceOption.from_export``:
    the fused form, resolution and checkpoint an exporter would use)."""
    if export_config is None:
        return {}
    return {o.name: getattr(export_config, o.from_export) for o in cls.OPTIONS if o.from_export}


def describe_options(cls: type[Device]) -> str:
    """``threads (int), graph_optimization (disable|basic|extended|all)``: what ``--device-option`` takes."""
    return ", ".join(f"{o.name} ({'|'.join(o.choices) if o.choices else o.type.__name__})" for o in cls.OPTIONS)


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
                name,
                bool(ok),
                "" if ok else (reason or "unavailable"),
                getattr(cls, "description", "") or desc,
                describe_options(cls),
            )
        )
    return out
