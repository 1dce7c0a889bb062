"""The model zoo: MobileOne S0-S4, the paper's baselines, and pass-through names.

Public API::

    create_model(name, *, inference_mode=False, checkpoint=None) -> nn.Module
    list_models(pattern="*") -> list[str]
    reparameterize_model(model) -> nn.Module   # fused deep copy
    model_info(name) -> ModelInfo
    resolve_models(models, preset) -> list[str]

A model family is one file that registers its entry points with
``@register_model``; it joins the zoo by being imported below.
"""

from __future__ import annotations

# Model families register themselves on import (one family per file).
from . import baselines, mobileformer, mobilenext, mobileone, probes  # noqa: F401
from ._registry import MODELS, ModelInfo, canonical_alias, list_models, register_model, resolve_name
from .checkpoint import load_checkpoint
from .factory import build_deployed, create_model, model_info
from .presets import PRESETS, resolve_models
from .reparam import is_reparameterizable, reparameterize_model

__all__ = [
    "MODELS",
    "PRESETS",
    "ModelInfo",
    "build_deployed",
    "canonical_alias",
    "create_model",
    "is_reparameterizable",
    "list_models",
    "load_checkpoint",
    "model_info",
    "register_model",
    "reparameterize_model",
    "resolve_models",
    "resolve_name",
]
