"""A model's inputs: what it takes, what the user fixes, and what a run feeds it.

:class:`InputSpec` is one input as the model declares it (read from the model:
ONNX graph inputs, ExecuTorch method metadata, the Core ML model description, a
factory's example inputs): its name, its dims (a fixed size, or free with the
model's symbolic name when it has one), its dtype, and where its values come
from (``seeded`` or ``file``).

:func:`resolve` fixes every free dim with the rules every command shares:

- ``--input NAME=DIMS`` sets the dims of one input (``x=1x3x640x640``; a scalar
  is ``sr=scalar``). A dim that contradicts a fixed one, an unknown name, a
  malformed or non-positive dim: :class:`UsageError`, one line.
- ``--input-data FILE.npz`` gives named arrays fed exactly as given: every input
  of the model and no other, each of the model's dtype and a shape that fits.
- A free leading batch dim (first dim of an input of rank >= 2) becomes 1 and the
  notes say so; a free dim sharing a symbolic name with a fixed one takes its size.
- Any other free dim stops the command with one line listing every input
  (``x: [batch?, 3, height?, width?] float32``) and an ``--input`` line to copy.

:func:`feed` turns resolved inputs into arrays, each in its own dtype: seeded
standard-normal floats, small non-negative integers (valid as indices) for
integer inputs, ``True`` for bool - or the arrays of the ``.npz`` file.

numpy is imported lazily (this module is on the CLI's import path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import UsageError

#: dtypes mobench feeds (numpy names)
DTYPES = ("float32", "float16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool")
FLOAT_DTYPES = ("float32", "float16", "float64")
INT_HIGH = 4  # integer inputs get values in [0, INT_HIGH): valid indices into any axis of size >= 4
SCALAR = "scalar"
_NAME = re.compile(r"^[^=\s]+$")


@dataclass(frozen=True)
class InputDim:
    """One dim of an input: a size, or free (``size is None``) with the model's symbolic name if any.

    ``fixed=False`` marks a size the model reports but does not require (a PyTorch
    module's example input): ``--input`` may change it without contradicting it.
    """

    size: int | None = None
    symbol: str | None = None
    fixed: bool = True

    @property
    def free(self) -> bool:
        return self.size is None

    def text(self) -> str:
        if self.size is None:
            return f"{self.symbol or ''}?"
        return str(self.size)


@dataclass(frozen=True)
class InputSpec:
    """One model input (see the module docstring)."""

    name: str
    dims: tuple[InputDim, ...]
    dtype: str = "float32"
    kind: str = "tensor"  # "tensor" or "image" (a Core ML image input)
    source: str = "seeded"  # "seeded" or "file" (values from --input-data)

    @property
    def shape(self) -> tuple[int | None, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def free(self) -> bool:
        return any(d.free for d in self.dims)

    def dims_text(self) -> str:
        return "[" + ", ".join(d.text() for d in self.dims) + "]"

    def describe(self) -> str:
        """``x: [batch?, 3, height?, width?] float32``"""
        return f"{self.name}: {self.dims_text()} {self.dtype}" + (" image" if self.kind == "image" else "")

    def shape_text(self) -> str:
        """``1x3x640x640`` (``scalar`` for rank 0); free dims as ``?``."""
        return "x".join("?" if s is None else str(s) for s in self.shape) or SCALAR

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": list(self.shape),
            "symbols": [d.symbol for d in self.dims],
            "fixed": [d.fixed for d in self.dims],
            "dtype": self.dtype,
            "kind": self.kind,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InputSpec:
        shape = list(d.get("shape") or [])
        symbols = list(d.get("symbols") or [None] * len(shape))
        fixed = list(d.get("fixed") or [True] * len(shape))
        dims = tuple(
            InputDim(None if s is None else int(s), sym, bool(f))
            for s, sym, f in zip(shape, symbols, fixed, strict=False)
        )
        return cls(
            name=str(d["name"]),
            dims=dims,
            dtype=str(d.get("dtype") or "float32"),
            kind=str(d.get("kind") or "tensor"),
            source=str(d.get("source") or "seeded"),
        )


def spec(name: str, shape: list[int | None] | tuple[int | None, ...], dtype: str = "float32", **kw: Any) -> InputSpec:
    """An :class:`InputSpec` from a plain shape (``None`` = free)."""
    return InputSpec(name, tuple(InputDim(s) for s in shape), dtype, **kw)


@dataclass(frozen=True)
class InputData:
    """An ``--input-data`` file: where it is and its sha256 (stored with the run)."""

    path: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class Inputs:
    """A model's inputs with every dim fixed: what one measurement feeds."""

    specs: tuple[InputSpec, ...]
    data: InputData | None = None
    notes: tuple[str, ...] = ()
    default: bool = True  # the shapes the model gives by itself (batch 1), seeded values

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {s.name: tuple(int(x or 0) for x in s.shape) for s in self.specs}

    def label(self) -> str:
        """The measurement's input identity: ``x=1x3x640x640`` (+ ``+data=<sha256[:10]>``); ``""`` when default."""
        if self.default:
            return ""
        text = ",".join(f"{s.name}={s.shape_text()}" for s in self.specs)
        if self.data is not None:
            text += f"+data={self.data.sha256[:10]}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": [s.to_dict() for s in self.specs],
            "data": self.data.to_dict() if self.data else None,
            "notes": list(self.notes),
            "default": self.default,
            "label": self.label(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Inputs:
        data = d.get("data")
        return cls(
            specs=tuple(InputSpec.from_dict(s) for s in d.get("inputs") or []),
            data=InputData(str(data["path"]), str(data["sha256"])) if data else None,
            notes=tuple(d.get("notes") or ()),
            default=bool(d.get("default", True)),
        )


# --------------------------------------------------------------------------- --input NAME=DIMS


def parse_input_options(values: list[str] | None) -> dict[str, tuple[int, ...]]:
    """``["x=1x3x640x640", "sr=scalar"]`` -> ``{"x": (1, 3, 640, 640), "sr": ()}`` (UsageError, one line)."""
    out: dict[str, tuple[int, ...]] = {}
    for raw in values or []:
        name, eq, dims = raw.partition("=")
        name, dims = name.strip(), dims.strip()
        if not eq or not name or not _NAME.match(name) or not dims:
            raise UsageError(f"--input {raw!r} is malformed; write NAME=DIMS, e.g. --input x=1x3x640x640")
        if name in out:
            raise UsageError(f"--input {name} is given twice")
        if dims.lower() == SCALAR:
            out[name] = ()
            continue
        parts = dims.lower().split("x")
        try:
            sizes = tuple(int(p) for p in parts)
        except ValueError:
            raise UsageError(
                f"--input {raw!r}: {dims!r} is not a list of sizes; write e.g. {name}=1x3x640x640 ({name}=scalar for rank 0)"
            ) from None
        if any(s < 1 for s in sizes):
            raise UsageError(f"--input {raw!r}: every dim must be a positive integer")
        out[name] = sizes
    return out


def listing(specs: tuple[InputSpec, ...] | list[InputSpec]) -> str:
    """Every input with its dims and dtype, on one line."""
    return "; ".join(s.describe() for s in specs) or "no inputs"


def example_option(specs: tuple[InputSpec, ...] | list[InputSpec]) -> str:
    """An ``--input`` line to copy: free dims filled (batch 1, 224 for the spatial dims of an image-like input)."""
    parts = []
    for s in specs:
        if not s.free:
            continue
        sizes = []
        rank = len(s.dims)
        for i, d in enumerate(s.dims):
            if d.size is not None:
                sizes.append(d.size)
            elif i == 0 and rank >= 2:
                sizes.append(1)
            elif rank >= 3 and i >= rank - 2:
                sizes.append(224)
            else:
                sizes.append(1)
        parts.append(f"--input {s.name}={'x'.join(map(str, sizes)) or SCALAR}")
    return " ".join(parts)


def resolve(
    model: str,
    specs: tuple[InputSpec, ...] | list[InputSpec],
    overrides: dict[str, tuple[int, ...]] | None = None,
    data: dict[str, Any] | None = None,
    data_info: InputData | None = None,
) -> Inputs:
    """Fix every dim of ``specs`` (see the module docstring for the rules); UsageError, one line."""
    specs = tuple(specs)
    overrides = dict(overrides or {})
    names = [s.name for s in specs]
    every = listing(specs)
    for name in overrides:
        if name not in names:
            raise UsageError(f"{model} has no input {name!r}; its inputs: {every}")
    if data is not None:
        missing = [n for n in names if n not in data]
        extra = [n for n in data if n not in names]
        if missing or extra:
            what = ", ".join(
                ([f"missing {', '.join(missing)}"] if missing else [])
                + ([f"extra {', '.join(extra)}"] if extra else [])
            )
            raise UsageError(f"--input-data for {model}: {what}; the file must hold exactly: {every}")
    symbols: dict[str, int] = {}
    fixed: list[InputSpec] = []
    changed = False
    for s in specs:
        sizes: list[int | None] = list(s.shape)
        given: tuple[int, ...] | None = overrides.get(s.name)
        if data is not None:
            arr = data[s.name]
            if str(arr.dtype) != s.dtype:
                raise UsageError(
                    f"--input-data for {model}: {s.name} is {arr.dtype}, the model takes {s.dtype} ({s.describe()})"
                )
            shape = tuple(int(x) for x in arr.shape)
            if given is not None and given != shape:
                raise UsageError(
                    f"--input {s.name}={'x'.join(map(str, given)) or SCALAR} disagrees with --input-data "
                    f"({'x'.join(map(str, shape)) or SCALAR})"
                )
            given = shape
        if given is not None:
            where = "--input-data" if data is not None else "--input"
            if len(given) != len(s.dims):
                raise UsageError(
                    f"{where} {s.name}: {len(given)} dim(s) given, the model's input has {len(s.dims)} ({s.describe()})"
                )
            for i, (d, g) in enumerate(zip(s.dims, given, strict=True)):
                if d.size is not None and d.fixed and d.size != g:
                    raise UsageError(
                        f"{where} {s.name}: dim {i} is {g} but the model fixes it at {d.size} ({s.describe()})"
                    )
                if d.size != g:
                    changed = True
                sizes[i] = g
                if d.symbol and d.free:
                    symbols.setdefault(d.symbol, g)
        fixed.append(replace(s, dims=tuple(replace(d, size=z) for d, z in zip(s.dims, sizes, strict=True))))
    notes: list[str] = []
    out: list[InputSpec] = []
    stuck = False
    for s in fixed:
        dims = []
        for i, d in enumerate(s.dims):
            if d.size is None and d.symbol and d.symbol in symbols:
                d = replace(d, size=symbols[d.symbol])
                changed = True
            if d.size is None and i == 0 and len(s.dims) >= 2:
                d = replace(d, size=1)
                if d.symbol:
                    symbols.setdefault(d.symbol, 1)
                notes.append(f"free batch dim of {s.name} set to 1")
            dims.append(d)
        out.append(replace(s, dims=tuple(dims), source="file" if data is not None else s.source))
    # a second pass: symbols fixed by the batch rule of another input
    final: list[InputSpec] = []
    for s in out:
        dims = []
        for d in s.dims:
            if d.size is None and d.symbol and d.symbol in symbols:
                d = replace(d, size=symbols[d.symbol])
            stuck = stuck or d.size is None
            dims.append(d)
        final.append(replace(s, dims=tuple(dims)))
    if stuck:
        raise UsageError(
            f"{model} has free input dims: {every}; fix them with --input (or --input-data FILE.npz), "
            f"e.g. {example_option(specs)}"
        )
    return Inputs(
        specs=tuple(final),
        data=data_info if data is not None else None,
        notes=tuple(notes),
        default=not changed and data is None,
    )


# --------------------------------------------------------------------------- --input-data FILE.npz


def load_npz(path: str | Path) -> tuple[dict[str, Any], InputData]:
    """The named arrays of an ``.npz`` file and its :class:`InputData` (UsageError, one line)."""
    import numpy as np

    from .util import sha256_path

    p = Path(path).expanduser()
    if not p.is_file():
        raise UsageError(f"--input-data {path}: no such file")
    try:
        with np.load(p, allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in npz.files}
    except Exception as exc:
        raise UsageError(f"--input-data {path} is not a readable .npz file ({type(exc).__name__})") from None
    if not isinstance(arrays, dict) or not arrays:
        raise UsageError(f"--input-data {path} holds no arrays")
    for k, a in arrays.items():
        if str(a.dtype) not in DTYPES:
            raise UsageError(f"--input-data {path}: array {k} is {a.dtype}; mobench feeds {', '.join(DTYPES)}")
    return arrays, InputData(str(p.resolve()), sha256_path(p))


def load_checked(data: InputData) -> dict[str, Any]:
    """The arrays of a stored ``--input-data`` file, refused if the file changed since it was chosen."""
    from .errors import DeviceError
    from .util import sha256_path

    p = Path(data.path)
    if not p.is_file():
        raise DeviceError(f"input data {data.path} is missing; pass --input-data again")
    if sha256_path(p) != data.sha256:
        raise DeviceError(f"input data {data.path} changed since it was chosen (sha256); pass --input-data again")
    arrays, _ = load_npz(p)
    return arrays


# --------------------------------------------------------------------------- feeds


def synthesize(s: InputSpec, seed: int, index: int = 0):
    """Seeded values for one input in its own dtype (see the module docstring).

    Input 0 draws from ``default_rng(seed)`` - the same values a one-input model
    has always been fed; input ``i`` from ``default_rng((seed, i))``.
    """
    import numpy as np

    shape = tuple(int(x or 0) for x in s.shape)
    if any(x is None for x in s.shape):
        raise UsageError(f"input {s.describe()} has free dims; resolve the inputs first")
    if s.dtype not in DTYPES:
        raise UsageError(f"input {s.name}: mobench cannot feed dtype {s.dtype}; it feeds {', '.join(DTYPES)}")
    rng = np.random.default_rng(seed if index == 0 else (seed, index))
    if s.dtype in FLOAT_DTYPES:
        return rng.standard_normal(shape).astype(s.dtype)
    if s.dtype == "bool":
        return np.ones(shape, dtype=bool)
    return rng.integers(0, INT_HIGH, size=shape).astype(s.dtype)


def feed(inputs: Inputs, seed: int) -> dict[str, Any]:
    """Every input's array by name, in the model's input order (the ``.npz`` arrays when one was given)."""
    if inputs.data is not None:
        arrays = load_checked(inputs.data)
        return {s.name: arrays[s.name] for s in inputs.specs}
    return {s.name: synthesize(s, seed, i) for i, s in enumerate(inputs.specs)}


@dataclass(frozen=True)
class InputChoice:
    """What the user asked for on the command line: ``--input`` sizes and an ``--input-data`` file."""

    overrides: dict[str, tuple[int, ...]] = field(default_factory=dict)
    data_path: str | None = None

    @classmethod
    def parse(cls, values: list[str] | None, data: str | Path | None) -> InputChoice:
        return cls(parse_input_options(values), None if data is None else str(data))

    @property
    def empty(self) -> bool:
        return not self.overrides and self.data_path is None
