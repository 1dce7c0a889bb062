"""Recipes: the numeric form an artifact is shipped in, and the parity rule each one must meet.

A recipe names what a deployment engineer picks besides the format: ``fp32``,
``fp16``, or a quantization scheme. Which recipes a format offers is part of
the format's class (``recipes``, :mod:`mobench.exporters.format`); this module
holds what a recipe *is* and how its parity is judged.

Parity rules
------------
Float recipes (``fp32``, ``fp16``) keep the element-wise rule of
:func:`mobench.exporters.checks.compare`: ``max|out - ref| <= rtol * max|ref| + atol``
with rtol 5e-4 (fp32) and 2e-2 (fp16), measured margins documented in
:mod:`.config`. Quantized recipes never reuse or loosen those: an 8-bit or
palettized model is a different function, so it is compared with the fp32
PyTorch model on several seeded inputs by

* cosine similarity of the logit vectors (the minimum over the inputs): the direction, and
* the error relative to the spread of the fp32 logits, ``rms(out - ref) / std(ref)`` (the
  maximum over the inputs): scale and offset too, which cosine cannot see (an output
  scaled by 2 has cosine 1 and spread error 1).

Top-1 agreement is recorded but not judged. The zoo is exported with random weights
(BatchNorm statistics calibrated on random batches, see :mod:`.prepare`); such a network
has no trained class structure and its 1000 logits sit close together (MobileOne-S1:
std 0.5-1.2, the top classes a small fraction of a std apart), so an 8-bit error of a
third of the spread reorders the first places: ONNX Runtime static int8 of S1 agreed on
0 of 8 arg-max classes at a cosine of 0.97, while the fp32 top-1 was in the int8 top 5 on
6 of 8 inputs (chance: 0.5%). Top-1 agreement measures that crowding, not the
quantization; the spread error measures the quantization whatever the logits look like.

Measured (8 inputs: the export's example + 7 seeded; 224x224; ONNX Runtime 1.32 CPU,
ExecuTorch 1.5.1 XNNPACK), min cosine / max spread error: ONNX static QDQ int8 S0
0.946 / 0.42, S1 0.969 / 0.38, S2 0.957 / 0.57, S3 0.959 / 0.39, S4 0.940 / 0.62,
MobileNetV3-Small 0.990 / 0.17; ONNX dynamic int8 (U8U8) S0 0.929 / 0.48, S1 0.968 / 0.45,
S2 0.957 / 0.48, S3 0.950 / 0.58, S4 0.947 / 0.56, MobileNetV3-Small 0.994 / 0.12; ExecuTorch PT2E int8 S0 0.945 / 0.41, S1 0.974 / 0.28, S2 0.947 / 0.36.
The slow suite checks S0, S1, S4 and MobileNetV3-Small against these thresholds for every
recipe. A broken quantization gives a constant output (spread error 1, cosine ~0), a
scaled output (x2: spread error 1), an unrelated one (about 1.4, cosine ~0) or inf/NaN:
ONNX dynamic int8 with signed weights (U8S8) saturated the CPU's 16-bit sums and came out
scaled by 1.6-2.1 (S1: spread error up to 1.36, cosine still 0.93) and fails. Thresholds:

* int8, int8-dynamic, w8a8: min cosine >= 0.90, spread error <= 0.80;
* w8 (8-bit weights, float activations, the smallest change): >= 0.95, <= 0.50;
* palettize6 / palettize4 (6-/4-bit look-up tables per weight tensor): >= 0.90 / >= 0.80,
  spread error <= 0.80 / <= 0.95 (a 16-entry table of random weights is a coarse
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
    max_spread_error: float | None = None  # quantized recipes: max rms(out - ref) / std(ref) against fp32
    calibrated: bool = False  # its result depends on calibration inputs (static activation quantization)

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
            "max_spread_error": self.max_spread_error,
            "samples": PARITY_SAMPLES,
            "seed": PARITY_SEED,
            "criterion": "min cosine(logits) >= min_cosine and max rms(out-ref)/std(ref) <= max_spread_error",
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
        0.80,
        calibrated=True,
    ),
    Recipe(
        "int8-dynamic",
        "8-bit weights, activations quantized at run time (ONNX Runtime dynamic quantization)",
        True,
        0.90,
        0.80,
    ),
    Recipe("w8", "8-bit linear weight quantization, float activations", True, 0.95, 0.50),
    Recipe("palettize6", "6-bit weight palettization (k-means look-up table per tensor)", True, 0.90, 0.80),
    Recipe("palettize4", "4-bit weight palettization (k-means look-up table per tensor)", True, 0.80, 0.95),
    Recipe(
        "w8a8", "8-bit weights and 8-bit activations (calibrated; Core ML iOS17+)", True, 0.90, 0.80, calibrated=True
    ),
):
    RECIPES.register(_r.name, _r)


def recipe(name: str) -> Recipe:
    """The recipe ``name``; a one-line :class:`UsageError` listing the recipes otherwise."""
    return RECIPES.get(name)
