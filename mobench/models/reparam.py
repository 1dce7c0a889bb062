"""Structural reparameterization: fuse every block that has ``reparameterize()``.

The contract of timm's ``reparameterize_model`` and apple/ml-mobileone: a block
fuses its branches in place; :func:`reparameterize_model` deep-copies first, so
the train-time model is left as it was.
"""

from __future__ import annotations

import copy

from ..core.errors import UsageError


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
        fuse = getattr(module, "reparameterize", None)
        if callable(fuse):
            fuse()
    return fused


def is_reparameterizable(model) -> bool:
    return any(callable(getattr(m, "reparameterize", None)) for m in model.modules())
