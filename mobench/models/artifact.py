"""Model files in hand: ``.onnx``, ``.mlpackage`` and ``.pte``, timed as they are.

A model file is identified by its sha256 (``model.onnx@<sha256[:10]>``, see
:mod:`mobench.models.user`, recorded in
:mod:`mobench.models._user_index`); it is never exported again. It runs on the devices
whose ``artifact_format`` is its format (looked up in the device registry, so a
device added later - or by a plug-in - runs the files of its format too).

Complexity comes from the file where it can be read: ONNX params and MACs
(:mod:`mobench.models.onnx_complexity`), Core ML ML-program params from the
weights' declared shapes (coremltools' spec). Everything else is ``None``:
"not counted", never 0.
"""

from __future__ import annotations

from math import prod
from pathlib import Path
from typing import Any

from ..core.errors import MobenchError, UsageError, one_line
from ..core.inputs import InputDim, Inputs, InputSpec, feed, resolve, spec
from ..core.util import sha256_path
from . import onnx_complexity as oc
from ._user_index import SHA_CHARS, UserModel, lookup, remember

#: file suffix -> mobench format name (the exporters' and devices' ``artifact_format``)
KINDS = {".onnx": "onnx", ".mlpackage": "coreml", ".pte": "executorch"}


def _format_of(path: Path) -> str:
    fmt = KINDS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"{path.name}: unknown model file kind {path.suffix or '(no suffix)'!r}; "
            "mobench runs .onnx, .mlpackage and .pte files and file.py:function factories"
        )
    return fmt


def resolve_artifact(path_str: str) -> str:
    """Validate a model file and return its canonical key (UsageError, one line, if it is unusable)."""
    path = Path(path_str)
    if not path.exists():
        raise UsageError(f"model file {path_str} does not exist")
    fmt = _format_of(path)
    sha = sha256_path(path)
    key = f"{path.name}@{sha[:SHA_CHARS]}"
    try:
        known = lookup(key)
        if known.path == str(path) and known.sha256 == sha:
            return remember(known).key
    except UsageError:
        pass
    reader = {"onnx": _read_onnx, "coreml": _read_coreml, "executorch": _read_pte}[fmt]
    info = reader(path)
    specs = info.get("inputs") or []
    first = specs[0] if specs else None
    um = UserModel(
        key=key,
        kind="artifact",
        label=path.name,
        sha256=sha,
        path=str(path),
        format=fmt,
        params=info.get("params"),
        macs=info.get("macs"),
        params_note=info.get("params_note") or "",
        macs_note=info.get("macs_note") or "",
        input=_first_input(first),
        input_size=_square_size(first),
        inputs=[s.to_dict() for s in specs],
    )
    return remember(um).key


def _first_input(spec: InputSpec | None) -> dict[str, Any]:
    """The first input in the one-input form older code reads (shape with None where free)."""
    if spec is None:
        return {}
    shape = list(spec.shape)
    if len(shape) >= 2 and shape[0] is None:
        shape[0] = 1
    return {"name": spec.name, "shape": shape, "dtype": spec.dtype, "kind": spec.kind}


def _square_size(spec: InputSpec | None) -> int:
    shape = list(spec.shape) if spec is not None else []
    if len(shape) == 4 and shape[2] and shape[2] == shape[3]:
        return int(shape[2])
    return 224


def _corrupt(path: Path, fmt: str, exc: BaseException) -> UsageError:
    return UsageError(f"{path.name} is not a readable {fmt} model (corrupt?): {one_line(exc, with_type=True)}")


def _read_onnx(path: Path) -> dict[str, Any]:
    import onnx

    if not path.is_file():
        raise UsageError(f"{path.name} is a folder, not an ONNX file")
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as exc:
        raise _corrupt(path, "ONNX", exc) from None
    specs = oc.input_specs(model)
    params = oc.count_params(model)
    try:  # MACs at the model's default inputs; with free dims other than batch they wait for --input
        inputs = resolve(path.name, specs)
    except UsageError:
        macs, reason = None, "free input dims: counted at the shapes given with --input"
    else:
        macs, reason = _onnx_macs(model, inputs)
    return {
        "params": params,
        "params_note": "" if params is not None else "the graph holds no floating-point weights mobench can find",
        "macs": macs,
        "macs_note": reason,
        "inputs": specs,
    }


def _onnx_macs(model, inputs: Inputs) -> tuple[int | None, str]:
    def feeds():
        try:
            return feed(inputs, 0)
        except MobenchError:  # e.g. a dtype mobench does not feed: static shapes only
            return None

    return oc.count_macs(model, inputs.shapes(), feeds())


def onnx_counts(path: str, inputs: Inputs) -> tuple[int | None, str]:
    """MACs of an ONNX file at the chosen ``inputs`` (``(None, reason)`` when not counted)."""
    import onnx

    return _onnx_macs(onnx.load(path), inputs)


def _read_coreml(path: Path) -> dict[str, Any]:
    if not (path.is_dir() and (path / "Manifest.json").is_file()):
        raise UsageError(f"{path.name} is not a readable Core ML model (corrupt?): no Manifest.json in the package")
    try:
        import coremltools as ct

        spec = ct.utils.load_spec(str(path))
    except Exception as exc:
        raise _corrupt(path, "Core ML", exc) from None
    params = coreml_params(spec)
    return {
        "params": params,
        "params_note": "" if params is not None else "not an ML program: weights are not read",
        "macs": None,
        "macs_note": "Core ML files are not counted",
        "inputs": coreml_input_specs(spec),
    }


_COREML_DTYPES = {65568: "float32", 65552: "float16", 65600: "float64", 131104: "int32", 131080: "int8"}


def coreml_input_specs(spec) -> list[InputSpec]:
    """Every input of a Core ML model description: multi-arrays (their dtype; dims that an enumerated or
    range flexible shape lets vary keep the default size, changeable with ``--input``) and images
    (``[1, C, H, W]`` uint8 pixels)."""
    out: list[InputSpec] = []
    for d in spec.description.input:
        which = d.type.WhichOneof("Type")
        if which == "multiArrayType":
            ma = d.type.multiArrayType
            shape = [int(x) for x in ma.shape]
            varies = [False] * len(shape)
            flex = ma.WhichOneof("ShapeFlexibility")
            if flex == "enumeratedShapes":
                for es in ma.enumeratedShapes.shapes:
                    for i, x in enumerate(es.shape[: len(shape)]):
                        varies[i] = varies[i] or int(x) != shape[i]
            elif flex == "shapeRange":
                for i, r in enumerate(list(ma.shapeRange.sizeRanges)[: len(shape)]):
                    varies[i] = int(r.lowerBound) != int(r.upperBound)
            dims = tuple(InputDim(x, None, not v) for x, v in zip(shape, varies, strict=True))
            out.append(InputSpec(d.name, dims, _COREML_DTYPES.get(int(ma.dataType), "float32")))
        elif which == "imageType":
            im = d.type.imageType
            channels = 1 if int(im.colorSpace) == 10 else 3  # GRAYSCALE
            flexible = im.WhichOneof("SizeFlexibility") is not None
            dims = (
                InputDim(1),
                InputDim(channels),
                InputDim(int(im.height), None, not flexible),
                InputDim(int(im.width), None, not flexible),
            )
            out.append(InputSpec(d.name, dims, "uint8", kind="image"))
    return out


def coreml_params(spec) -> int | None:
    """Weight elements of an ML program: float ``const`` tensors of rank >= 1 plus every ``constexpr_*``
    output (compressed weights, counted at their dense shape). ``None`` for other model types."""
    if spec.WhichOneof("Type") != "mlProgram":
        return None
    from coremltools.proto import MIL_pb2

    floats = {
        MIL_pb2.DataType.Value(n) for n in ("FLOAT16", "FLOAT32", "FLOAT64", "BFLOAT16") if n in MIL_pb2.DataType.keys()
    }  # noqa: SIM118 (a protobuf enum, not a dict)
    total = 0
    for fn in spec.mlProgram.functions.values():
        block = fn.block_specializations.get(fn.opset)
        if block is None:
            continue
        for op in block.operations:
            if op.type != "const" and not op.type.startswith("constexpr_"):
                continue
            t = op.outputs[0].type.tensorType
            if op.type == "const" and (t.dataType not in floats or t.rank < 1):
                continue
            dims = [d.constant.size for d in t.dimensions]
            total += prod(dims) if dims else 1
    return int(total)


def _read_pte(path: Path) -> dict[str, Any]:
    """An ExecuTorch program: its flatbuffer identifier (``ET..`` at bytes 4-8) is checked; the
    input shape is read through ``executorch.runtime`` when it is installed. Not counted."""
    try:
        head = path.read_bytes()[:8] if path.is_file() else b""
    except OSError as exc:
        raise _corrupt(path, "ExecuTorch", exc) from None
    if len(head) < 8 or head[4:6] != b"ET":
        raise UsageError(f"{path.name} is not a readable ExecuTorch program (corrupt?): no ET flatbuffer identifier")
    specs: list[InputSpec] = []
    try:
        from executorch.runtime import Runtime

        program = Runtime.get().load_program(str(path))
        specs = pte_input_specs(program.metadata("forward"))
    except ImportError:
        pass
    except Exception as exc:
        raise _corrupt(path, "ExecuTorch", exc) from None
    return {
        "params": None,
        "params_note": "ExecuTorch programs are not counted",
        "macs": None,
        "macs_note": "ExecuTorch programs are not counted",
        "inputs": specs,
    }


# torch ScalarType codes (c10/core/ScalarType.h) -> numpy dtype names
_SCALAR_TYPES = {
    0: "uint8",
    1: "int8",
    2: "int16",
    3: "int32",
    4: "int64",
    5: "float16",
    6: "float32",
    7: "float64",
    11: "bool",
}


def pte_input_specs(meta) -> list[InputSpec]:
    """The tensor inputs of an ExecuTorch method (its metadata holds no names: ``x``, or ``x0``, ``x1``, ...)."""
    n = int(meta.num_inputs())
    out = []
    for i in range(n):
        try:
            tm = meta.input_tensor_meta(i)
        except Exception:  # a non-tensor input (an int or bool argument): nothing to feed as a tensor
            continue
        dtype = _SCALAR_TYPES.get(int(tm.dtype()), f"scalar_type_{int(tm.dtype())}")
        out.append(spec("x" if n == 1 else f"x{i}", [int(x) for x in tm.sizes()], dtype))
    return out


def complexity(key: str) -> dict[str, Any]:
    """``model_complexity``'s dict for a model file (``None`` = not counted)."""
    um = lookup(key)
    return {
        "model": key,
        "input_size": um.input_size,
        "inputs": (um.chosen or {}).get("label") or "",
        "params_note": um.params_note or None,
        "macs_note": um.macs_note or None,
        "params": um.params,
        "macs": um.macs,
        "params_m": None if um.params is None else round(um.params / 1e6, 3),
        "macs_m": None if um.macs is None else round(um.macs / 1e6, 1),
    }
