"""Model registry: a decorator keyed on the entry-point name (after timm ``_registry.py``).

Every entry point is a function ``fn(*, inference_mode: bool = False, **kwargs) -> nn.Module``.
``inference_mode=True`` must return the deployed form (reparameterized blocks built
fused, so fused checkpoints load); models without a train/deploy distinction ignore it.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ModelNotFoundError


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model without building it."""

    name: str
    family: str                      # e.g. "mobileone", "mobilenet", "vit"
    kind: str                        # "convnet" or "transformer" (the paper's grouping)
    source: str                      # "mobench", "timm:<name>" or "torchvision:<name>"
    reparameterizable: bool = False  # train-time multi-branch graph that fuses
    paper_name: str | None = None    # row in the paper's Table 9 (mobench/data)
    description: str = ""
    config: Any = None               # frozen dataclass (or dict) shown by `mobench models show`
    aliases: tuple[str, ...] = ()
    input_size: int = 224
    fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)


_MODELS: dict[str, ModelInfo] = {}
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
        if key in _MODELS or key in _ALIASES:
            raise ValueError(f"model {key!r} is registered twice")
        for a in aliases:
            if a in _MODELS or a in _ALIASES:
                raise ValueError(f"alias {a!r} of {key!r} is already taken")
        _MODELS[key] = ModelInfo(
            name=key, family=family, kind=kind, source=source,
            reparameterizable=reparameterizable, paper_name=paper_name,
            description=description or (fn.__doc__ or "").strip().split("\n")[0],
            config=config, aliases=tuple(aliases), input_size=input_size, fn=fn,
        )
        for a in aliases:
            _ALIASES[a] = key
        return fn

    return deco


def _suggest(name: str, candidates: list[str], n: int = 5) -> list[str]:
    close = difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)
    if not close:
        close = [c for c in candidates if name.lower() in c.lower()][:n]
    return close


def resolve_name(name: str) -> str:
    """Canonical registry name for ``name`` (an alias, a registered name or a pass-through)."""
    if name in _MODELS:
        return name
    if name in _ALIASES:
        return _ALIASES[name]
    low = name.lower()
    if low in _MODELS:
        return low
    if low in _ALIASES:
        return _ALIASES[low]
    if name.startswith(("timm:", "torchvision:")):
        return name
    candidates = sorted(set(_MODELS) | set(_ALIASES))
    close = _suggest(name, candidates)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ModelNotFoundError(
        f"unknown model {name!r}{hint} (`mobench models` lists them all; "
        "any timm model works as timm:<name>)"
    )


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model, alias or pass-through name."""
    key = resolve_name(name)
    if key in _MODELS:
        return _MODELS[key]
    from ._passthrough import passthrough_info

    return passthrough_info(key)


def list_models(pattern: str = "*", *, family: str | None = None) -> list[str]:
    """Sorted registered names matching an fnmatch ``pattern`` (aliases match too)."""
    pats = [pattern] if isinstance(pattern, str) else list(pattern)
    out = set()
    for key, info in _MODELS.items():
        if family and info.family != family:
            continue
        names = (key, *info.aliases)
        if any(fnmatch.fnmatch(n, p) for n in names for p in pats):
            out.add(key)
    return sorted(out)

