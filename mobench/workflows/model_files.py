"""Which devices run a model file (``--model m.onnx``, ``.mlpackage``, ``.pte``), checked before a sweep starts."""

from __future__ import annotations

from ..core.errors import UsageError
from ..devices import DEVICES, device_class
from ..models.chosen_inputs import inputs_of
from ..models.user import lookup


def devices_for_format(fmt: str) -> list[str]:
    """Registered devices whose ``artifact_format`` is ``fmt`` (devices that cannot be imported are skipped)."""
    out = []
    for name in DEVICES.names():
        try:
            if getattr(device_class(name), "artifact_format", None) == fmt:
                out.append(name)
        except Exception:  # a backend that cannot be imported here
            continue
    return out


def check_device(key: str, device) -> None:
    """UsageError unless ``device`` runs the format of model file ``key`` and every input dim is fixed
    (by the file, by ``--input`` / ``--input-data``, or a free batch set to 1)."""
    um = lookup(key)
    if getattr(device, "artifact_format", None) != um.format:
        runs = devices_for_format(um.format or "")
        raise UsageError(
            f"{um.label} is a {um.format} file; device {device.name!r} runs "
            f"{device.artifact_format or 'PyTorch modules'}: use --device "
            + (" or ".join(runs) if runs else f"<a device for {um.format}> (none is registered here)")
        )
    inputs_of(key)  # one line listing every input and an --input line to copy when a dim is free
