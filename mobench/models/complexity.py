"""Params and MACs of a model, counted with torch's own FLOP counter, and cached.

MACs are multiply-adds (the convention behind the paper's "FLOPs", which it
counted with fvcore): ``torch.utils.flop_counter.FlopCounterMode`` counts a
multiply-add as 2 flops, so MACs = flops / 2. Two pitfalls of that counter are
handled here:

* fused attention on the CPU (``scaled_dot_product_attention``) is not counted,
  so modules that can use it (timm's ``fused_attn`` flag) are switched to explicit
  attention while counting (DeiT-tiny then counts 1254 M, not 1075 M);
* its module tracker fails on some models (PiT) under ``torch.no_grad()``, so the
  counting forward runs with autograd enabled (nothing is backpropagated).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.util import atomic_write_json, cache_dir, package_version
from ._registry import resolve_name
from ._user_index import is_artifact, is_user_key, lookup
from .artifact import complexity as artifact_complexity
from .factory import build_deployed

CACHE_VERSION = 1


def count_params(model) -> int:
    """Number of parameters (buffers such as BN running stats excluded)."""
    return int(sum(p.numel() for p in model.parameters()))


@contextlib.contextmanager
def explicit_attention(model) -> Iterator[None]:
    """Temporarily switch every module with a ``fused_attn`` flag to explicit attention."""
    changed = []
    for m in model.modules():
        if getattr(m, "fused_attn", None) is True:
            m.fused_attn = False
            changed.append(m)
    try:
        yield
    finally:
        for m in changed:
            m.fused_attn = True


def count_flops_by_op(model, input_size: int = 224, example: Callable[[], Any] | None = None) -> dict[str, int]:
    """FLOPs per aten op for one forward pass on a 1x3xSxS input (flops, not MACs); ``example``, when
    given, runs the forward pass itself (a model of several inputs)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.randn(1, 3, input_size, input_size)
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    try:
        with explicit_attention(model), counter:
            if example is None:
                model(x)
            else:
                example()
    finally:
        model.train(was_training)
    return {str(k): int(v) for k, v in counter.get_flop_counts().get("Global", {}).items()}


def count_macs(model, input_size: int = 224, example: Callable[[], Any] | None = None) -> int:
    """Multiply-adds of one forward pass at ``input_size`` (flops / 2)."""
    return sum(count_flops_by_op(model, input_size, example).values()) // 2


def _factory_forward(name: str, model) -> Callable[[], Any] | None:
    """A forward pass of a factory's module on its chosen inputs, or None for one square RGB tensor."""
    from .chosen_inputs import inputs_of

    um = lookup(name)
    inputs = inputs_of(name)
    shapes = [s.shape for s in inputs.specs]
    if len(shapes) == 1 and shapes[0] == (1, 3, um.input_size, um.input_size) and inputs.specs[0].dtype == "float32":
        return None
    import torch

    from ..core.inputs import feed
    from .user import call_module

    arrays = {k: torch.from_numpy(v) for k, v in feed(inputs, 0).items()}
    return lambda: call_module(model, arrays, um.input_call)


def cache_path() -> Path:
    """The on-disk cache of counted complexity (``model_complexity`` and ``metrics.model_metrics``)."""
    return cache_dir() / "complexity.json"


def cache_key(kind: str, name: str, input_size: int, *, fused: bool = True, version: int = CACHE_VERSION) -> str:
    """The one key scheme of the complexity cache.

    ``kind`` names what was counted (``complexity``: params and MACs; ``metrics``:
    :func:`mobench.analysis.metrics.model_metrics`), ``version`` its counting rules;
    the rest says which graph (model, input size, fused or not) and which tools.
    """
    form = "fused" if fused else "unfused"
    return (
        f"{kind}/v{version}:{name}@{input_size}:{form}"
        f"|mobench={__version__}|torch={package_version('torch')}|timm={package_version('timm')}"
    )


def cached(key: str, compute: Callable[[], dict[str, Any]], *, use_cache: bool = True) -> dict[str, Any]:
    """``compute()``, stored under ``key`` in the cache file (and read from it next time)."""
    if use_cache:
        hit = read_cache().get(key)
        if hit:
            return hit
    value = compute()
    if use_cache:
        write_cache_entry(key, value)
    return value


def read_cache() -> dict[str, Any]:
    try:
        return json.loads(cache_path().read_text())
    except (OSError, ValueError):
        return {}


def write_cache_entry(key: str, value: dict[str, Any]) -> None:
    cache = read_cache()  # re-read: another process may have added entries
    cache[key] = value
    try:
        atomic_write_json(cache_path(), cache)
    except OSError:
        pass  # a read-only cache folder only costs recounting


def model_complexity(name: str, input_size: int | None = None, *, use_cache: bool = True) -> dict[str, Any]:
    """Params (M) and MACs (M) of the deployed (fused) model, cached on disk.

    Returns ``{"model", "input_size", "params", "macs", "params_m", "macs_m"}``.
    The cache (``~/.cache/mobench/complexity.json``, or ``$MOBENCH_CACHE_DIR``)
    is keyed by model, input size and the mobench/torch/timm versions.
    ``input_size=None`` means the model's own input size (224 for the zoo; a
    user factory may declare another). A model file is read, not built: its
    values are ``None`` where the file does not tell (see :mod:`mobench.models.artifact`).
    """

    name = resolve_name(name)
    if is_user_key(name):
        if is_artifact(name):
            return artifact_complexity(name)
        input_size = input_size or lookup(name).input_size
    input_size = input_size or 224

    def count() -> dict[str, Any]:
        model = build_deployed(name)
        params = count_params(model)
        example = _factory_forward(name, model) if is_user_key(name) else None
        macs = count_macs(model, input_size, example)
        return {
            "model": name,
            "input_size": input_size,
            "params": params,
            "macs": macs,
            "params_m": round(params / 1e6, 3),
            "macs_m": round(macs / 1e6, 1),
        }

    return cached(cache_key("complexity", name, input_size), count, use_cache=use_cache)
