"""Params and MACs read from an ONNX file (no PyTorch model needed).

Params: elements of the graph's floating-point initializers, plus the integer
weights that feed ``DequantizeLinear`` (quantized models); integer shape
constants are not parameters.

MACs: multiply-adds of ``Conv``, ``ConvTranspose``, ``Gemm`` and ``MatMul`` at
batch 1, from the shapes ``onnx.shape_inference`` infers - the same operations
and the same convention (bias adds not counted) as torch's FLOP counter, which
counts the registered models (:mod:`mobench.models.complexity`). When a counted
op has a shape inference cannot fix, or the graph holds an op that does
multiply-adds this counter does not know (``Einsum``, ``QLinearConv``, RNNs,
fused attention), the MACs are ``None`` ("not counted"), never a partial sum.

Why not a library: ``onnx-tool`` (PyPI) counts MACs with its own shape engine
and a large dependency footprint; what is needed here is four operator
formulas on top of onnx's own shape inference, in the convention the rest of
mobench uses.
"""

from __future__ import annotations

from math import prod
from typing import Any

_FLOAT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16 (onnx.TensorProto)
UNCOUNTED_OPS = {
    "Einsum",
    "QLinearConv",
    "QLinearMatMul",
    "ConvInteger",
    "MatMulInteger",
    "LSTM",
    "GRU",
    "RNN",
    "Attention",
    "MultiHeadAttention",
    "FusedConv",
    "FusedMatMul",
}


def count_params(model) -> int:
    dq_inputs = {n.input[0] for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input}
    total = 0
    for init in model.graph.initializer:
        if init.data_type in _FLOAT_TYPES or init.name in dq_inputs:
            total += prod(init.dims) if init.dims else 1
    return int(total)


def _fix_batch(model):
    """A copy whose graph inputs have batch 1 where the first dimension is symbolic."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {i.name for i in m.graph.initializer}
    for inp in m.graph.input:
        if inp.name in inits or not inp.type.HasField("tensor_type"):
            continue
        dims = inp.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].Clear()
            dims[0].dim_value = 1
    return m


def _shapes(model) -> dict[str, list[int] | None]:
    out: dict[str, list[int] | None] = {}
    g = model.graph
    for init in g.initializer:
        out[init.name] = list(init.dims)
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if not vi.type.HasField("tensor_type") or not vi.type.tensor_type.HasField("shape"):
            continue
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") and d.dim_value > 0 for d in dims):
            out.setdefault(vi.name, [int(d.dim_value) for d in dims])
    return out


def _attr(node, name: str, default: int = 0) -> int:
    for a in node.attribute:
        if a.name == name:
            return int(a.i)
    return default


def count_macs(model) -> tuple[int | None, str]:
    """``(MACs, "")`` at batch 1, or ``(None, reason)`` when the graph cannot be counted honestly."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(_fix_batch(model), data_prop=True)
    except Exception as exc:  # shape inference rejects some custom-domain graphs
        return None, f"onnx shape inference failed ({type(exc).__name__})"
    shapes = _shapes(inferred)
    total = 0
    for node in inferred.graph.node:
        op = node.op_type
        if op in UNCOUNTED_OPS:
            return None, f"the graph has {op}, whose MACs are not counted"
        if op not in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
            continue
        ins = [shapes.get(i) for i in node.input[:2]]
        out = shapes.get(node.output[0])
        if any(s is None for s in ins) or out is None:
            return None, f"{op} node {node.name or node.output[0]!r} has shapes inference cannot fix"
        a, w = ins
        assert a is not None and w is not None and out is not None  # checked just above
        if op == "Conv":  # out (N, M, *S), weight (M, C/g, *k)
            total += prod(out) * prod(w[1:])
        elif op == "ConvTranspose":  # in (N, C, *S_in), weight (C, M/g, *k)
            total += prod(a) * prod(w[1:])
        elif op == "Gemm":  # (M, K) x (K, N)
            k = a[0] if _attr(node, "transA") else a[-1]
            total += prod(out) * k
        else:  # MatMul with numpy broadcasting; 1-D operands are promoted
            total += prod(out) * a[-1]
    return int(total), ""


def input_info(model) -> dict[str, Any]:
    """Name, shape (batch fixed to 1; None where symbolic) and element type of the first graph input."""
    import onnx

    inits = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        dims = list(tt.shape.dim)
        shape: list[int | None] = [
            int(d.dim_value) if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims
        ]
        if shape and shape[0] is None:
            shape[0] = 1
        return {
            "name": inp.name,
            "shape": shape,
            "elem_type": onnx.TensorProto.DataType.Name(tt.elem_type).lower(),
            "kind": "tensor",
        }
    return {}
