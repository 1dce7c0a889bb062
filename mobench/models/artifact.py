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

from ..core.errors import UsageError, one_line
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
    um = UserModel(
        key=key,
        kind="artifact",
        label=path.name,
        sha256=sha,
        path=str(path),
        format=fmt,
        params=info.get("params"),
        macs=info.get("macs"),
        input=info.get("input") or {},
        input_size=_square_size(info.get("input") or {}),
    )
    return remember(um).key


def _square_size(inp: dict[str, Any]) -> int:
    shape = inp.get("shape") or []
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
    macs, reason = oc.count_macs(model)
    return {"params": oc.count_params(model), "macs": macs, "macs_note": reason, "input": oc.input_info(model)}


def _read_coreml(path: Path) -> dict[str, Any]:
    if not (path.is_dir() and (path / "Manifest.json").is_file()):
        raise UsageError(f"{path.name} is not a readable Core ML model (corrupt?): no Manifest.json in the package")
    try:
        import coremltools as ct

        spec = ct.utils.load_spec(str(path))
    except Exception as exc:
        raise _corrupt(path, "Core ML", exc) from None
    inp: dict[str, Any] = {}
    if spec.description.input:
        d = spec.description.input[0]
        which = d.type.WhichOneof("Type")
        if which == "imageType":
            inp = {
                "name": d.name,
                "shape": [1, 3, int(d.type.imageType.height), int(d.type.imageType.width)],
                "kind": "image",
            }
        elif which == "multiArrayType":
            inp = {"name": d.name, "shape": [int(s) for s in d.type.multiArrayType.shape], "kind": "tensor"}
    return {"params": coreml_params(spec), "macs": None, "input": inp}


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
    inp: dict[str, Any] = {}
    try:
        from executorch.runtime import Runtime

        program = Runtime.get().load_program(str(path))
        meta = program.metadata("forward")
        inp = {"shape": [int(s) for s in meta.input_tensor_meta(0).sizes()], "kind": "tensor"}
    except ImportError:
        pass
    except Exception as exc:
        raise _corrupt(path, "ExecuTorch", exc) from None
    return {"params": None, "macs": None, "input": inp}


def complexity(key: str) -> dict[str, Any]:
    """``model_complexity``'s dict for a model file (``None`` = not counted)."""
    um = lookup(key)
    return {
        "model": key,
        "input_size": um.input_size,
        "params": um.params,
        "macs": um.macs,
        "params_m": None if um.params is None else round(um.params / 1e6, 3),
        "macs_m": None if um.macs is None else round(um.macs / 1e6, 1),
    }
