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
from .format import ExportFormat, FormatOptions
from .recipes import RECIPES

#: Export formats, registered once: name -> the format's :class:`~.format.ExportFormat` subclass
#: (``"module:Class"``, imported on first use; a format module imports its converter's library only
#: when it converts, so listing formats and recipes stays light). Everything about a format (its
#: extension, recipes, options class, op names) lives in its own file. Other distributions add
#: formats through the ``mobench.exporters`` entry-point group.
FORMATS: Registry[type[ExportFormat]] = Registry(
    "export format", group="mobench.exporters", hint="or 'all' on the command line"
)
FORMATS.register("coreml", "mobench.exporters.coreml:CoreMLFormat")
FORMATS.register("onnx", "mobench.exporters.onnx:OnnxFormat")
FORMATS.register("executorch", "mobench.exporters.executorch:ExecuTorchFormat")

INPUT_KINDS: tuple[str, ...] = ("tensor", "image")
DEFAULT_RESOLUTION = 224


def export_format(fmt: str) -> type[ExportFormat]:
    """The format class registered as ``fmt`` (unknown names: the registry's close-match error)."""
    cls = FORMATS.get(fmt)
    if not (isinstance(cls, type) and issubclass(cls, ExportFormat)):
        raise UsageError(f"export format {fmt!r} is registered with {cls!r}, not an ExportFormat subclass")
    return cls


def format_recipes(fmt: str) -> tuple[str, ...]:
    """The recipes ``fmt`` offers; the first is its default."""
    return tuple(export_format(fmt).recipes)


def default_recipe(fmt: str) -> str:
    return format_recipes(fmt)[0]


def extension(fmt: str) -> str:
    return export_format(fmt).extension


def format_options(fmt: str) -> type[FormatOptions]:
    """The options class of ``fmt``."""
    return export_format(fmt).options


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


def format_options_help() -> str:
    """``coreml: target (iOS16) ...; onnx: opset (17) ...`` (for CLI help), read from each format's options class."""
    parts = []
    for f in FORMATS.names():
        fields = format_options(f).fields()
        if fields:
            opts = ", ".join(f"{x.name}={x.default} ({x.metadata.get('help', '')})" for x in fields)
            parts.append(f"{f}: {opts}")
    return "; ".join(parts)


def parse_format_options(items: list[str] | tuple[str, ...], formats: list[str]) -> tuple[FormatOptions, ...]:
    """``["opset=18", "target=iOS17"]`` -> each format's options object holding the keys it declares.

    A key that none of ``formats`` declares is a one-line :class:`UsageError` naming each format's options.
    """
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--format-option takes KEY=VALUE, not {item!r}")
        values[key.strip()] = value.strip()
    out: list[FormatOptions] = []
    used: set[str] = set()
    for f in formats:
        cls = format_options(f)
        names = {x.name for x in cls.fields()}
        mine = {k: v for k, v in values.items() if k in names}
        used |= mine.keys()
        if mine:
            out.append(cls.from_dict(mine))
    unused = [k for k in values if k not in used]
    if unused:
        have = "; ".join(f"{f}: {', '.join(x.name for x in format_options(f).fields()) or 'none'}" for f in formats)
        raise UsageError(f"no selected export format has the option {unused[0]!r} ({have})")
    return tuple(out)


# ImageNet normalization, the preprocessing every model of the zoo was trained with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Parity tolerance: max|out - ref| <= RTOL[recipe] * max|ref| + ATOL.
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
    """How to export. ``recipe=None`` means each format's default (Core ML fp16, ONNX and ExecuTorch fp32).

    ``format_options`` holds typed options of individual formats (``OnnxOptions(opset=18)``,
    ``CoreMLOptions(target="iOS17")``); a format without an entry there uses its defaults.
    """

    recipe: str | None = None  # None = the format's default; see format_recipes()
    input_kind: str = "tensor"  # "tensor" | "image"
    resolution: int = DEFAULT_RESOLUTION
    checkpoint: str | None = None
    reparameterize: bool = True  # False = --no-reparam (the paper's ablation)
    out_dir: Path = field(default_factory=_default_out_dir)
    force: bool = False
    check_parity: bool = True
    calibration_dir: str | None = None  # images for static quantization (default: seeded synthetic inputs)
    format_options: tuple[FormatOptions, ...] = ()

    def validate(self) -> ExportConfig:
        """Raise :class:`UsageError` for an option no exporter accepts; return self."""
        if self.recipe is not None and self.recipe not in all_recipes():
            raise UsageError(f"unknown recipe {self.recipe!r}; valid recipes: {', '.join(all_recipes())}")
        if self.input_kind not in INPUT_KINDS:
            raise UsageError(f"unknown input kind {self.input_kind!r}; use one of: {', '.join(INPUT_KINDS)}")
        if not isinstance(self.resolution, int) or not 32 <= self.resolution <= 1024:
            raise UsageError(f"resolution must be an integer in 32..1024 pixels, not {self.resolution!r}")
        if self.checkpoint is not None and not Path(self.checkpoint).is_file():
            raise UsageError(f"checkpoint {self.checkpoint} does not exist (pass the path of a .pth/.pth.tar file)")
        if self.calibration_dir is not None and not Path(self.calibration_dir).is_dir():
            raise UsageError(f"calibration folder {self.calibration_dir} does not exist (pass a folder of images)")
        kinds = [type(o) for o in self.format_options]
        for o in self.format_options:
            if not isinstance(o, FormatOptions):
                raise UsageError(f"format_options holds {o!r}, not a format's options object")
            if kinds.count(type(o)) > 1:
                raise UsageError(f"format_options holds two {type(o).__name__} objects; pass one")
            o.validate()
        return self

    def recipe_for(self, fmt: str) -> str:
        """The recipe ``fmt`` is exported with (checked: a one-line error if ``fmt`` lacks it)."""
        return check_recipe(fmt, self.recipe or default_recipe(fmt))

    def options_for(self, fmt: str) -> FormatOptions:
        """``fmt``'s options: the entry of :attr:`format_options` of its class, else its defaults."""
        cls = format_options(fmt)
        for o in self.format_options:
            if type(o) is cls:
                return o
        return cls()


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


def artifact_stem(model_name: str, fmt: str, config: ExportConfig, checkpoint_sha256: str | None = None) -> str:
    """The canonical name for default options, plus one suffix per non-default option.

    Order: ``_unfused``, ``_image``, recipe (``_fp32`` for Core ML, ``_int8``,
    ``_palettize4``, ...), ``_r<resolution>``, the format's own options (its options
    class's ``stem_suffixes``: ``_ios<N>``, ``_opset<N>``, ``_coreml`` delegate),
    ``_ckpt<sha8>``. So variants coexist: ``mobileone_s0``, ``mobileone_s0_unfused``,
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
    parts += [safe_filename(p) for p in config.options_for(fmt).stem_suffixes()]
    if config.checkpoint is not None and checkpoint_sha256:
        parts.append(f"ckpt{checkpoint_sha256[:8]}")
    return "_".join(parts)


#: Keys every manifest's config fingerprint has held (``None`` where a format does not use them);
#: kept so that artifacts exported before formats declared their own options are still found.
_FINGERPRINT_COMMON = {"target": None, "opset": None}


def config_fingerprint(fmt: str, config: ExportConfig, checkpoint_sha256: str | None) -> dict[str, Any]:
    """The options that determine an artifact's content (stored in, and matched against, the manifest)."""
    recipe = config.recipe_for(fmt)
    fp: dict[str, Any] = {
        "format": fmt,
        "recipe": recipe,
        "input_kind": config.input_kind,
        **_FINGERPRINT_COMMON,
        "resolution": config.resolution,
        "reparameterize": config.reparameterize,
        "checkpoint_sha256": checkpoint_sha256,
    }
    fp.update(config.options_for(fmt).fingerprint())
    if config.calibration_dir and RECIPES.get(recipe).calibrated:
        fp["calibration_dir"] = str(Path(config.calibration_dir).resolve())
    return fp


def stored_fingerprint(entry: dict[str, Any]) -> dict[str, Any]:
    """A manifest entry's fingerprint in today's keys (manifests before the rename say ``precision``)."""
    fp = dict(entry.get("config") or {})
    if "precision" in fp and "recipe" not in fp:
        fp["recipe"] = fp.pop("precision")
    return fp


def config_dict(config: ExportConfig) -> dict[str, Any]:
    d = asdict(config)
    d["out_dir"] = str(config.out_dir)
    d["format_options"] = {type(o).__name__: asdict(o) for o in config.format_options}
    return d
