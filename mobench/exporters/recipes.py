"""Recipes: the numeric form an artifact is shipped in, and the parity rule each one must meet.

A recipe names what a deployment engineer picks besides the format: ``fp32``,
``fp16``, or a quantization scheme. Which recipes a format offers is part of
that format's registration (:data:`mobench.exporters.config.FORMATS`, meta
``recipes``); this module holds what a recipe *is* and how its parity is judged.

Parity rules
------------
Float recipes (``fp32``, ``fp16``) keep the element-wise rule of
:func:`mobench.exporters.checks.compare`: ``max|out - ref| <= rtol * max|ref| + atol``
with rtol 5e-4 (fp32) and 2e-2 (fp16), measured margins documented in
:mod:`.config`. Quantized recipes never reuse or loosen those: an 8-bit or
palettized model is a different function, so it is compared with the fp32
PyTorch model on several seeded inputs by

* cosine similarity of the logit vectors (the minimum over the inputs), and
* top-1 agreement (share of inputs whose arg-max class is unchanged).

Thresholds and why. The zoo is exported with random weights (BatchNorm
statistics calibrated on random batches, see :mod:`.prepare`); such a network
has no trained class structure, its logits sit close together (MobileOne-S0:
std 0.34, max 1.08) and small perturbations are amplified, so 8-bit schemes
agree less with fp32 here than on trained weights. Measured on MobileOne-S0
(8 inputs, reference input + 7 seeded): ONNX Runtime static QDQ int8 min cosine
0.932, top-1 4/8 (MinMax, uint8 or int8 activations alike; percentile
calibration 0.876, per-tensor weights 0.919); ExecuTorch PT2E int8 (XNNPACK)
min cosine 0.943, mean 0.956, top-1 4/8. A broken quantization (wrong scale, a missing
requantize, clipped activations, a collapsed output) gives a cosine near 0 and a
top-1 agreement near 1/1000 per input. The thresholds sit below the measured
values with room for other models and CPUs, and far above a broken model:

* int8, int8-dynamic, w8a8: min cosine >= 0.90, top-1 agreement >= 0.25;
* w8 (8-bit weights, float activations, the smallest change): >= 0.95, >= 0.25;
* palettize6 / palettize4 (6-/4-bit look-up tables per weight tensor): >= 0.90 /
  >= 0.80, top-1 >= 0.25 / >= 0.125 (a 16-entry table of random weights is a coarse
  approximation; Core ML parity runs on macOS only, so these are not measured here).

Core ML predictions need macOS, so there the rule is recorded and the check
is skipped with that reason, exactly like Core ML float parity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import UsageError
from ..core.registry import Registry

#: Seeded inputs a quantized parity check compares on (batch 1 each).
PARITY_SAMPLES = 8
#: Seed of the quantized-parity inputs (calibration uses a different one, so parity is out-of-sample).
PARITY_SEED = 1234


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    quantized: bool
    min_cosine: float | None = None  # quantized recipes: minimum cosine similarity of the logits
    min_top1: float | None = None  # quantized recipes: minimum top-1 agreement with fp32

    def parity_rule(self, rtol: float | None = None, atol: float | None = None) -> dict[str, Any]:
        """What the manifest records as this recipe's parity criterion."""
        if not self.quantized:
            return {
                "kind": "elementwise",
                "reference": "PyTorch fp32",
                "rtol": rtol,
                "atol": atol,
                "criterion": "max|out-ref| <= rtol * max|ref| + atol",
            }
        return {
            "kind": "quantized",
            "reference": "PyTorch fp32 on seeded inputs",
            "min_cosine": self.min_cosine,
            "min_top1_agreement": self.min_top1,
            "samples": PARITY_SAMPLES,
            "seed": PARITY_SEED,
            "criterion": "min cosine(logits) >= min_cosine and top-1 agreement >= min_top1_agreement",
        }


RECIPES: Registry[Recipe] = Registry("recipe", error=UsageError)
for _r in (
    Recipe("fp32", "32-bit float weights and activations", False),
    Recipe("fp16", "16-bit float weights and activations", False),
    Recipe(
        "int8",
        "8-bit integer: the format's natural scheme (ONNX: static QDQ; ExecuTorch: PT2E "
        "XNNPACK quantizer; Core ML: 8-bit linear weights)",
        True,
        0.90,
        0.25,
    ),
    Recipe(
        "int8-dynamic",
        "8-bit weights, activations quantized at run time (ONNX Runtime dynamic quantization)",
        True,
        0.90,
        0.25,
    ),
    Recipe("w8", "8-bit linear weight quantization, float activations", True, 0.95, 0.25),
    Recipe("palettize6", "6-bit weight palettization (k-means look-up table per tensor)", True, 0.90, 0.25),
    Recipe("palettize4", "4-bit weight palettization (k-means look-up table per tensor)", True, 0.80, 0.125),
    Recipe("w8a8", "8-bit weights and 8-bit activations (calibrated; Core ML iOS17+)", True, 0.90, 0.25),
):
    RECIPES.register(_r.name, _r)


def recipe(name: str) -> Recipe:
    """The recipe ``name``; a one-line :class:`UsageError` listing the recipes otherwise."""
    return RECIPES.get(name)
