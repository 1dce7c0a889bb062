"""ONNX export: torch.onnx -> onnx.checker -> op histogram -> ONNX Runtime parity.

Exporter choice: the TorchScript-based exporter (``dynamo=False``) first. On
torch 2.14 it writes the requested opset exactly (the dynamo exporter only
implements opset >= 18 and its down-conversion to 17 fails on MobileOne's
ReduceMean), folds eval-mode BatchNorm into the preceding conv like every
deployment toolchain does, and is ~3x faster (MobileOne S0: 2.6 s vs 7.8 s).
When it cannot handle a model, the ``torch.export``-based dynamo exporter is
tried; the manifest records which one wrote the file and the opset it has.

Recipes: ``fp16`` converts the weights and activations with ONNX Runtime's
float16 tool, keeping the float32 ``input``/``logits`` interface. ``int8`` is
static QDQ quantization with ``onnxruntime.quantization.quantize_static``
(signed 8-bit symmetric per-channel weights, unsigned 8-bit asymmetric activations, MinMax
calibration on :func:`.calibration.calibration_inputs`: seeded synthetic inputs
or ``--calibration-dir`` images). ``int8-dynamic`` is
``quantize_dynamic``: 8-bit weights, activations quantized per inference
(ConvInteger / MatMulInteger); ONNX Runtime's docs recommend it for
transformer-like models and static QDQ for CNNs, both are offered so the two can
be timed. ``int8-dynamic`` quantizes weights as unsigned 8-bit (U8U8): with signed
weights (U8S8) the x86 integer kernels of CPUs without VNNI saturate their 16-bit
intermediate sums (ONNX Runtime's quantization docs), and the quantized MobileOne-S1
came out scaled by 1.6-2.1 against fp32 (measured here: error 0.75-1.36 of the fp32
logits' spread; U8U8: 0.18-0.45). The float graph is exported and checked first;
quantization rewrites it.
"""

from __future__ import annotations

import collections
import contextlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ExportError, UsageError, one_line
from .format import Converted, ConvertJob, ExportFormat, FormatOptions, first_input, option

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
DEFAULT_OPSET = 17
# Opsets the TorchScript ONNX exporter of torch 2.8+ writes (and ONNX Runtime >= 1.20 runs).
OPSET_RANGE = (13, 20)


@dataclass(frozen=True)
class OnnxOptions(FormatOptions):
    opset: int = option(DEFAULT_OPSET, "ONNX opset")

    def validate(self) -> OnnxOptions:
        if not isinstance(self.opset, int) or not OPSET_RANGE[0] <= self.opset <= OPSET_RANGE[1]:
            raise UsageError(f"ONNX opset must be an integer in {OPSET_RANGE[0]}..{OPSET_RANGE[1]}, not {self.opset!r}")
        return self

    def stem_suffixes(self) -> list[str]:
        return [f"opset{self.opset}"] if self.opset != DEFAULT_OPSET else []


def op_histogram(model) -> dict[str, int]:
    """Op type -> count over the main graph, its subgraphs and local functions."""
    counter: collections.Counter[str] = collections.Counter()

    def walk(graph) -> None:
        for node in graph.node:
            counter[node.op_type] += 1
            for attr in node.attribute:
                if attr.g is not None and attr.g.node:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    for fn in model.functions:
        for node in fn.node:
            counter[node.op_type] += 1
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def toposort(graph) -> None:
    """Reorder ``graph.node`` topologically in place (ORT's fp16 tool appends its input casts last)."""
    available = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    producers: dict[str, int] = {}
    for idx, node in enumerate(graph.node):
        for out in node.output:
            producers[out] = idx
    nodes = list(graph.node)
    deps = [{producers[i] for i in n.input if i not in available and i in producers} for n in nodes]
    users: dict[int, list[int]] = collections.defaultdict(list)
    for idx, ds in enumerate(deps):
        for d in ds:
            users[d].append(idx)
    remaining = [len(ds) for ds in deps]
    ready = collections.deque(i for i, r in enumerate(remaining) if r == 0)
    order: list[int] = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for u in users[i]:
            remaining[u] -= 1
            if remaining[u] == 0:
                ready.append(u)
    if len(order) != len(nodes):
        raise ExportError("the ONNX graph has a cycle after fp16 conversion")
    del graph.node[:]
    graph.node.extend(nodes[i] for i in order)


def _export_torchscript(module, args: tuple, path: Path, opset: int, input_names: list[str]) -> None:
    import torch

    torch.onnx.export(
        module,
        args,
        str(path),
        input_names=input_names,
        output_names=[OUTPUT_NAME],
        opset_version=opset,
        do_constant_folding=True,
        dynamo=False,
    )


def _export_dynamo(module, args: tuple, path: Path, opset: int, input_names: list[str]) -> None:
    import torch

    torch.onnx.export(
        module,
        args,
        str(path),
        input_names=input_names,
        output_names=[OUTPUT_NAME],
        opset_version=opset,
        dynamo=True,
        external_data=False,
        optimize=True,
        verbose=False,
    )


def _quiet():
    """Silence exporter chatter (deprecation warnings, dynamo's progress prints)."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def _model_opset(model) -> int | None:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return int(imp.version)
    return None


class OnnxFormat(ExportFormat):
    """ONNX graph (.onnx), torch.onnx + onnxruntime.quantization; parity on ONNX Runtime (CPU)."""

    name = "onnx"
    extension = ".onnx"
    description = "ONNX graph (.onnx), torch.onnx + onnxruntime.quantization"
    recipes = ("fp32", "fp16", "int8", "int8-dynamic")
    options = OnnxOptions
    ops = {
        "conv": ("Conv", "QLinearConv", "ConvInteger"),
        "batch_norm": ("BatchNormalization",),
        "add": ("Add", "Sum", "QLinearAdd"),
    }

    def convert(self, job: ConvertJob) -> Converted:
        """Write ``job.path`` (``<stem>.onnx``) and describe it."""
        import onnx

        assert isinstance(job.options, OnnxOptions)
        opset = job.options.opset
        prep, recipe, name, out_dir = job.prep, job.recipe, job.model, job.out_dir
        path = job.path
        job.step("exporting to ONNX")
        specs = job.input_specs
        names = [sp.name for sp in specs] if specs is not None else [INPUT_NAME]
        errors = []
        exporter = None
        for label, fn in (
            ("torch.onnx TorchScript exporter (dynamo=False)", _export_torchscript),
            ("torch.onnx dynamo exporter (dynamo=True)", _export_dynamo),
        ):
            try:
                with _quiet():
                    fn(prep.model, prep.example_args, path, opset, names)
                exporter = label
                break
            except Exception as exc:  # converter failure: try the other exporter, keep the reason
                errors.append(f"{label.split(' (')[0]}: {one_line(exc)}")
                for leftover in out_dir.glob(f"{job.stem}.onnx*"):
                    leftover.unlink()
        if exporter is None:
            raise ExportError(f"{name}: torch.onnx cannot export this model: " + " | ".join(errors))

        job.step("checking ONNX graph")
        model = onnx.load(str(path))
        if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
            model = onnx.load(str(path), load_external_data=True)
        if recipe == "fp16":
            from onnxruntime.transformers.float16 import convert_float_to_float16

            with _quiet():
                model = convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=False)
            toposort(model.graph)
        applied: dict[str, Any] = {"scheme": recipe}
        if recipe in ("int8", "int8-dynamic"):
            job.step(f"quantizing ({recipe})")
            model, applied = quantize(model, job)
        model.doc_string = job.metadata.get("description", "")
        del model.metadata_props[:]
        for k, v in job.metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = k, str(v)
        for extra in out_dir.iterdir():  # a single self-contained file: drop any external-data side files
            if extra != path and extra.is_file():
                extra.unlink()
        onnx.save_model(model, str(path), save_as_external_data=False)
        try:
            onnx.checker.check_model(str(path), full_check=True)
        except Exception as exc:
            raise ExportError(f"{name}: the exported ONNX graph fails onnx.checker: {one_line(exc)}") from exc

        histogram = op_histogram(model)
        graph_in = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
        if [i.name for i in graph_in] != names or [o.name for o in model.graph.output] != [OUTPUT_NAME]:
            raise ExportError(
                f"{name}: exported graph has inputs {[i.name for i in graph_in]} / outputs "
                f"{[o.name for o in model.graph.output]}, expected {names} / ['{OUTPUT_NAME}']"
            )
        if specs is not None:
            graph_dtypes = [onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name for i in graph_in]
            if graph_dtypes != [sp.dtype for sp in specs]:
                raise ExportError(
                    f"{name}: exported graph takes {dict(zip(names, graph_dtypes, strict=True))}, "
                    f"expected {dict(zip(names, [sp.dtype for sp in specs], strict=True))}"
                )
        return Converted(
            path=path,
            op_histogram=histogram,
            opset=_model_opset(model),
            input=first_input(job, INPUT_NAME, "NCHW"),
            output={"name": OUTPUT_NAME, "shape": job.output_shape, "dtype": "float32"},
            recipe_applied=applied,
            checks=quantization_checks(histogram, recipe),
            exporter={
                "name": exporter,
                "opset_requested": opset,
                "fp16_conversion": "onnxruntime.transformers.float16 (keep_io_types)" if recipe == "fp16" else None,
                "fallback_reasons": errors or None,
            },
        )

    def predict(self, path: Path, inputs: Sequence[Any], job: ConvertJob) -> list[Any]:
        """ONNX Runtime (CPU execution provider) outputs for ``inputs``."""
        session = _session(path)
        names = [i.name for i in session.get_inputs()]
        return [session.run([OUTPUT_NAME], dict(zip(names, job.arrays(x), strict=True)))[0] for x in inputs]

    def runtime(self) -> str:
        import onnxruntime as ort

        return f"onnxruntime {ort.__version__} CPU"


QUANT_OPS = {
    "int8": ("QuantizeLinear", "DequantizeLinear", "QLinearConv"),
    "int8-dynamic": ("DynamicQuantizeLinear", "ConvInteger", "MatMulInteger"),
}


def quantization_checks(histogram: dict[str, int], recipe: str) -> list[dict[str, Any]]:
    """A quantized graph must hold the quantization ops of its scheme (QDQ pairs / integer kernels)."""
    if recipe not in QUANT_OPS:
        return []
    found = {op: histogram.get(op, 0) for op in QUANT_OPS[recipe] if histogram.get(op)}
    return [
        {
            "name": "quantization_ops",
            "passed": bool(found),
            "expected": f"any of {list(QUANT_OPS[recipe])}",
            "actual": found,
            "detail": f"the {recipe} graph holds quantize/dequantize or integer ops",
        }
    ]


class _Reader:
    """``onnxruntime.quantization.CalibrationDataReader`` over a list of input arrays."""

    def __init__(self, arrays) -> None:
        self._it = iter([{INPUT_NAME: a} for a in arrays])

    def get_next(self):
        return next(self._it, None)

    def rewind(self) -> None:  # pragma: no cover - not needed by MinMax calibration
        pass


def quantize(model, job: ConvertJob):
    """The int8 (static QDQ) or int8-dynamic version of ``model``, and what was applied."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    from .calibration import calibration_inputs, calibration_source

    recipe, config, prep = job.recipe, job.config, job.prep
    src = job.out_dir / f".{job.stem}.float.onnx"
    dst = job.out_dir / f".{job.stem}.{recipe}.onnx"
    onnx.save_model(model, str(src), save_as_external_data=False)
    try:
        with _quiet():
            if recipe == "int8":
                reader = type("Reader", (_Reader, CalibrationDataReader), {})(
                    calibration_inputs(tuple(prep.example.shape), config)
                )
                quantize_static(
                    str(src),
                    str(dst),
                    reader,
                    quant_format=QuantFormat.QDQ,
                    per_channel=True,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax,
                )
                applied = {
                    "scheme": "static QDQ: int8 symmetric per-channel weights, uint8 asymmetric per-tensor activations (MinMax)",
                    "tool": "onnxruntime.quantization.quantize_static",
                    "calibration": calibration_source(config),
                }
            else:
                quantize_dynamic(str(src), str(dst), weight_type=QuantType.QUInt8, per_channel=True)
                applied = {
                    "scheme": "dynamic: uint8 per-channel weights, uint8 activations quantized per inference (U8U8)",
                    "tool": "onnxruntime.quantization.quantize_dynamic",
                }
        quantized = onnx.load(str(dst))
    except Exception as exc:
        raise ExportError(f"ONNX Runtime cannot quantize this graph ({recipe}): {one_line(exc)}") from exc
    finally:
        for f in (src, dst):
            f.unlink(missing_ok=True)
    return quantized, applied


def _session(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
