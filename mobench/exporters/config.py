"""Export options, results and the artifact naming scheme (no heavy imports here).

:class:`ExportConfig` is what library users and the CLI pass in; :class:`Artifact`
is what an export produced (path + its manifest entry); :class:`ExportResult` is
one cell of a multi-model export (an artifact or the converter's reason).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import UsageError
from ..core.registry import Registry
from ..core.util import default_results_dir, safe_filename

#: Export formats: name -> the converter module (``convert(prep, name, precision, config, out)``,
#: ``parity(...)``), imported on first use. Other distributions add formats through the
#: ``mobench.exporters`` entry-point group.
FORMATS: Registry[Any] = Registry("export format", group="mobench.exporters", hint="or 'all' on the command line")
FORMATS.register("coreml", "mobench.exporters.coreml:", extension=".mlpackage", default_precision="fp16")
FORMATS.register("onnx", "mobench.exporters.onnx:", extension=".onnx", default_precision="fp32")
PRECISIONS: tuple[str, ...] = ("fp16", "fp32")
INPUT_KINDS: tuple[str, ...] = ("tensor", "image")
TARGETS: tuple[str, ...] = ("iOS15", "iOS16", "iOS17", "iOS18")
DEFAULT_PRECISION = {"coreml": "fp16", "onnx": "fp32"}
DEFAULT_TARGET = "iOS16"
DEFAULT_OPSET = 17
DEFAULT_RESOLUTION = 224
# Opsets the TorchScript ONNX exporter of torch 2.8+ writes (and ONNX Runtime >= 1.20 runs).
OPSET_RANGE = (13, 20)
EXTENSIONS = {"coreml": ".mlpackage", "onnx": ".onnx"}

# ImageNet normalization, the preprocessing every model of the zoo was trained with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Parity tolerance: max|out - ref| <= RTOL[precision] * max|ref| + ATOL.
# Relative to the largest reference logit, not element-wise: near-zero logits have
# no meaningful relative error, and the scale of random-weight logits varies by
# orders of magnitude between models. Measured for fp32 over the whole `paper`
# preset (29 models, ONNX Runtime 1.31 CPU vs PyTorch 2.14): 6e-7 .. 3.5e-5 of the
# logit range (worst: MobileNeXt; MobileOne S0 1.9e-5). 5e-4 leaves >10x room for
# other CPUs' summation orders. fp16 keeps ~3 significant digits per op and the
# error grows with depth; 2e-2 (2% of the logit range) still catches a wrong
# graph (a missing branch or wrong weights is off by O(1) of the range).
PARITY_RTOL = {"fp32": 5e-4, "fp16": 2e-2}
PARITY_ATOL = 1e-5


def _default_out_dir() -> Path:
    return default_results_dir() / "exports"


@dataclass(frozen=True)
class ExportConfig:
    """How to export. ``precision=None`` means the format's default (Core ML fp16, ONNX fp32)."""

    precision: str | None = None      # None = the format's default: coreml fp16, onnx fp32
    input_kind: str = "tensor"        # "tensor" | "image"
    target: str = DEFAULT_TARGET      # Core ML minimum deployment target
    opset: int = DEFAULT_OPSET        # ONNX opset
    resolution: int = DEFAULT_RESOLUTION
    checkpoint: str | None = None
    reparameterize: bool = True       # False = --no-reparam (the paper's ablation)
    out_dir: Path = field(default_factory=_default_out_dir)
    force: bool = False
    check_parity: bool = True

    def validate(self) -> ExportConfig:
        """Raise :class:`UsageError` for an option no exporter accepts; return self."""
        if self.precision is not None and self.precision not in PRECISIONS:
            raise UsageError(f"unknown precision {self.precision!r}; use one of: {', '.join(PRECISIONS)}")
        if self.input_kind not in INPUT_KINDS:
            raise UsageError(f"unknown input kind {self.input_kind!r}; use one of: {', '.join(INPUT_KINDS)}")
        if self.target not in TARGETS:
            close = [t for t in TARGETS if t.lower() == str(self.target).lower()]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"unknown Core ML target {self.target!r}{hint}; use one of: {', '.join(TARGETS)}")
        if not isinstance(self.opset, int) or not OPSET_RANGE[0] <= self.opset <= OPSET_RANGE[1]:
            raise UsageError(f"ONNX opset must be an integer in {OPSET_RANGE[0]}..{OPSET_RANGE[1]}, not {self.opset!r}")
        if not isinstance(self.resolution, int) or not 32 <= self.resolution <= 1024:
            raise UsageError(f"resolution must be an integer in 32..1024 pixels, not {self.resolution!r}")
        if self.checkpoint is not None and not Path(self.checkpoint).is_file():
            raise UsageError(f"checkpoint {self.checkpoint} does not exist (pass the path of a .pth/.pth.tar file)")
        return self

    def precision_for(self, fmt: str) -> str:
        return self.precision or DEFAULT_PRECISION[fmt]


@dataclass(frozen=True)
class Artifact:
    """One exported model file and its manifest entry."""

    model: str
    format: str
    path: Path
    manifest_path: Path
    manifest: dict = field(repr=False)   # this artifact's entry of manifest.json


@dataclass(frozen=True)
class ExportResult:
    """One (model, format) cell of :func:`export_many`: an artifact, or the reason it failed."""

    model: str
    format: str
    artifact: Artifact | None
    error: str | None
    seconds: float
    reused: bool = False

    @property
    def ok(self) -> bool:
        return self.artifact is not None and self.error is None


def check_format(fmt: str) -> str:
    return FORMATS.check(fmt)


def expand_formats(formats: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"all"`` or one name or a list of names -> validated format names, in order."""
    items = [formats] if isinstance(formats, str) else list(formats)
    out: list[str] = []
    for f in items:
        for g in (FORMATS if f == "all" else (f,)):
            check_format(g)
            if g not in out:
                out.append(g)
    if not out:
        raise UsageError("no export format given; use --format coreml, onnx or all")
    return out


def artifact_stem(model_name: str, fmt: str, config: ExportConfig, checkpoint_sha256: str | None = None) -> str:
    """The canonical name for default options, plus one suffix per non-default option.

    Order: ``_unfused``, ``_image``, precision (``_fp32`` for Core ML, ``_fp16`` for
    ONNX), ``_r<resolution>``, ``_ios<N>`` / ``_opset<N>``, ``_ckpt<sha8>``. So
    variants coexist: ``mobileone_s0``, ``mobileone_s0_unfused``,
    ``mobileone_s0_image_fp32``.
    """
    check_format(fmt)
    parts = [safe_filename(model_name)]
    if not config.reparameterize:
        parts.append("unfused")
    if config.input_kind != "tensor":
        parts.append(config.input_kind)
    precision = config.precision_for(fmt)
    if precision != DEFAULT_PRECISION[fmt]:
        parts.append(precision)
    if config.resolution != DEFAULT_RESOLUTION:
        parts.append(f"r{config.resolution}")
    if fmt == "coreml" and config.target != DEFAULT_TARGET:
        parts.append(config.target.lower())
    if fmt == "onnx" and config.opset != DEFAULT_OPSET:
        parts.append(f"opset{config.opset}")
    if config.checkpoint is not None and checkpoint_sha256:
        parts.append(f"ckpt{checkpoint_sha256[:8]}")
    return "_".join(parts)


def config_fingerprint(fmt: str, config: ExportConfig, checkpoint_sha256: str | None) -> dict[str, Any]:
    """The options that determine an artifact's content (stored in, and matched against, the manifest)."""
    return {
        "format": fmt,
        "precision": config.precision_for(fmt),
        "input_kind": config.input_kind,
        "target": config.target if fmt == "coreml" else None,
        "opset": config.opset if fmt == "onnx" else None,
        "resolution": config.resolution,
        "reparameterize": config.reparameterize,
        "checkpoint_sha256": checkpoint_sha256,
    }


def config_dict(config: ExportConfig) -> dict[str, Any]:
    d = asdict(config)
    d["out_dir"] = str(config.out_dir)
    return d
