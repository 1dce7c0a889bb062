"""What an export format is: a typed options class, a converter and a predictor (no heavy imports here).

A format is one file that subclasses :class:`ExportFormat` and is registered by one line
(:data:`mobench.exporters.config.FORMATS`, or the ``mobench.exporters`` entry-point group).
It declares, as class attributes, everything the rest of mobench needs to know about it:
its artifact's extension, its recipes (the first is the default), its options class
(a frozen :class:`FormatOptions` dataclass with its own validation and ``from_dict``, as
coremltools.optimize has one config class per compressor) and the op names the
structural checks count. It supplies two hooks:

* :meth:`ExportFormat.convert`: write the artifact for a :class:`ConvertJob` and return a
  typed :class:`Converted` (op histogram, input/output, what the recipe applied, the
  format's own checks);
* :meth:`ExportFormat.predict`: run the saved artifact on inputs (for parity).

The pipeline (:mod:`.pipeline`) owns everything else: capture, parity, structural
checks, the manifest and the atomic save. The class is checked when it is defined
(``__init_subclass__``, as ExecuTorch's ``BackendDetails`` checks ``preprocess``), so a
format missing a hook or declaring an unknown recipe fails on import, not on first use.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.errors import UsageError
from .recipes import RECIPES

if TYPE_CHECKING:
    from ..core.inputs import InputSpec
    from .config import ExportConfig
    from .prepare import Prepared

#: The op kinds every format names for the structural checks (see :mod:`.checks`).
OP_KINDS = ("conv", "batch_norm", "add")
#: The hooks a concrete format must implement.
HOOKS = ("convert", "predict")


def option(default: Any, help: str) -> Any:
    """A :class:`FormatOptions` field: its default and the one-line help the CLI shows."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class FormatOptions:
    """A format's own export options (frozen; one subclass per format).

    Subclasses declare fields with :func:`option` and check them in :meth:`validate`.
    A non-default value suffixes the artifact's stem (:meth:`stem_suffixes`) and enters
    the manifest's config fingerprint (:meth:`fingerprint`), so variants coexist.
    """

    def validate(self) -> FormatOptions:
        """Raise :class:`UsageError` for a bad value; return self."""
        return self

    @classmethod
    def fields(cls) -> list[dataclasses.Field]:
        return list(dataclasses.fields(cls))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> FormatOptions:
        """Options from ``{"name": value}`` (strings are converted to the field's type); validated.

        An unknown key is a one-line :class:`UsageError` listing the options this format has.
        """
        known = {f.name: f for f in cls.fields()}
        unknown = [k for k in values if k not in known]
        if unknown:
            have = ", ".join(known) or "none"
            raise UsageError(f"{cls.__name__} has no option {unknown[0]!r} (options: {have})")
        kwargs = {k: _coerce(known[k], v) for k, v in values.items()}
        return cls(**kwargs).validate()

    def non_default(self) -> dict[str, Any]:
        """The options whose value is not the default."""
        return {f.name: getattr(self, f.name) for f in self.fields() if getattr(self, f.name) != f.default}

    def stem_suffixes(self) -> list[str]:
        """Parts of the artifact's stem for non-default values (``opset18``); override to shorten."""
        return [f"{k}{v}".lower() for k, v in self.non_default().items()]

    def fingerprint(self) -> dict[str, Any]:
        """The options that determine the artifact's content (matched against the manifest)."""
        return dataclasses.asdict(self)


def _coerce(f: dataclasses.Field, value: Any) -> Any:
    """A command-line string as the field's type (int or float defaults); other values as given."""
    if isinstance(value, str) and isinstance(f.default, bool):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise UsageError(f"option {f.name} takes true or false, not {value!r}")
    if isinstance(value, str) and isinstance(f.default, int | float):
        try:
            return type(f.default)(value)
        except ValueError:
            raise UsageError(f"option {f.name} takes a number, not {value!r}") from None
    return value


@dataclass(frozen=True)
class NoOptions(FormatOptions):
    """A format without options of its own."""


@dataclass(frozen=True)
class ConvertJob:
    """What a format converts: the prepared module, the recipe, its own options, where to write."""

    prep: Prepared
    recipe: str
    options: FormatOptions
    config: ExportConfig
    out_dir: Path  # a fresh private folder; the pipeline moves the artifact into place
    stem: str
    model: str
    metadata: dict[str, str]  # description, author, license, mobench.* keys: stamp them into the file
    step: Callable[[str], None]
    extension: str

    @property
    def path(self) -> Path:
        """Where the artifact is written: ``out_dir/<stem><extension>``."""
        return self.out_dir / f"{self.stem}{self.extension}"

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape the module is exported with (batch 1; of its first input when it has several)."""
        return tuple(int(d) for d in self.prep.example_args[0].shape)

    @property
    def input_specs(self) -> tuple[InputSpec, ...] | None:
        """A factory's own inputs (name, shape, dtype), each a graph input of that name and dtype;
        None for the one ``1x3xSxS`` float32 input every registered model takes."""
        return self.prep.inputs.specs if self.prep.inputs is not None else None

    @staticmethod
    def arrays(sample: Any) -> tuple[Any, ...]:
        """One parity sample as its arrays in input order (a sample of a one-input model is its array)."""
        return tuple(sample) if isinstance(sample, tuple) else (sample,)

    @property
    def output_shape(self) -> list[int]:
        return [int(d) for d in self.prep.reference_output.shape]


def first_input(job: ConvertJob, name: str, layout: str) -> dict[str, Any]:
    """:attr:`Converted.input` of an artifact: its one image tensor (``name``, float32, ``layout``), or
    the first of a factory's own inputs (the manifest's ``inputs`` then lists every one)."""
    specs = job.input_specs
    if specs is None:
        return {"name": name, "shape": list(job.input_shape), "dtype": "float32", "layout": layout}
    first = specs[0]
    return {"name": first.name, "shape": [int(x or 0) for x in first.shape], "dtype": first.dtype, "layout": "as given"}


@dataclass(frozen=True)
class Converted:
    """What a format's :meth:`~ExportFormat.convert` wrote (the pipeline adds the rest of the manifest)."""

    path: Path
    op_histogram: dict[str, int]
    input: dict[str, Any]  # name, shape, dtype, layout
    output: dict[str, Any]  # name, shape, dtype
    exporter: dict[str, Any]  # which tool wrote it, with which settings
    recipe_applied: dict[str, Any] = field(default_factory=dict)
    opset: int | None = None
    target: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)  # the format's own structural checks
    counts: dict[str, Any] = field(default_factory=dict)  # extra structural counts (delegation, ...)
    #: A factory's inputs as the artifact takes them, where the format holds an input in another
    #: dtype (Core ML: int64 as int32); None: as :attr:`ConvertJob.input_specs` says.
    inputs: tuple[InputSpec, ...] | None = None


class ExportFormat(ABC):
    """Base class of an export format; see the module docstring.

    Class attributes (checked at definition): ``name``, ``extension`` (with its dot),
    ``description``, ``recipes`` (registered recipe names, the first the default),
    ``options`` (a :class:`FormatOptions` subclass), ``ops`` (op names per kind in
    :data:`OP_KINDS`), ``image_type`` (the format has an image input type that scales and
    biases pixels itself, as Core ML's ``ImageType``).
    """

    name: ClassVar[str]
    extension: ClassVar[str]
    description: ClassVar[str]
    recipes: ClassVar[tuple[str, ...]]
    options: ClassVar[type[FormatOptions]] = NoOptions
    ops: ClassVar[Mapping[str, tuple[str, ...]]]
    image_type: ClassVar[bool] = False

    def __init_subclass__(cls, abstract: bool = False, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if abstract:
            return
        where = f"export format {cls.__module__}.{cls.__qualname__}"
        missing = [h for h in HOOKS if getattr(getattr(cls, h, None), "__isabstractmethod__", False)]
        if missing:
            raise TypeError(f"{where} does not implement {', '.join(missing)}")
        for attr in ("name", "extension", "description", "recipes", "ops"):
            if not getattr(cls, attr, None):
                raise TypeError(f"{where} does not declare {attr}")
        if not cls.extension.startswith("."):
            raise TypeError(f"{where}: extension {cls.extension!r} must start with a dot")
        unknown = [r for r in cls.recipes if r not in RECIPES]
        if unknown:
            raise TypeError(f"{where}: recipe {unknown[0]!r} is not in mobench.exporters.recipes.RECIPES")
        if not (isinstance(cls.options, type) and issubclass(cls.options, FormatOptions)):
            raise TypeError(f"{where}: options must be a FormatOptions dataclass")
        if set(cls.ops) != set(OP_KINDS):
            raise TypeError(f"{where}: ops must name the op kinds {', '.join(OP_KINDS)}")

    @abstractmethod
    def convert(self, job: ConvertJob) -> Converted:
        """Write ``job.path`` (with ``job.metadata`` stamped in) and describe it; raise ExportError on failure."""

    @abstractmethod
    def predict(self, path: Path, inputs: Sequence[Any], job: ConvertJob) -> list[Any]:
        """Run the saved artifact on each sample (numpy arrays in the graph's input space; a model of
        several inputs gets a tuple of arrays per sample, see :meth:`ConvertJob.arrays`); the outputs."""

    def runtime(self) -> str:
        """What :meth:`predict` runs on, for the parity record (``onnxruntime 1.31 CPU``)."""
        return self.name

    def parity_skipped(self, job: ConvertJob) -> str | None:
        """Why this artifact cannot be run here for parity (e.g. Core ML outside macOS), or None."""
        return None

    @classmethod
    def default_recipe(cls) -> str:
        return cls.recipes[0]
