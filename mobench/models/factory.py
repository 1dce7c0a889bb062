"""Build models by name: :func:`model_info`, :func:`create_model`, :func:`build_deployed`."""

from __future__ import annotations

from typing import Any

from ._passthrough import passthrough_info
from ._registry import ModelInfo, list_models, registered_info, resolve_name
from .checkpoint import load_checkpoint
from .reparam import is_reparameterizable, reparameterize_model
from .user import is_user_key, user_info


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model, alias or pass-through name."""
    key = resolve_name(name)
    if is_user_key(key):
        return user_info(key)
    if ":" in key:
        return passthrough_info(key)
    return registered_info(key)


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
    assert info.fn is not None  # every ModelInfo the registry hands out has its builder
    model = info.fn(inference_mode=inference_mode, **kwargs)
    if checkpoint is not None:
        family = (
            []
            if ":" in info.name or is_user_key(info.name)
            else [(n, fn) for n in list_models(family=info.family) if (fn := registered_info(n).fn) is not None]
        )
        load_checkpoint(model, checkpoint, model_name=info.name, inference_mode=inference_mode, candidates=family)
    return model.eval()


def build_deployed(name: str, *, checkpoint: str | None = None, fuse: bool = True, **kwargs: Any):
    """The model as it is exported/timed: built train-time, checkpoint loaded, then fused.

    Load checkpoints first, fuse second (the reparameterization contract). With
    ``fuse=False`` the train-time graph is returned (the paper's ablation).
    """
    model = create_model(name, inference_mode=False, checkpoint=checkpoint, **kwargs)
    if fuse and is_reparameterizable(model):
        model = reparameterize_model(model)
    return model.eval()
