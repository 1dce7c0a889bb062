"""Models built from the field's libraries: timm (Apache-2.0) and torchvision (BSD-3-Clause).

Used by the registered baselines (:mod:`.baselines`) and by the pass-through
names ``timm:<name>`` / ``torchvision:<name>`` (:mod:`._passthrough`). Weights
are random: latency does not depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .reparam import is_reparameterizable, reparameterize_model


@dataclass(frozen=True)
class LibraryModel:
    """Where a baseline comes from and what the library calls it."""

    library: str  # "timm" or "torchvision"
    name: str  # the library's model name
    note: str = ""  # known differences from the paper's figures


def build_library_model(cfg: LibraryModel, inference_mode: bool, kwargs: dict[str, Any]):
    """Build ``cfg`` from its library (random weights, eval mode); fused if asked and fusable."""
    if cfg.library == "timm":
        import timm

        model = timm.create_model(cfg.name, pretrained=False, **kwargs)
    else:
        import torchvision

        model = torchvision.models.get_model(cfg.name, weights=None, **kwargs)
    model.eval()
    if inference_mode:
        if is_reparameterizable(model):
            model = reparameterize_model(model)
    return model
