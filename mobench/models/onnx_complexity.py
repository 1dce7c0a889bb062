"""Params and MACs read from an ONNX file (no PyTorch model needed).

Params: elements of the graph's floating-point initializers and of the
floating-point tensors of ``Constant`` nodes (exporters such as paddle2onnx hold
every weight that way), in the main graph and in control-flow subgraphs, plus the
integer weights that feed ``DequantizeLinear`` (quantized models); integer shape
constants are not parameters. A graph whose weights this does not find has
params ``None`` with a reason, never 0.

MACs: multiply-adds of ``Conv``, ``ConvTranspose``, ``Gemm``, ``MatMul`` and the
recurrent ``LSTM`` / ``GRU`` / ``RNN`` (per step and direction: the input and recurrent
weight matrices times one vector each; gate element-wise products not counted) at
the chosen input shapes (:mod:`mobench.core.inputs`; free dims fixed before
inference), from the shapes ``onnx.shape_inference`` infers; where it cannot fix a
counted operand (shapes computed from data, as paddle2onnx graphs do), from one run of
the graph in ONNX Runtime on the chosen inputs with those tensors as extra outputs. An
``If`` is counted as the branch the chosen inputs take (its condition read from that
run, e.g. a sample-rate switch); ops inside ``Loop`` / ``Scan`` bodies are not counted - the same operations
and the same convention (bias adds not counted) as torch's FLOP counter, which
counts the registered models (:mod:`mobench.models.complexity`). When a counted
op has a shape inference cannot fix, or the graph holds an op that does
multiply-adds this counter does not know (``Einsum``, ``QLinearConv``, RNNs,
fused attention) or loop bodies that hold counted ops, the MACs are ``None`` ("not counted"), never a partial sum.

Why not a library: ``onnx-tool`` (PyPI) counts MACs with its own shape engine
and a large dependency footprint; what is needed here is four operator
formulas on top of onnx's own shape inference, in the convention the rest of
mobench uses.
"""

from __future__ import annotations

from math import prod

_FLOAT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16 (onnx.TensorProto)
UNCOUNTED_OPS = {
    "Einsum",
    "QLinearConv",
    "QLinearMatMul",
    "ConvInteger",
    "MatMulInteger",
    "Attention",
    "MultiHeadAttention",
    "FusedConv",
    "FusedMatMul",
}


def _graphs(graph):
    """``graph`` and every subgraph of its control-flow nodes."""
    yield graph
    for node in graph.node:
        for a in node.attribute:
            if a.HasField("g"):
                yield from _graphs(a.g)
            for g in a.graphs:
                yield from _graphs(g)


def count_params(model) -> int | None:
    """Weight elements (see the module docstring); ``None`` when the graph holds no weights at all."""
    total = 0
    found = False
    for g in _graphs(model.graph):
        dq_inputs = {n.input[0] for n in g.node if n.op_type == "DequantizeLinear" and n.input}
        for init in g.initializer:
            if init.data_type in _FLOAT_TYPES or init.name in dq_inputs:
                total += prod(init.dims) if init.dims else 1
                found = True
        for n in g.node:
            if n.op_type != "Constant":
                continue
            for a in n.attribute:
                if a.name == "value" and a.t.data_type in _FLOAT_TYPES and len(a.t.dims) >= 1:
                    total += prod(a.t.dims)
                    found = True
    return int(total) if found else None


def _fix_inputs(model, shapes: dict[str, tuple[int, ...]] | None):
    """A copy whose graph inputs have the chosen ``shapes`` (default: a free leading dim set to 1)."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {i.name for i in m.graph.initializer}
    for inp in m.graph.input:
        if inp.name in inits or not inp.type.HasField("tensor_type"):
            continue
        dims = inp.type.tensor_type.shape.dim
        want = (shapes or {}).get(inp.name)
        if want is not None and len(want) == len(dims):
            for d, size in zip(dims, want, strict=True):
                d.Clear()
                d.dim_value = int(size)
        elif dims and not (dims[0].HasField("dim_value") and dims[0].dim_value > 0):
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


CONTROL_FLOW = {"If", "Loop", "Scan"}


COUNTED = ("Conv", "ConvTranspose", "Gemm", "MatMul")
RECURRENT = {"LSTM", "GRU", "RNN"}


def _operands(node) -> list[str]:
    if node.op_type in RECURRENT:
        return [node.input[0], node.input[1], node.input[2]]  # X, W, R
    return [node.input[0], node.input[1], node.output[0]]


def _inline_taken_branches(model, feeds: dict):
    """A copy where every top-level ``If`` is replaced by the branch ``feeds`` take (its condition read
    from one ONNX Runtime run), so the MACs are those of the graph these inputs run. ONNX forbids a
    subgraph to shadow an outer name, so the branch's nodes keep their names."""
    import onnx
    from onnx import helper

    for _ in range(8):  # nested Ifs surface one level per pass
        ifs = [n for n in model.graph.node if n.op_type == "If"]
        if not ifs:
            return model
        conds = _runtime_values(model, feeds, {n.input[0] for n in ifs})
        m = onnx.ModelProto()
        m.CopyFrom(model)
        nodes = []
        for n in m.graph.node:
            if n.op_type != "If":
                nodes.append(n)
                continue
            name = "then_branch" if bool(conds[n.input[0]].reshape(-1)[0]) else "else_branch"
            branch = next(a.g for a in n.attribute if a.name == name)
            nodes.extend(branch.node)
            m.graph.initializer.extend(branch.initializer)
            nodes.extend(
                helper.make_node("Identity", [b.name], [o]) for b, o in zip(branch.output, n.output, strict=True)
            )
        del m.graph.node[:]
        m.graph.node.extend(nodes)
        model = m
    return model


def _runtime_values(model, feeds: dict, names: set[str]) -> dict:
    """Values of ``names`` from one ONNX Runtime run on ``feeds`` (the tensors made extra graph outputs)."""
    import onnx
    import onnxruntime as ort

    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    wanted = sorted(names)
    for n in wanted:
        if n not in have:
            m.graph.output.append(onnx.ValueInfoProto(name=n))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return dict(zip(wanted, sess.run(wanted, feeds), strict=True))


def _runtime_shapes(model, feeds: dict, names: set[str]) -> dict[str, list[int]]:
    """Shapes of ``names`` from one ONNX Runtime run on ``feeds``."""
    return {n: [int(x) for x in v.shape] for n, v in _runtime_values(model, feeds, names).items()}


def count_macs(
    model, shapes: dict[str, tuple[int, ...]] | None = None, feeds: dict | None = None
) -> tuple[int | None, str]:
    """``(MACs, "")`` at the input ``shapes`` (default: batch 1), or ``(None, reason)`` when the graph
    cannot be counted honestly. ``feeds`` (arrays at those shapes) let a graph whose shapes static
    inference cannot fix be counted from one ONNX Runtime run."""
    import onnx

    if feeds is not None and any(n.op_type == "If" for n in model.graph.node):
        try:
            model = _inline_taken_branches(model, feeds)
        except Exception as exc:  # the condition could not be computed on these inputs
            return None, f"the If conditions could not be evaluated ({type(exc).__name__})"
    for g in list(_graphs(model.graph))[1:]:
        ops = {n.op_type for n in g.node} & (set(COUNTED) | RECURRENT | UNCOUNTED_OPS)
        if ops:
            return None, f"control flow (If/Loop/Scan) holds {', '.join(sorted(ops))}, whose MACs are not counted"
    try:
        inferred = onnx.shape_inference.infer_shapes(_fix_inputs(model, shapes), data_prop=True)
    except Exception as exc:  # shape inference rejects some custom-domain graphs
        return None, f"onnx shape inference failed ({type(exc).__name__})"
    known = _shapes(inferred)
    nodes = [n for n in inferred.graph.node if n.op_type in COUNTED or n.op_type in RECURRENT]
    for node in inferred.graph.node:
        if node.op_type in UNCOUNTED_OPS:
            return None, f"the graph has {node.op_type}, whose MACs are not counted"
    missing = {t for n in nodes for t in _operands(n) if t and known.get(t) is None}
    if missing and feeds is not None:
        try:
            known.update(_runtime_shapes(model, feeds, missing))
        except Exception as exc:  # the graph does not run on these inputs: say so, count nothing
            return None, f"shapes needed for MACs could not be measured ({type(exc).__name__})"
    total = 0
    for node in nodes:
        op = node.op_type
        a, w, out = (known.get(t) for t in _operands(node))
        if a is None or w is None or out is None:
            return None, f"{op} node {node.name or node.output[0]!r} has shapes inference cannot fix"
        if op in RECURRENT:  # X (seq, batch, in) [layout 0] or (batch, seq, in); W, R (dirs, gates*H, in|H)
            steps = a[0] * a[1]
            total += steps * (prod(w) + prod(out))
        elif op == "Conv":  # out (N, M, *S), weight (M, C/g, *k)
            total += prod(out) * prod(w[1:])
        elif op == "ConvTranspose":  # in (N, C, *S_in), weight (C, M/g, *k)
            total += prod(a) * prod(w[1:])
        elif op == "Gemm":  # (M, K) x (K, N)
            k = a[0] if _attr(node, "transA") else a[-1]
            total += prod(out) * k
        else:  # MatMul with numpy broadcasting; 1-D operands are promoted
            total += prod(out) * a[-1]
    return int(total), ""


def input_specs(model) -> list:
    """Every graph input (initializers excluded) as an :class:`~mobench.core.inputs.InputSpec`:
    dims free where the file leaves them symbolic (named by their ``dim_param``) or unknown."""
    import onnx

    from ..core.inputs import InputDim, InputSpec

    inits = {i.name for i in model.graph.initializer}
    out = []
    for inp in model.graph.input:
        if inp.name in inits or not inp.type.HasField("tensor_type"):
            continue
        tt = inp.type.tensor_type
        dims = tuple(
            InputDim(int(d.dim_value))
            if d.HasField("dim_value") and d.dim_value > 0
            else InputDim(None, d.dim_param or None)
            for d in tt.shape.dim
        )
        try:
            dtype = str(onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type))
        except Exception:  # an element type numpy has no name for (e.g. bfloat16, strings)
            dtype = onnx.TensorProto.DataType.Name(tt.elem_type).lower()
        out.append(InputSpec(inp.name, dims, dtype))
    return out
