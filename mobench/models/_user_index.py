"""The records of user models: :class:`UserModel`, keyed by canonical name, kept in ``user_models.json``.

Factories (:mod:`mobench.models.user`) and model files (:mod:`mobench.models.artifact`)
both record what they resolved here, and every later step (complexity, export,
devices, analysis) looks a canonical name up here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ModelNotFoundError
from ..core.util import atomic_write_json, cache_dir

SHA_CHARS = 10
# ``label@sha[:10]``, plus ``+x=1x3x640x640`` when the measurement fixes inputs other than the model's default
# (characters a shell and rich's markup leave alone)
_KEY = re.compile(rf"^(?P<label>.+?)@(?P<sha>[0-9a-f]{{{SHA_CHARS}}})(?:\+(?P<inputs>[^\s]*))?$")
DEFAULT_INPUT_SIZE = 224


@dataclass
class UserModel:
    """What mobench knows about one user model (persisted in the index as plain data)."""

    key: str
    kind: str  # "factory" or "artifact"
    label: str  # readable part of the key: file.py:function, pkg.mod:function, model.onnx
    sha256: str  # of the factory's source file, or of the model file
    path: str | None = None  # absolute path of the factory file or model file
    module: str | None = None  # package.module of a module factory
    function: str | None = None
    input_size: int = DEFAULT_INPUT_SIZE
    format: str | None = None  # artifact format: onnx, coreml, executorch
    params: int | None = None  # None = not counted
    macs: int | None = None
    input: dict[str, Any] = field(default_factory=dict)  # artifact input name/shape/kind
    reparameterizable: bool = False
    # Every input as declared by the model (mobench.core.inputs.InputSpec.to_dict), in order
    inputs: list[dict[str, Any]] = field(default_factory=list)
    input_call: str = "positional"  # how a factory's module takes its inputs: positional or keyword
    # A measurement with chosen inputs (key ``base+label``): mobench.core.inputs.Inputs.to_dict()
    base: str | None = None
    chosen: dict[str, Any] | None = None
    params_note: str = ""  # why params is None
    macs_note: str = ""  # why macs is None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


KNOWN: dict[str, UserModel] = {}


# --------------------------------------------------------------------------- the index


def index_path() -> Path:
    """``user_models.json`` in mobench's cache folder, beside the complexity cache."""
    return cache_dir() / "user_models.json"


def _read_index() -> dict[str, Any]:
    try:
        return json.loads(index_path().read_text())
    except (OSError, ValueError):
        return {}


def remember(um: UserModel) -> UserModel:
    KNOWN[um.key] = um
    index = _read_index()
    if index.get(um.key) != um.to_dict():
        index[um.key] = um.to_dict()
        try:
            atomic_write_json(index_path(), index)
        except OSError:
            pass  # a read-only cache only means a later process cannot find the model by name
    return um


def is_user_key(name: str) -> bool:
    return bool(_KEY.match(name))


def lookup(key: str) -> UserModel:
    """The :class:`UserModel` of a canonical name (this process, else the index)."""
    if key in KNOWN:
        return KNOWN[key]
    data = _read_index().get(key)
    if not data:
        raise ModelNotFoundError(
            f"model {key!r} is not known on this machine; pass its file again (--model path/to/file)"
        )
    known = set(UserModel.__dataclass_fields__)
    um = UserModel(**{k: v for k, v in data.items() if k in known})
    KNOWN[key] = um
    return um


def is_artifact(name: str) -> bool:
    return is_user_key(name) and lookup(name).kind == "artifact"
