"""Model registry: a decorator keyed on the entry-point name (after timm ``_registry.py``).

Every entry point is a function ``fn(*, inference_mode: bool = False, **kwargs) -> nn.Module``.
``inference_mode=True`` must return the deployed form (reparameterized blocks built
fused, so fused checkpoints load); models without a train/deploy distinction ignore it.

Names live in :data:`MODELS`, a :class:`mobench.core.registry.Registry`: other
distributions can add models through the ``mobench.models`` entry-point group
(``name = "package.module:builder"``; the builder may carry a ``model_info``
dict of :class:`ModelInfo` fields).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from ..core.errors import ModelNotFoundError
from ..core.registry import Registry, suggest
from ._info import ModelInfo
from .user import resolve_user

PASSTHROUGH_PREFIXES = ("timm:", "torchvision:")


MODELS: Registry[Callable[..., Any]] = Registry(
    "model",
    group="mobench.models",
    error=ModelNotFoundError,
    hint="`mobench models` lists them all; any timm model works as timm:<name>",
)
_INFO: dict[str, ModelInfo] = {}
_ALIASES: dict[str, str] = {}


def register_model(
    *,
    family: str,
    kind: str = "convnet",
    source: str = "mobench",
    reparameterizable: bool = False,
    paper_name: str | None = None,
    description: str = "",
    config: Any = None,
    aliases: tuple[str, ...] = (),
    name: str | None = None,
    input_size: int = 224,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an entry point under its function name (or ``name``). Duplicates are errors."""

    if kind not in ("convnet", "transformer"):
        raise ValueError(f"kind must be 'convnet' or 'transformer', not {kind!r}")

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        key = name or fn.__name__
        if key in _ALIASES:
            raise ValueError(f"model {key!r} is registered twice")
        for a in aliases:
            if a in MODELS or a in _ALIASES:
                raise ValueError(f"alias {a!r} of {key!r} is already taken")
        MODELS.register(key, fn)
        _INFO[key] = ModelInfo(
            name=key,
            family=family,
            kind=kind,
            source=source,
            reparameterizable=reparameterizable,
            paper_name=paper_name,
            description=description or (fn.__doc__ or "").strip().split("\n")[0],
            config=config,
            aliases=tuple(aliases),
            input_size=input_size,
            fn=fn,
        )
        for a in aliases:
            _ALIASES[a] = key
        return fn

    return deco


def resolve_name(name: str) -> str:
    """Canonical name for ``name``: an alias, a registered name, a pass-through, or a user model
    (``file.py:function``, ``package.module:function``, a model file; see :mod:`mobench.models.user`)."""
    for candidate in (name, name.lower()):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
        if candidate in MODELS:
            return candidate
    if name.startswith(PASSTHROUGH_PREFIXES):
        return name
    user_key = resolve_user(name)  # file.py:fn, package.module:fn, model files (validated)
    if user_key is not None:
        return user_key
    close = suggest(name, sorted(set(MODELS.names()) | set(_ALIASES)))  # aliases count as names here
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ModelNotFoundError(
        f"unknown model {name!r}{hint} (`mobench models` lists them all; any timm model works as timm:<name>)"
    )


def canonical_alias(name: str) -> str:
    """The registered name an alias stands for, else ``name`` unchanged.

    Only the alias table is read (no user-model lookup), so it is cheap enough to apply to
    every stored run: runs stored under a model's former name read as its current one.
    """
    return _ALIASES.get(name, name)


def registered_info(key: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered (not pass-through) canonical name."""
    if key not in _INFO:
        fn = MODELS.get(key)  # an entry-point model: imported now
        fields = dict(getattr(fn, "model_info", None) or {})
        fields.setdefault("family", key.split("_")[0])
        fields.setdefault("kind", "convnet")
        fields.setdefault("source", f"entry point {MODELS.target(key)}")
        _INFO[key] = ModelInfo(name=key, fn=fn, **fields)
    return _INFO[key]


def list_models(pattern: str | list[str] = "*", *, family: str | None = None) -> list[str]:
    """Sorted registered names matching an fnmatch ``pattern`` (aliases match too)."""
    pats = [pattern] if isinstance(pattern, str) else list(pattern)
    out = set()
    for key in MODELS.names():
        info = registered_info(key)
        if family and info.family != family:
            continue
        names = (key, *info.aliases)
        if any(fnmatch.fnmatch(n, p) for n in names for p in pats):
            out.add(key)
    return sorted(out)
