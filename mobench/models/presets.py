"""Named model sets that every command accepts as ``--preset``."""

from __future__ import annotations

from collections.abc import Iterable

from ..core.errors import UsageError
from ..core.registry import Registry
from ._registry import resolve_name

MOBILEONE = ["mobileone_s0", "mobileone_s1", "mobileone_s2", "mobileone_s3", "mobileone_s4"]

# The paper's Figure 2 / Table 1 correlation set (Vasu et al., CVPR 2023, Figure 2: 21 models).
FIGURE2 = [
    "mobilenet_v1", "efficientnet_b0", "shufflenet_v2_x2_0", "shufflenet_v2_x1_0",
    "mobilenext_140", "mobilenet_v2_100", "mobilenet_v3_small", "mobilenet_v3_large",
    "mixnet_s", "mnasnet_a1", *MOBILEONE, "mobilevit_s", "mobilevit_xs", "mobilevit_xxs",
    "deit_tiny", "pit_ti", "mobileformer_52m",
]

# Every model of the paper's Table 9 (mobench/data/paper_table9_models.csv) plus Figure 2.
PAPER = [
    *MOBILEONE,
    "mobilenet_v1", "mobilenet_v2_100", "mobilenet_v2_140", "mobilenet_v3_small",
    "mobilenet_v3_large", "efficientnet_b0", "mixnet_s", "mnasnet_a1",
    "shufflenet_v2_x1_0", "shufflenet_v2_x2_0", "mobilenext_100", "mobilenext_140",
    "repvgg_a0", "repvgg_a1", "repvgg_a2", "repvgg_b0", "repvgg_b1",
    "mobilevit_xxs", "mobilevit_xs", "mobilevit_s", "deit_tiny", "pit_ti", "convit_tiny",
    "mobileformer_52m", "mobileformer_96m",
]

# A few small, quick models for smoke runs and tests.
QUICK = ["mobileone_s0", "mobilenet_v3_small", "mobilenet_v2_100"]

#: Named model sets; other distributions add theirs through the ``mobench.presets``
#: entry-point group (``name = "package.module:LIST"``).
PRESETS: Registry[list[str]] = Registry("preset", group="mobench.presets")
PRESETS.register("mobileone", MOBILEONE)
PRESETS.register("quick", QUICK)
PRESETS.register("figure2", FIGURE2)
PRESETS.register("paper", PAPER)


def preset_models(preset: str) -> list[str]:
    """The model names of ``preset`` (``RegistryError`` with close matches if unknown)."""
    return list(PRESETS.get(preset))


def resolve_models(models: Iterable[str] | None = None, preset: str | None = None) -> list[str]:
    """Canonical names from ``--model`` values and/or a ``--preset``, de-duplicated, in order."""
    names: list[str] = []
    if preset:
        names.extend(preset_models(preset))
    for m in models or ():
        names.append(resolve_name(m))
    if not names:
        raise UsageError("no models given: pass --model NAME (repeatable) or --preset NAME")
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]
