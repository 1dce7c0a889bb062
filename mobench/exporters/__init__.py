"""Exporters: one registry of formats (Core ML .mlpackage, ONNX, ExecuTorch .pte) and recipes, with
structural checks, parity and a manifest. A format is one file (an :class:`ExportFormat` subclass,
see :mod:`.format`) over one pipeline (:mod:`.pipeline`).

Library API (usable without the CLI)::

    from mobench.exporters import ExportConfig, export, export_many, find_artifact, read_manifest

    art = export("mobileone_s0", "coreml", ExportConfig(recipe="palettize4"))
    art.path                  # results/exports/mobileone_s0/mobileone_s0.mlpackage
    art.manifest["op_histogram"]["conv"]   # 43: one conv per fused MobileOne block

    results = export_many(["s0", "mobilenet_v3_small"], "all", ExportConfig(out_dir=Path("out")))
    [r.error for r in results if not r.ok]   # converter failures, per (model, format)

coremltools, onnxruntime and executorch are imported only when an export runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import ArtifactExistsError
from .config import (
    FORMATS,
    PARITY_ATOL,
    PARITY_RTOL,
    Artifact,
    ExportConfig,
    ExportResult,
    all_recipes,
    artifact_stem,
    check_recipe,
    default_recipe,
    expand_formats,
    export_format,
    format_recipes,
)
from .format import Converted, ConvertJob, ExportFormat, FormatOptions
from .manifest import SCHEMA_VERSION, manifest_recipe, read_manifest, validate_manifest
from .recipes import RECIPES, Recipe

# ``export``, ``export_many`` and ``find_artifact`` live in ``pipeline``, which builds models and so
# imports torch: they are loaded on first use, so that ``mobench --help`` (whose export help lists
# the formats and recipes from this package) does not pay for torch.
_PIPELINE = ("export", "export_many", "find_artifact")
if TYPE_CHECKING:
    from .cache import find_or_export
    from .pipeline import export, export_many, find_artifact


def __getattr__(name: str):
    if name == "find_or_export":
        from .cache import find_or_export

        return find_or_export
    if name in _PIPELINE:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Artifact",
    "ArtifactExistsError",
    "ConvertJob",
    "Converted",
    "ExportFormat",
    "FormatOptions",
    "export_format",
    "manifest_recipe",
    "ExportConfig",
    "ExportResult",
    "FORMATS",
    "PARITY_ATOL",
    "PARITY_RTOL",
    "RECIPES",
    "Recipe",
    "SCHEMA_VERSION",
    "all_recipes",
    "check_recipe",
    "default_recipe",
    "format_recipes",
    "artifact_stem",
    "expand_formats",
    "export",
    "export_many",
    "find_artifact",
    "find_or_export",
    "read_manifest",
    "validate_manifest",
]
