"""The model zoo: MobileOne S0-S4, the paper's baselines, and pass-through names.

Public API::

    create_model(name, *, inference_mode=False, checkpoint=None) -> nn.Module
    list_models(pattern="*") -> list[str]
    reparameterize_model(model) -> nn.Module   # fused deep copy
    model_info(name) -> ModelInfo
    resolve_models(models, preset) -> list[str]
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import UsageError
from ._registry import ModelInfo, list_models, model_info, register_model, resolve_name
from .checkpoint import load_checkpoint

# Model families register themselves on import (one family per file).
from . import mobileone  # noqa: F401,E402
from . import baselines  # noqa: F401,E402
from . import mobileformer  # noqa: F401,E402
from . import mobilenext  # noqa: F401,E402
from .presets import PRESETS, resolve_models  # noqa: E402

__all__ = [
    "ModelInfo",
    "PRESETS",
    "create_model",
    "list_models",
    "load_checkpoint",
    "model_info",
    "register_model",
    "reparameterize_model",
    "resolve_models",
    "resolve_name",
]


def create_model(
    name: str,
    *,
    inference_mode: bool = False,
    checkpoint: str | None = None,
    **kwargs: Any,
):
    """Build a registered model (in eval mode).

    ``inference_mode=True`` builds the deployed (fused) form directly. A
    ``checkpoint`` is loaded into the form you asked for: an official *unfused*
    MobileOne file into ``inference_mode=False``, a fused file into ``True``.
    """
    info = model_info(name)
    model = info.fn(inference_mode=inference_mode, **kwargs)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, model_name=info.name, inference_mode=inference_mode)
    return model.eval()


def reparameterize_model(model):
    """Return a fused deep copy: every submodule with ``reparameterize()`` is fused.

    Works on MobileOne, timm's RepVGG/MobileOne blocks and anything exposing
    ``reparameterize()`` (timm's ``reparameterize_model`` contract). The input
    model is not modified.
    """
    import torch.nn as nn

    if not isinstance(model, nn.Module):
        raise UsageError(f"reparameterize_model needs a torch.nn.Module, not {type(model).__name__}")
    fused = copy.deepcopy(model).eval()
    for module in list(fused.modules()):
        if callable(getattr(module, "reparameterize", None)):
            module.reparameterize()
    return fused


def is_reparameterizable(model) -> bool:
    return any(callable(getattr(m, "reparameterize", None)) for m in model.modules())


def build_deployed(name: str, *, checkpoint: str | None = None, fuse: bool = True, **kwargs: Any):
    """The model as it is exported/timed: built train-time, checkpoint loaded, then fused.

    Load checkpoints first, fuse second (the reparameterization contract). With
    ``fuse=False`` the train-time graph is returned (the paper's ablation).
    """
    model = create_model(name, inference_mode=False, checkpoint=checkpoint, **kwargs)
    if fuse and is_reparameterizable(model):
        model = reparameterize_model(model)
    return model.eval()

