"""Exporters: Core ML (.mlpackage) and ONNX, with structural checks, parity and a manifest.

Library API (usable without the CLI)::

    from mobench.exporters import ExportConfig, export, export_many, find_artifact, read_manifest

    art = export("mobileone_s0", "coreml", ExportConfig(precision="fp16"))
    art.path                  # results/exports/mobileone_s0/mobileone_s0.mlpackage
    art.manifest["op_histogram"]["conv"]   # 43: one conv per fused MobileOne block

    results = export_many(["s0", "mobilenet_v3_small"], "all", ExportConfig(out_dir=Path("out")))
    [r.error for r in results if not r.ok]   # converter failures, per (model, format)

coremltools and onnxruntime are imported only when an export runs.
"""

from __future__ import annotations

from ..core.errors import ArtifactExistsError
from .config import (
    DEFAULT_PRECISION,
    FORMATS,
    PARITY_ATOL,
    PARITY_RTOL,
    Artifact,
    ExportConfig,
    ExportResult,
    artifact_stem,
    expand_formats,
)
from .manifest import SCHEMA_VERSION, read_manifest, validate_manifest
from .pipeline import export, export_many, find_artifact

__all__ = [
    "Artifact",
    "ArtifactExistsError",
    "DEFAULT_PRECISION",
    "ExportConfig",
    "ExportResult",
    "FORMATS",
    "PARITY_ATOL",
    "PARITY_RTOL",
    "SCHEMA_VERSION",
    "artifact_stem",
    "expand_formats",
    "export",
    "export_many",
    "find_artifact",
    "read_manifest",
    "validate_manifest",
]
