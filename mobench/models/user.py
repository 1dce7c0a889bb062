"""Models the user brings: Python factories and model files, named by their content.

Accepted ``--model`` forms besides registered names and ``timm:`` / ``torchvision:``:

``path/to/file.py:function`` or ``package.module:function``
    A factory. ``function()`` is called without arguments and returns either a
    ``torch.nn.Module`` taking a ``1 x 3 x 224 x 224`` tensor, a pair
    ``(module, size)`` where ``size`` is ``S`` or ``(3, S, S)``, or a pair
    ``(module, example)`` where ``example`` is a tensor, a tuple of tensors
    (passed positionally) or a dict name -> tensor (passed by keyword). The
    example's names, shapes and dtypes are the model's inputs
    (:mod:`mobench.core.inputs`); ``--input`` may change any of its dims.
    The model is built, fused if any block has ``reparameterize()``, counted,
    exported and timed like a registered model.
``path/to/model.onnx``, ``model.mlpackage``, ``model.pte``
    A model file in hand (:mod:`mobench.models.artifact`): timed as it is on the
    devices that run its format, never exported again.

The canonical name is readable and carries the content's identity:
``file.py:function@<sha256[:10]>`` (sha256 of the factory's source file) or
``model.onnx@<sha256[:10]>``, so an edited file is a new model in the store and
in the export cache. Canonical names are kept in ``user_models.json`` beside the
complexity cache, so a later ``mobench analyze`` / ``plot`` / ``report`` finds the
model again from the name stored with its runs.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import UsageError, one_line
from ..core.inputs import DTYPES, InputDim, InputSpec
from ..core.util import sha256_path
from ._info import ModelInfo
from ._user_index import (
    DEFAULT_INPUT_SIZE,
    KNOWN,
    SHA_CHARS,
    UserModel,
    index_path,
    is_artifact,
    is_user_key,
    lookup,
    remember,
)
from .artifact import resolve_artifact
from .reparam import is_reparameterizable

# The public API of user models, with the records kept in ._user_index.
__all__ = [
    "ARTIFACT_SUFFIXES",
    "DEFAULT_INPUT_SIZE",
    "SHA_CHARS",
    "UserModel",
    "builder",
    "FactoryResult",
    "call_factory",
    "call_module",
    "index_path",
    "is_artifact",
    "is_user_key",
    "lookup",
    "looks_like_user_spec",
    "resolve_user",
    "user_info",
]

ARTIFACT_SUFFIXES = (".onnx", ".mlpackage", ".pte")
_MODULE_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_BUILDERS: dict[str, Any] = {}  # key -> the factory function (imported this process)


# --------------------------------------------------------------------------- recognising a spec


def looks_like_user_spec(name: str) -> bool:
    """True for anything that is meant as a file, a factory or a canonical user-model name."""
    if is_user_key(name):
        return True
    if ".py:" in name or _MODULE_SPEC.match(name):
        return True
    return "/" in name or os.sep in name or name.lower().rstrip("/").endswith(ARTIFACT_SUFFIXES) or os.path.exists(name)


def resolve_user(name: str, base: Path | None = None) -> str | None:
    """Canonical key for a user-model spec (validated), or None if ``name`` is not one.

    ``base`` resolves relative paths (a preset file's folder). Raises
    :class:`UsageError` (one line) for every kind of bad input.
    """
    if is_user_key(name):
        lookup(name)
        return name
    if name.startswith(("timm:", "torchvision:")) or not looks_like_user_spec(name):
        return None
    if ".py:" in name:
        path, _, fn = name.rpartition(":")
        return _resolve_factory(_abs(path, base), None, fn)
    if _MODULE_SPEC.match(name) and not os.path.exists(_abs(name, base)):
        mod, _, fn = name.partition(":")
        return _resolve_factory(None, mod, fn)
    return resolve_artifact(_abs(name.rstrip("/"), base))


def _abs(path: str, base: Path | None) -> str:
    p = Path(path).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    return str(p.resolve()) if p.exists() else str(p)


# --------------------------------------------------------------------------- factories


def _load_module(path: str | None, module: str | None, label: str):
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"factory file {path} does not exist")
        sha = sha256_path(p)
        stem = re.sub(r"\W", "_", p.stem)
        mod_name = f"mobench_user_{sha[:SHA_CHARS]}_{stem}"
        if mod_name in sys.modules:
            return sys.modules[mod_name], sha
        spec = importlib.util.spec_from_file_location(mod_name, p)
        if spec is None or spec.loader is None:
            raise UsageError(f"{label}: {path} is not a Python file")
        mod = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(p.parent))  # let the file import its neighbours
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:  # whatever the user's file raises: its first line, not a traceback
            raise UsageError(f"{label}: {p.name} does not import: {one_line(exc, with_type=True)}") from None
        finally:
            try:
                sys.path.remove(str(p.parent))
            except ValueError:
                pass
        sys.modules[mod_name] = mod
        return mod, sha
    assert module is not None
    try:
        mod = importlib.import_module(module)
    except Exception as exc:
        raise UsageError(f"{label}: module {module} does not import: {one_line(exc, with_type=True)}") from None
    src = getattr(mod, "__file__", None)
    sha = sha256_path(src) if src and os.path.isfile(src) else hashlib.sha256(module.encode()).hexdigest()
    return mod, sha


def _function(mod, fn: str, label: str):
    obj: Any = mod
    for part in fn.split("."):
        if not hasattr(obj, part):
            names = sorted(n for n in dir(mod) if callable(getattr(mod, n, None)) and not n.startswith("_"))
            raise UsageError(
                f"{label}: function {fn!r} is missing"
                + (f" (callables there: {', '.join(names[:8])})" if names else "")
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{label}: {fn!r} is a {type(obj).__name__}, not a function")
    return obj


def _input_size(value: Any, label: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, (tuple, list)) and len(value) == 3 and value[0] == 3 and value[1] == value[2]:
        size = value[1]
    else:
        raise UsageError(f"{label}: input size {value!r} is not S or (3, S, S); mobench times square RGB inputs")
    if not isinstance(size, int) or not 32 <= size <= 1024:
        raise UsageError(f"{label}: input size {size!r} must be an integer in 32..1024")
    return int(size)


@dataclass(frozen=True)
class FactoryResult:
    """What a factory returned, checked: the module and its inputs."""

    module: Any
    size: int
    inputs: tuple[InputSpec, ...]
    call: str  # "positional" or "keyword"


def _example_specs(module, example: Any, label: str) -> tuple[tuple[InputSpec, ...], str]:
    """Input specs from a factory's example: names from the dict keys, else from ``forward``'s parameters."""
    import inspect

    import torch

    def one(name: str, t: Any) -> InputSpec:
        if not isinstance(t, torch.Tensor):
            raise UsageError(f"{label}: example input {name!r} is a {type(t).__name__}, not a torch.Tensor")
        dtype = str(t.dtype).removeprefix("torch.")
        if dtype not in DTYPES:
            raise UsageError(f"{label}: example input {name!r} is {dtype}; mobench feeds {', '.join(DTYPES)}")
        return InputSpec(name, tuple(InputDim(int(x), None, False) for x in t.shape), dtype)

    if isinstance(example, dict):
        if not example:
            raise UsageError(f"{label}: the example dict is empty")
        return tuple(one(str(k), v) for k, v in example.items()), "keyword"
    tensors = list(example) if isinstance(example, (tuple, list)) else [example]
    try:
        params = [
            p.name
            for p in inspect.signature(module.forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    names = [params[i] if i < len(params) else f"x{i}" for i in range(len(tensors))]
    if len(set(names)) != len(names):
        names = [f"x{i}" for i in range(len(tensors))]
    return tuple(one(n, t) for n, t in zip(names, tensors, strict=True)), "positional"


def call_factory(fn, label: str) -> FactoryResult:
    """The module and its inputs from a factory, checked; UsageError for a wrong return value."""
    import torch
    from torch import nn

    try:
        out = fn()
    except Exception as exc:
        raise UsageError(f"{label}: the factory raised {one_line(exc, with_type=True)}") from None
    size = DEFAULT_INPUT_SIZE
    example: Any = None
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], nn.Module):
        second = out[1]
        is_example = isinstance(second, (torch.Tensor, dict)) or (
            isinstance(second, (tuple, list)) and any(isinstance(t, torch.Tensor) for t in second)
        )
        if is_example:
            out, example = out[0], second
        else:
            out, size = out[0], _input_size(second, label)
    if not isinstance(out, nn.Module):
        raise UsageError(
            f"{label}: the factory returned {type(out).__name__}, not a torch.nn.Module "
            "(or a pair (module, input size) or (module, example inputs))"
        )
    if example is None:
        specs: tuple[InputSpec, ...] = (InputSpec("x", tuple(InputDim(s, None, False) for s in (1, 3, size, size))),)
        call = "positional"
    else:
        specs, call = _example_specs(out, example, label)
        shape = specs[0].shape
        if len(specs) == 1 and len(shape) == 4 and shape[2] == shape[3]:
            size = int(shape[2] or DEFAULT_INPUT_SIZE)
    return FactoryResult(out.eval(), size, specs, call)


def call_module(model, inputs: dict[str, Any], call: str):
    """Run ``model`` on named inputs the way its factory declared (positionally or by keyword)."""
    if call == "keyword":
        return model(**inputs)
    return model(*inputs.values())


def _check_forward(res: FactoryResult, label: str) -> None:
    import torch

    from ..core.inputs import Inputs, feed

    texts = [f"{s.name}={s.shape_text()}" for s in res.inputs]
    shapes = ", ".join(texts) if len(texts) > 1 else res.inputs[0].shape_text() if texts else "no inputs"
    try:
        arrays = feed(Inputs(res.inputs), 0)
        with torch.no_grad():
            y = call_module(res.module, {k: torch.from_numpy(v) for k, v in arrays.items()}, res.call)
    except Exception as exc:
        raise UsageError(f"{label}: the forward pass fails at {shapes}: {one_line(exc, with_type=True)}") from None
    if not isinstance(y, torch.Tensor) and not (
        isinstance(y, (tuple, list)) and y and all(isinstance(t, torch.Tensor) for t in y)
    ):
        raise UsageError(f"{label}: the forward pass returns {type(y).__name__}, not tensors")


def _resolve_factory(path: str | None, module: str | None, fn: str) -> str:
    label = f"{Path(path).name}:{fn}" if path is not None else f"{module}:{fn}"
    if not fn:
        raise UsageError(f"{label}: no function after ':' (use file.py:function)")
    mod, sha = _load_module(path, module, label)
    key = f"{label}@{sha[:SHA_CHARS]}"
    if key in KNOWN and key in _BUILDERS:
        return key
    builder = _function(mod, fn, label)
    res = call_factory(builder, label)
    _check_forward(res, label)
    _BUILDERS[key] = builder
    remember(
        UserModel(
            key=key,
            kind="factory",
            label=label,
            sha256=sha,
            path=path,
            module=module,
            function=fn,
            input_size=res.size,
            inputs=[s.to_dict() for s in res.inputs],
            input_call=res.call,
            reparameterizable=is_reparameterizable(res.module),
        )
    )
    return key


def builder(key: str):
    """The factory function of ``key``, imported again (checked against its sha256) in a new process."""
    if key in _BUILDERS:
        return _BUILDERS[key]
    um = lookup(key)
    if um.kind != "factory":
        raise UsageError(f"{key} is a model file: it runs as it is and is not built in PyTorch")
    mod, sha = _load_module(um.path, um.module, um.label)
    if sha != um.sha256:
        raise UsageError(
            f"{um.label} changed since {key} was measured (sha256 {sha[:SHA_CHARS]}); "
            "pass it again to measure the new version"
        )
    _BUILDERS[key] = _function(mod, um.function or "", um.label)
    return _BUILDERS[key]


def user_info(key: str):
    """The :class:`~mobench.models.ModelInfo` of a user model."""
    um = lookup(key)
    if um.kind == "artifact":

        def refuse(*, inference_mode: bool = False, **kw):
            raise UsageError(f"{key} is a model file ({um.format}): it is timed as it is, not rebuilt in PyTorch")

        fn = refuse
        family = Path(um.label).stem
        desc = f"{um.format} model file {um.path} (sha256 {um.sha256[:12]})"
    else:

        def build(*, inference_mode: bool = False, **kw):
            return call_factory(builder(key), um.label).module

        fn = build
        family = Path(um.path).stem if um.path else (um.module or "user").rsplit(".", 1)[-1]
        desc = f"factory {um.label} from {um.path or um.module} (sha256 {um.sha256[:12]})"
    return ModelInfo(
        name=key,
        family=family,
        kind="convnet",
        source=f"user {um.kind}",
        reparameterizable=um.reparameterizable,
        description=desc,
        config=um.to_dict(),
        input_size=um.input_size,
        fn=fn,
    )
