"""What the model registry knows about a model without building it (:class:`ModelInfo`).

Its own module because registered models (:mod:`mobench.models._registry`),
pass-through names and user models (:mod:`mobench.models.user`) all describe
themselves with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model without building it."""

    name: str
    family: str  # e.g. "mobileone", "mobilenet", "vit"
    kind: str  # "convnet" or "transformer" (the paper's grouping)
    source: str  # "mobench", "timm:<name>" or "torchvision:<name>"
    reparameterizable: bool = False  # train-time multi-branch graph that fuses
    paper_name: str | None = None  # row in the paper's Table 9 (mobench/data)
    description: str = ""
    config: Any = None  # frozen dataclass (or dict) shown by `mobench models show`
    aliases: tuple[str, ...] = ()
    input_size: int = 224
    fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
