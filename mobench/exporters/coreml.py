"""Core ML export: torch.export -> coremltools ML program (.mlpackage).

Converted through ``torch.export.export(model, args).run_decompositions({})``
(TorchScript tracing fails on some ops with torch >= 2.8), as an ML program with
fp16 compute precision by default (what the Neural Engine runs) and a selectable
minimum deployment target. coremltools converts on any OS, but predicts only on
macOS: there the export checks parity against PyTorch; elsewhere the manifest
records ``"skipped: Core ML prediction needs macOS"``.

Recipes (``coremltools.optimize.coreml``, applied to the converted ML program):
``fp16``/``fp32`` set the compute precision; ``w8`` and ``int8`` (Core ML's
natural 8-bit scheme) are ``linear_quantize_weights`` (symmetric per-channel
int8 weights, fp16 compute); ``palettize6``/``palettize4`` are
``palettize_weights`` (k-means look-up tables of 6/4 bits per weight tensor);
``w8a8`` adds ``linear_quantize_activations``, which needs a minimum
deployment target of iOS17 and calibrates by running the model, i.e. Core ML
prediction: on macOS only. Weight-compressed models carry ``constexpr_*`` ops
that decompress at load time; the structural check requires them.

The op histogram is read back from the saved package's MIL program
(``spec.mlProgram.functions["main"]``), so it describes the file on disk.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import io
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import ExportError, one_line
from .calibration import calibration_inputs, parity_inputs, torch_outputs
from .checks import compare, compare_quantized
from .prepare import Prepared, image_preprocessing
from .recipes import recipe

TENSOR_INPUT = "input"
IMAGE_INPUT = "image"
OUTPUT_NAME = "logits"
PARITY_SKIPPED = "Core ML prediction needs macOS"


@contextlib.contextmanager
def _quiet():
    """Silence coremltools' import warnings (untested torch, no libcoremlpython) and tqdm bars."""
    loggers = [logging.getLogger(n) for n in ("coremltools", "root")]
    levels = [lg.level for lg in loggers]
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, lvl in zip(loggers, levels, strict=False):
                lg.setLevel(lvl)


@functools.lru_cache(maxsize=1)
def import_coremltools():
    """Import coremltools quietly and turn its tqdm progress bars off (we draw our own)."""
    with _quiet():
        import coremltools as ct
        from tqdm import tqdm

        silent = functools.partial(tqdm, disable=True)
        try:
            from coremltools.converters.mil.frontend.torch import ops as _torch_ops
            from coremltools.converters.mil.mil.passes import pass_pipeline as _pipeline

            _torch_ops._tqdm = silent
            _pipeline.tqdm = silent
        except (ImportError, AttributeError):  # a coremltools without those bars
            pass
    return ct


def op_histogram_from_spec(spec) -> dict[str, int]:
    """MIL op type -> count over every function and nested block of an ML program spec."""
    counter: collections.Counter[str] = collections.Counter()

    def walk(block) -> None:
        for op in block.operations:
            counter[op.type] += 1
            for inner in op.blocks:
                walk(inner)

    if not spec.HasField("mlProgram"):
        raise ExportError("the converted model is not an ML program (no mlProgram in its spec)")
    for fn in spec.mlProgram.functions.values():
        for block in fn.block_specializations.values():
            walk(block)
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _dtype(code: int) -> str:
    """Name of a Core ML ``ArrayFeatureType.ArrayDataType`` value."""
    return {65568: "float32", 65552: "float16", 65600: "float64", 131104: "int32"}.get(
        int(code), f"ArrayDataType {code}"
    )


def convert(
    prep: Prepared,
    config,
    precision: str,
    out_dir: Path,
    stem: str,
    name: str,
    metadata: dict[str, str],
    step: Callable[[str], None],
) -> dict[str, Any]:
    """Write ``out_dir/<stem>.mlpackage``; return what the manifest needs to know about it."""
    import torch

    step("loading coremltools")
    ct = import_coremltools()
    path = out_dir / f"{stem}.mlpackage"
    shape = tuple(int(d) for d in prep.example.shape)

    step("torch.export")
    try:
        with _quiet():
            program = torch.export.export(prep.model, (prep.example,)).run_decompositions({})
    except Exception as exc:
        raise ExportError(f"{name}: torch.export cannot capture this model for Core ML: {one_line(exc)}") from exc

    if config.input_kind == "image":
        pre = image_preprocessing("coreml")
        ct_input = ct.ImageType(
            name=IMAGE_INPUT,
            shape=shape,
            scale=pre["image_type_scale"],
            bias=pre["image_type_bias"],
            color_layout=ct.colorlayout.RGB,
        )
        input_name = IMAGE_INPUT
    else:
        ct_input = ct.TensorType(name=TENSOR_INPUT, shape=shape)
        input_name = TENSOR_INPUT

    step("converting to Core ML")
    try:
        with _quiet():
            mlmodel = ct.convert(
                program,
                inputs=[ct_input],
                outputs=[ct.TensorType(name=OUTPUT_NAME)],
                convert_to="mlprogram",
                minimum_deployment_target=getattr(ct.target, config.target),
                compute_precision=ct.precision.FLOAT32 if precision == "fp32" else ct.precision.FLOAT16,
                skip_model_load=True,
            )
    except Exception as exc:
        raise ExportError(f"{name}: coremltools cannot convert this model: {one_line(exc)}") from exc

    applied: dict[str, Any] = {"scheme": f"{precision} compute precision"}
    if precision not in ("fp16", "fp32"):
        step(f"coremltools.optimize ({precision})")
        mlmodel, applied = optimize(mlmodel, precision, prep, config, name)

    spec_inputs = [i.name for i in mlmodel.get_spec().description.input]
    spec_outputs = [o.name for o in mlmodel.get_spec().description.output]
    if spec_inputs != [input_name] or spec_outputs != [OUTPUT_NAME]:
        raise ExportError(
            f"{name}: converted model has inputs {spec_inputs} / outputs {spec_outputs}, "
            f"expected ['{input_name}'] / ['{OUTPUT_NAME}']"
        )

    mlmodel.short_description = metadata["description"]
    mlmodel.author = metadata["author"]
    mlmodel.license = metadata["license"]
    mlmodel.version = metadata["version"]
    mlmodel.input_description[input_name] = metadata["input_description"]
    mlmodel.output_description[OUTPUT_NAME] = metadata["output_description"]
    for k, v in metadata.items():
        if k.startswith("mobench."):
            mlmodel.user_defined_metadata[k] = str(v)

    step("saving .mlpackage")
    try:
        with _quiet():
            mlmodel.save(str(path))
            spec = ct.utils.load_spec(str(path))  # read back: the checks describe the file on disk
    except Exception as exc:
        raise ExportError(f"{name}: cannot save or re-read the .mlpackage: {one_line(exc)}") from exc
    histogram = op_histogram_from_spec(spec)

    parity: dict[str, Any]
    if not config.check_parity:
        parity = {"status": "skipped", "reason": "parity check disabled (check_parity=False)"}
    elif sys.platform != "darwin":
        parity = {"status": "skipped", "reason": PARITY_SKIPPED}
    else:
        step("Core ML parity")
        parity = run_parity(path, prep, precision, input_name, config.input_kind)
        if parity["status"] == "failed":
            raise ExportError(f"{name}: Core ML output differs from PyTorch: {parity['reason']}")
    if parity["status"] == "skipped" and precision not in ("fp16", "fp32"):
        parity["rule"] = recipe(precision).parity_rule()

    out_desc = spec.description.output[0]
    out_shape = [int(d) for d in out_desc.type.multiArrayType.shape] or [int(d) for d in prep.reference_output.shape]
    in_desc = spec.description.input[0]
    if config.input_kind == "image":
        in_dtype, layout = "uint8 image", "RGB image (H x W)"
    else:
        # With fp16 compute precision coremltools 9 gives the torch.export program
        # float16 multiarray I/O (iOS16+), so no cast ops around the graph.
        in_dtype = _dtype(in_desc.type.multiArrayType.dataType)
        layout = "NCHW"
    return {
        "path": path,
        "op_histogram": histogram,
        "parity": parity,
        "opset": None,
        "target": config.target,
        "input": {"name": input_name, "shape": list(shape), "dtype": in_dtype, "layout": layout},
        "recipe_applied": applied,
        "extra_checks": compression_checks(histogram, precision, eligible_weights(prep.model)),
        "output": {"name": OUTPUT_NAME, "shape": out_shape, "dtype": _dtype(out_desc.type.multiArrayType.dataType)},
        "exporter": {
            "name": "coremltools ct.convert of torch.export program (run_decompositions({}))",
            "convert_to": "mlprogram",
            "compute_precision": "fp32" if precision == "fp32" else "fp16",
            "minimum_deployment_target": config.target,
            "spec_version": int(spec.specificationVersion),
        },
    }


W8A8_TARGETS = ("iOS17", "iOS18")
#: Weight tensors with fewer elements stay uncompressed (coremltools' own default: compressing
#: a small tensor saves nothing and adds a decompression op).
WEIGHT_THRESHOLD = 2048
#: MIL ops that decompress weights at load time (per coremltools 9 and target iOS16..18).
COMPRESSION_OPS = {
    "w8": ("constexpr_affine_dequantize", "constexpr_blockwise_shift_scale"),
    "int8": ("constexpr_affine_dequantize", "constexpr_blockwise_shift_scale"),
    "palettize6": ("constexpr_lut_to_dense",),
    "palettize4": ("constexpr_lut_to_dense",),
    "w8a8": ("constexpr_affine_dequantize", "constexpr_blockwise_shift_scale"),
}


def eligible_weights(module, threshold: int | None = None) -> int:
    """Conv/linear weight tensors of ``module`` large enough to be compressed (>= ``WEIGHT_THRESHOLD`` elements)."""
    threshold = WEIGHT_THRESHOLD if threshold is None else threshold
    return sum(
        1
        for name, p in module.named_parameters()
        if name.endswith("weight") and p.dim() >= 2 and p.numel() >= threshold
    )


def compression_checks(histogram: dict[str, int], precision: str, eligible: int = 1) -> list[dict[str, Any]]:
    """A weight-compressed program holds its decompression ops (if it has weights large enough to compress)."""
    if precision not in COMPRESSION_OPS:
        return []
    found = {op: histogram[op] for op in COMPRESSION_OPS[precision] if histogram.get(op)}
    return [
        {
            "name": "compressed_weights",
            "passed": bool(found) or eligible == 0,
            "expected": f"any of {list(COMPRESSION_OPS[precision])} ({eligible} weight tensors >= {WEIGHT_THRESHOLD} elements)",
            "actual": found,
            "detail": f"the {precision} program decompresses its weights at load time",
        }
    ]


def optimize(mlmodel, precision: str, prep: Prepared, config, name: str):
    """Apply the recipe with ``coremltools.optimize.coreml``; return the model and what was applied."""
    import coremltools.optimize.coreml as cto

    if precision == "w8a8":
        if config.target not in W8A8_TARGETS:
            raise ExportError(
                f"{name}: recipe w8a8 needs --target iOS17 or later (activation quantization), not {config.target}"
            )
        if sys.platform != "darwin":
            raise ExportError(
                f"{name}: recipe w8a8 cannot be built on {sys.platform}: coremltools' linear_quantize_activations "
                "calibrates by running Core ML predictions, which need macOS"
            )
    try:
        with _quiet():
            if precision in ("w8", "int8", "w8a8"):
                wcfg = cto.OptimizationConfig(
                    global_config=cto.OpLinearQuantizerConfig(
                        mode="linear_symmetric",
                        dtype="int8",
                        granularity="per_channel",
                        weight_threshold=WEIGHT_THRESHOLD,
                    )
                )
                if precision == "w8a8":
                    acfg = cto.OptimizationConfig(
                        global_config=cto.experimental.OpActivationLinearQuantizerConfig(mode="linear_symmetric")
                    )
                    samples = [{TENSOR_INPUT: x} for x in calibration_inputs(tuple(prep.example.shape), config)]
                    mlmodel = cto.experimental.linear_quantize_activations(mlmodel, acfg, samples)
                mlmodel = cto.linear_quantize_weights(mlmodel, config=wcfg)
                applied = {
                    "scheme": "int8 symmetric per-channel weights"
                    + (" + int8 activations" if precision == "w8a8" else ""),
                    "tool": "coremltools.optimize.coreml.linear_quantize_weights",
                }
            else:
                nbits = int(precision.removeprefix("palettize"))
                pcfg = cto.OptimizationConfig(
                    global_config=cto.OpPalettizerConfig(mode="kmeans", nbits=nbits, weight_threshold=WEIGHT_THRESHOLD)
                )
                mlmodel = cto.palettize_weights(mlmodel, config=pcfg)
                applied = {
                    "scheme": f"{nbits}-bit k-means palettization per weight tensor",
                    "tool": "coremltools.optimize.coreml.palettize_weights",
                }
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"{name}: coremltools.optimize cannot apply {precision}: {one_line(exc)}") from exc
    return mlmodel, applied


def run_parity(path: Path, prep: Prepared, precision: str, input_name: str, input_kind: str) -> dict[str, Any]:
    """Predict with Core ML (macOS only, CPU compute units) and compare with PyTorch."""
    import numpy as np

    ct = import_coremltools()
    if precision not in ("fp16", "fp32"):
        if input_kind == "image":
            return {"status": "skipped", "reason": "quantized Core ML parity is run on tensor inputs only"}
        try:
            model = ct.models.MLModel(str(path), compute_units=ct.ComputeUnit.CPU_ONLY)
            inputs = parity_inputs(prep, input_kind)
            outs = [model.predict({input_name: x})[OUTPUT_NAME] for x in inputs]
        except Exception as exc:
            return {
                "status": "failed",
                "reason": f"Core ML cannot predict: {one_line(exc)}",
                "runtime": f"coremltools {ct.__version__}",
            }
        return compare_quantized(
            outs, torch_outputs(prep, inputs), precision, f"Core ML (coremltools {ct.__version__}, CPU_ONLY)"
        )
    try:
        model = ct.models.MLModel(str(path), compute_units=ct.ComputeUnit.CPU_ONLY)
        if input_kind == "image":
            from PIL import Image

            pixels = prep.reference_input[0].permute(1, 2, 0).numpy().astype(np.uint8)
            feed = Image.fromarray(pixels, mode="RGB")
        else:
            feed = prep.reference_input.numpy()
        out = model.predict({input_name: feed})[OUTPUT_NAME]
    except Exception as exc:
        return {
            "status": "failed",
            "reason": f"Core ML cannot predict: {one_line(exc)}",
            "runtime": f"coremltools {ct.__version__}",
        }
    return compare(out, prep.reference_output.numpy(), precision, f"Core ML (coremltools {ct.__version__}, CPU_ONLY)")
