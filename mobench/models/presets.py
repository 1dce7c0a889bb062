"""Named model sets that every command accepts as ``--preset``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..core.errors import UsageError
from ..core.registry import Registry
from ._registry import MODELS, resolve_name
from .user import resolve_user

MOBILEONE = ["mobileone_s0", "mobileone_s1", "mobileone_s2", "mobileone_s3", "mobileone_s4"]

# The paper's Figure 2 / Table 1 correlation set (Vasu et al., CVPR 2023, Figure 2: 21 models).
FIGURE2 = [
    "mobilenet_v1",
    "efficientnet_b0",
    "shufflenet_v2_x2_0",
    "shufflenet_v2_x1_0",
    "mobilenext_140",
    "mobilenet_v2_100",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "mixnet_s",
    "mnasnet_a1",
    *MOBILEONE,
    "mobilevit_s",
    "mobilevit_xs",
    "mobilevit_xxs",
    "deit_tiny",
    "pit_ti",
    "mobileformer_52m",
]

# Every model of the paper's Table 9 (mobench/data/paper_table9_models.csv) plus Figure 2.
PAPER = [
    *MOBILEONE,
    "mobilenet_v1",
    "mobilenet_v2_100",
    "mobilenet_v2_140",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "mixnet_s",
    "mnasnet_a1",
    "shufflenet_v2_x1_0",
    "shufflenet_v2_x2_0",
    "mobilenext_100",
    "mobilenext_140",
    "repvgg_a0",
    "repvgg_a1",
    "repvgg_a2",
    "repvgg_b0",
    "repvgg_b1",
    "mobilevit_xxs",
    "mobilevit_xs",
    "mobilevit_s",
    "deit_tiny",
    "pit_ti",
    "convit_tiny",
    "mobileformer_52m",
    "mobileformer_96m",
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


def is_preset_file(preset: str) -> bool:
    return preset.lower().endswith(".toml") or os.path.isfile(preset)


def preset_file_models(path_str: str) -> list[str]:
    """Canonical names listed in a TOML preset file: ``models = ["mobileone_s0", "net.py:build", "m.onnx"]``.

    Entries are anything ``--model`` takes; relative paths are relative to the file's folder.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
        import tomli as tomllib  # pyright: ignore[reportMissingImports]

    path = Path(path_str).expanduser()
    if not path.is_file():
        raise UsageError(f"preset file {path_str} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"preset file {path.name} is not valid TOML: {exc}") from None
    models = data.get("models")
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        raise UsageError(
            f'preset file {path.name} needs a list of model names: models = ["mobileone_s0", "net.py:build"]'
        )
    base = path.resolve().parent
    out = []
    for m in models:
        user_key = resolve_user(m, base) if m not in MODELS else None
        out.append(user_key or resolve_name(m))
    return out


def preset_models(preset: str) -> list[str]:
    """The model names of ``preset``: a registered preset (``RegistryError`` with close matches if
    unknown) or a ``.toml`` preset file (:func:`preset_file_models`)."""
    if is_preset_file(preset):
        return preset_file_models(preset)
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
