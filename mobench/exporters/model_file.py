"""A model file in hand (``--model m.onnx``, ``.mlpackage``, ``.pte``) as an export artifact.

The file is timed as it is, never exported again; its manifest is read from the file
(``mobench.models.artifact`` reads and names it).
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import DeviceError
from ..core.util import sha256_path
from ..models.chosen_inputs import inputs_of
from ..models.user import lookup
from .config import Artifact


def as_artifact(key: str):
    """The :class:`~mobench.exporters.Artifact` of a model file: the file itself, a manifest read from it."""
    um = lookup(key)
    path = Path(um.path or "")
    if not path.exists():
        raise DeviceError(f"model file {path} of {key} is missing")
    if sha256_path(path) != um.sha256:
        raise DeviceError(f"model file {path} changed since it was named {key}; pass it again")
    manifest = {
        "model": key,
        "format": um.format,
        "sha256": um.sha256,
        "file": path.name,
        "source": "model file",
        "recipe": None,
        "reparameterized": None,
        "params": um.params,
        "macs": um.macs,
        "input": um.input if (um.input.get("shape") and all(um.input["shape"])) else {},
        "inputs": inputs_of(key).to_dict(),  # every input, its dims fixed (mobench.core.inputs)
    }
    return Artifact(model=key, format=um.format or "", path=path, manifest_path=path, manifest=manifest)
