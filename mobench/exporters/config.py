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
from .recipes import RECIPES

#: Export formats, registered once: name -> the format's module (``convert(...)``, imported on
#: first use). The meta is plain data read without importing the converter: the artifact's
#: extension, the recipes the format offers (first = default), its own options (whose
#: non-default values suffix the artifact's stem) and the op names its structural checks count.
#: Other distributions add formats through the ``mobench.exporters`` entry-point group.
FORMATS: Registry[Any] = Registry("export format", group="mobench.exporters", hint="or 'all' on the command line")
FORMATS.register(
    "coreml",
    "mobench.exporters.coreml:",
    extension=".mlpackage",
    recipes=("fp16", "fp32", "int8", "w8", "palettize6", "palettize4", "w8a8"),
    options=("target",),
    ops={"conv": ("conv",), "batch_norm": ("batch_norm",), "add": ("add",)},
    description="Core ML ML program (.mlpackage), coremltools",
    image_type=True,
)
FORMATS.register(
    "onnx",
    "mobench.exporters.onnx:",
    extension=".onnx",
    recipes=("fp32", "fp16", "int8", "int8-dynamic"),
    options=("opset",),
    ops={
        "conv": ("Conv", "QLinearConv", "ConvInteger"),
        "batch_norm": ("BatchNormalization",),
        "add": ("Add", "Sum", "QLinearAdd"),
    },
    description="ONNX graph (.onnx), torch.onnx + onnxruntime.quantization",
)
FORMATS.register(
    "executorch",
    "mobench.exporters.executorch:",
    extension=".pte",
    recipes=("fp32", "int8"),
    options=("delegate",),  # target: only with the Core ML delegate
    ops={
        "conv": ("aten.convolution.default",),
        "batch_norm": ("aten._native_batch_norm_legit_no_training.default", "aten.native_batch_norm.default"),
        "add": ("aten.add.Tensor",),
    },
    description="ExecuTorch program (.pte), XNNPACK (default) or Core ML delegate",
)
INPUT_KINDS: tuple[str, ...] = ("tensor", "image")
TARGETS: tuple[str, ...] = ("iOS15", "iOS16", "iOS17", "iOS18")
DELEGATES: tuple[str, ...] = ("xnnpack", "coreml")
DEFAULT_TARGET = "iOS16"
DEFAULT_OPSET = 17
DEFAULT_DELEGATE = "xnnpack"
DEFAULT_RESOLUTION = 224
# Opsets the TorchScript ONNX exporter of torch 2.8+ writes (and ONNX Runtime >= 1.20 runs).
OPSET_RANGE = (13, 20)


def format_recipes(fmt: str) -> tuple[str, ...]:
    """The recipes ``fmt`` offers; the first is its default."""
    return tuple(FORMATS.meta(fmt).get("recipes") or ("fp32",))


def default_recipe(fmt: str) -> str:
    return format_recipes(fmt)[0]


def extension(fmt: str) -> str:
    return FORMATS.meta(fmt).get("extension", "")


def format_options(fmt: str) -> tuple[str, ...]:
    return tuple(FORMATS.meta(fmt).get("options") or ())


def all_recipes() -> list[str]:
    """Every recipe some registered format offers (in registry order)."""
    offered = {r for f in FORMATS.names() for r in format_recipes(f)}
    return [r for r in RECIPES.names() if r in offered]


def check_recipe(fmt: str, name: str) -> str:
    """``name`` if ``fmt`` offers it, else a one-line :class:`UsageError` listing what it offers."""
    valid = format_recipes(fmt)
    if name not in RECIPES:
        raise UsageError(f"unknown recipe {name!r}; valid recipes: {', '.join(all_recipes())}")
    if name not in valid:
        raise UsageError(f"format {fmt} has no recipe {name!r}; {fmt} recipes: {', '.join(valid)}")
    return name


def formats_help() -> str:
    """``coreml, onnx, executorch or all`` (for CLI help)."""
    return ", ".join(FORMATS.names()) + " or all"


def recipes_help() -> str:
    """``coreml: fp16 (default), fp32, ...; onnx: ...`` (for CLI help)."""
    return (
        "; ".join(f"{f}: {', '.join(format_recipes(f))}" for f in FORMATS.names())
        + " (the first of each is its default)"
    )


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
    """How to export. ``recipe=None`` means the format's default (Core ML fp16, ONNX and ExecuTorch fp32).

    ``precision`` is the former name of ``recipe`` and still accepted (both with different values: an error).
    """

    recipe: str | None = None  # None = the format's default; see format_recipes()
    input_kind: str = "tensor"  # "tensor" | "image"
    target: str = DEFAULT_TARGET  # Core ML minimum deployment target
    opset: int = DEFAULT_OPSET  # ONNX opset
    resolution: int = DEFAULT_RESOLUTION
    checkpoint: str | None = None
    reparameterize: bool = True  # False = --no-reparam (the paper's ablation)
    out_dir: Path = field(default_factory=_default_out_dir)
    force: bool = False
    check_parity: bool = True
    precision: str | None = None  # alias of recipe
    delegate: str = DEFAULT_DELEGATE  # ExecuTorch backend delegate: xnnpack | coreml
    calibration_dir: str | None = None  # images for static quantization (default: seeded synthetic inputs)

    def validate(self) -> ExportConfig:
        """Raise :class:`UsageError` for an option no exporter accepts; return self."""
        if self.recipe is not None and self.precision is not None and self.recipe != self.precision:
            raise UsageError(f"--recipe {self.recipe} and --precision {self.precision} disagree; pass only --recipe")
        name = self.recipe or self.precision
        if name is not None and name not in all_recipes():
            raise UsageError(f"unknown recipe {name!r}; valid recipes: {', '.join(all_recipes())}")
        if self.input_kind not in INPUT_KINDS:
            raise UsageError(f"unknown input kind {self.input_kind!r}; use one of: {', '.join(INPUT_KINDS)}")
        if self.target not in TARGETS:
            close = [t for t in TARGETS if t.lower() == str(self.target).lower()]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"unknown Core ML target {self.target!r}{hint}; use one of: {', '.join(TARGETS)}")
        if not isinstance(self.opset, int) or not OPSET_RANGE[0] <= self.opset <= OPSET_RANGE[1]:
            raise UsageError(f"ONNX opset must be an integer in {OPSET_RANGE[0]}..{OPSET_RANGE[1]}, not {self.opset!r}")
        if self.delegate not in DELEGATES:
            raise UsageError(f"unknown ExecuTorch delegate {self.delegate!r}; use one of: {', '.join(DELEGATES)}")
        if not isinstance(self.resolution, int) or not 32 <= self.resolution <= 1024:
            raise UsageError(f"resolution must be an integer in 32..1024 pixels, not {self.resolution!r}")
        if self.checkpoint is not None and not Path(self.checkpoint).is_file():
            raise UsageError(f"checkpoint {self.checkpoint} does not exist (pass the path of a .pth/.pth.tar file)")
        if self.calibration_dir is not None and not Path(self.calibration_dir).is_dir():
            raise UsageError(f"calibration folder {self.calibration_dir} does not exist (pass a folder of images)")
        return self

    def recipe_for(self, fmt: str) -> str:
        """The recipe ``fmt`` is exported with (checked: a one-line error if ``fmt`` lacks it)."""
        return check_recipe(fmt, self.recipe or self.precision or default_recipe(fmt))

    precision_for = recipe_for


@dataclass(frozen=True)
class Artifact:
    """One exported model file and its manifest entry."""

    model: str
    format: str
    path: Path
    manifest_path: Path
    manifest: dict = field(repr=False)  # this artifact's entry of manifest.json


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
        for g in FORMATS if f == "all" else (f,):
            check_format(g)
            if g not in out:
                out.append(g)
    if not out:
        raise UsageError(f"no export format given; use --format {formats_help()}")
    return out


#: Format options: name -> (default, stem suffix for a non-default value).
_OPTION_SUFFIX = {
    "target": (DEFAULT_TARGET, lambda v: str(v).lower()),
    "opset": (DEFAULT_OPSET, lambda v: f"opset{v}"),
    "delegate": (DEFAULT_DELEGATE, lambda v: str(v)),
}


def artifact_stem(model_name: str, fmt: str, config: ExportConfig, checkpoint_sha256: str | None = None) -> str:
    """The canonical name for default options, plus one suffix per non-default option.

    Order: ``_unfused``, ``_image``, recipe (``_fp32`` for Core ML, ``_int8``,
    ``_palettize4``, ...), ``_r<resolution>``, the format's own options
    (``_ios<N>``, ``_opset<N>``, ``_coreml`` delegate), ``_ckpt<sha8>``. So
    variants coexist: ``mobileone_s0``, ``mobileone_s0_unfused``,
    ``mobileone_s0_image_fp32``, ``mobileone_s0_int8``.
    """
    check_format(fmt)
    parts = [safe_filename(model_name)]
    if not config.reparameterize:
        parts.append("unfused")
    if config.input_kind != "tensor":
        parts.append(config.input_kind)
    recipe = config.recipe_for(fmt)
    if recipe != default_recipe(fmt):
        parts.append(recipe)
    if config.resolution != DEFAULT_RESOLUTION:
        parts.append(f"r{config.resolution}")
    for opt in format_options(fmt):
        default, suffix = _OPTION_SUFFIX[opt]
        value = getattr(config, opt)
        if value != default:
            parts.append(suffix(value))
    if config.checkpoint is not None and checkpoint_sha256:
        parts.append(f"ckpt{checkpoint_sha256[:8]}")
    return "_".join(parts)


def config_fingerprint(fmt: str, config: ExportConfig, checkpoint_sha256: str | None) -> dict[str, Any]:
    """The options that determine an artifact's content (stored in, and matched against, the manifest)."""
    fp: dict[str, Any] = {
        "format": fmt,
        "precision": config.recipe_for(fmt),
        "input_kind": config.input_kind,
        "target": config.target if "target" in format_options(fmt) else None,
        "opset": config.opset if "opset" in format_options(fmt) else None,
        "resolution": config.resolution,
        "reparameterize": config.reparameterize,
        "checkpoint_sha256": checkpoint_sha256,
    }
    if "delegate" in format_options(fmt):
        fp["delegate"] = config.delegate
        if config.delegate == "coreml":  # the Core ML delegate converts for a deployment target
            fp["target"] = config.target
    if config.calibration_dir and recipe_is_calibrated(fp["precision"]):
        fp["calibration_dir"] = str(Path(config.calibration_dir).resolve())
    return fp


def recipe_is_calibrated(name: str) -> bool:
    """Recipes whose result depends on calibration inputs (static activation quantization)."""
    return name in ("int8", "w8a8")


def config_dict(config: ExportConfig) -> dict[str, Any]:
    d = asdict(config)
    d["out_dir"] = str(config.out_dir)
    return d
