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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import ExportError, UsageError, one_line
from .format import Converted, ConvertJob, ExportFormat, FormatOptions, first_input, option

if TYPE_CHECKING:
    from .prepare import Prepared

TENSOR_INPUT = "input"
IMAGE_INPUT = "image"
OUTPUT_NAME = "logits"
PARITY_SKIPPED = "Core ML prediction needs macOS"
TARGETS: tuple[str, ...] = ("iOS15", "iOS16", "iOS17", "iOS18")
DEFAULT_TARGET = "iOS16"


@dataclass(frozen=True)
class CoreMLOptions(FormatOptions):
    target: str = option(DEFAULT_TARGET, "minimum deployment target: " + ", ".join(TARGETS))

    def validate(self) -> CoreMLOptions:
        if self.target not in TARGETS:
            close = [t for t in TARGETS if t.lower() == str(self.target).lower()]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"unknown Core ML target {self.target!r}{hint}; use one of: {', '.join(TARGETS)}")
        return self

    def stem_suffixes(self) -> list[str]:
        return [self.target.lower()] if self.target != DEFAULT_TARGET else []


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


#: The dtypes a Core ML multi-array input holds (coremltools 9: ``ct.TensorType(dtype=...)``);
#: an int64 input is fed as int32 (Core ML has no 64-bit integer arrays), the rest are refused.
COREML_DTYPES = {"float32": "float32", "float16": "float16", "int32": "int32", "int64": "int32"}


def tensor_types(ct, job: ConvertJob) -> list[Any]:
    """One ``ct.TensorType`` per input of a factory (its name, shape and a dtype Core ML holds)."""
    import numpy as np

    out = []
    for sp in job.input_specs or ():
        if sp.dtype not in COREML_DTYPES:
            raise UsageError(
                f"{job.model}: input {sp.describe()}: Core ML multi-array inputs hold "
                f"{', '.join(COREML_DTYPES)}, not {sp.dtype}; export this model to onnx or executorch"
            )
        shape = tuple(int(x or 0) for x in sp.shape)
        out.append(ct.TensorType(name=sp.name, shape=shape, dtype=np.dtype(COREML_DTYPES[sp.dtype]).type))
    return out


class CoreMLFormat(ExportFormat):
    """Core ML ML program (.mlpackage), coremltools; parity on macOS only."""

    name = "coreml"
    extension = ".mlpackage"
    description = "Core ML ML program (.mlpackage), coremltools"
    recipes = ("fp16", "fp32", "int8", "w8", "palettize6", "palettize4", "w8a8")
    options = CoreMLOptions
    ops = {"conv": ("conv",), "batch_norm": ("batch_norm",), "add": ("add",)}
    image_type = True

    def convert(self, job: ConvertJob) -> Converted:
        """Write ``job.path`` (``<stem>.mlpackage``) and describe it."""
        import torch

        from .prepare import image_preprocessing

        assert isinstance(job.options, CoreMLOptions)
        target = job.options.target
        prep, recipe, name, config, metadata = job.prep, job.recipe, job.model, job.config, job.metadata
        job.step("loading coremltools")
        ct = import_coremltools()
        path = job.path
        shape = job.input_shape

        job.step("torch.export")
        try:
            with _quiet():
                program = torch.export.export(prep.model, prep.example_args).run_decompositions({})
        except Exception as exc:
            raise ExportError(f"{name}: torch.export cannot capture this model for Core ML: {one_line(exc)}") from exc

        if config.input_kind == "image":
            pre = image_preprocessing(self.name)
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
        ct_inputs = [ct_input] if job.input_specs is None else tensor_types(ct, job)
        input_names = [i.name for i in ct_inputs]

        job.step("converting to Core ML")
        try:
            with _quiet():
                mlmodel = ct.convert(
                    program,
                    inputs=ct_inputs,
                    outputs=[ct.TensorType(name=OUTPUT_NAME)],
                    convert_to="mlprogram",
                    minimum_deployment_target=getattr(ct.target, target),
                    compute_precision=ct.precision.FLOAT32 if recipe == "fp32" else ct.precision.FLOAT16,
                    skip_model_load=True,
                )
        except Exception as exc:
            raise ExportError(f"{name}: coremltools cannot convert this model: {one_line(exc)}") from exc

        applied: dict[str, Any] = {"scheme": f"{recipe} compute precision"}
        if recipe not in ("fp16", "fp32"):
            job.step(f"coremltools.optimize ({recipe})")
            mlmodel, applied = optimize(mlmodel, recipe, prep, config, name, target)

        spec_inputs = [i.name for i in mlmodel.get_spec().description.input]
        spec_outputs = [o.name for o in mlmodel.get_spec().description.output]
        if spec_inputs != input_names or spec_outputs != [OUTPUT_NAME]:
            raise ExportError(
                f"{name}: converted model has inputs {spec_inputs} / outputs {spec_outputs}, "
                f"expected {input_names} / ['{OUTPUT_NAME}']"
            )

        mlmodel.short_description = metadata["description"]
        mlmodel.author = metadata["author"]
        mlmodel.license = metadata["license"]
        mlmodel.version = metadata["version"]
        for n in input_names:
            mlmodel.input_description[n] = metadata["input_description"]
        mlmodel.output_description[OUTPUT_NAME] = metadata["output_description"]
        for k, v in metadata.items():
            if k.startswith("mobench."):
                mlmodel.user_defined_metadata[k] = str(v)

        job.step("saving .mlpackage")
        try:
            with _quiet():
                mlmodel.save(str(path))
                spec = ct.utils.load_spec(str(path))  # read back: the checks describe the file on disk
        except Exception as exc:
            raise ExportError(f"{name}: cannot save or re-read the .mlpackage: {one_line(exc)}") from exc
        histogram = op_histogram_from_spec(spec)

        out_desc = spec.description.output[0]
        out_shape = [int(d) for d in out_desc.type.multiArrayType.shape] or job.output_shape
        in_desc = spec.description.input[0]
        if config.input_kind == "image":
            in_dtype, layout = "uint8 image", "RGB image (H x W)"
        else:
            # With fp16 compute precision coremltools 9 gives the torch.export program
            # float16 multiarray I/O (iOS16+), so no cast ops around the graph.
            in_dtype = _dtype(in_desc.type.multiArrayType.dataType)
            layout = "NCHW"
        return Converted(
            path=path,
            op_histogram=histogram,
            target=target,
            input={"name": input_name, "shape": list(shape), "dtype": in_dtype, "layout": layout}
            if job.input_specs is None
            else first_input(job, input_name, layout),
            recipe_applied=applied,
            checks=compression_checks(histogram, recipe, eligible_weights(prep.model)),
            output={"name": OUTPUT_NAME, "shape": out_shape, "dtype": _dtype(out_desc.type.multiArrayType.dataType)},
            inputs=None
            if job.input_specs is None
            else tuple(replace(sp, dtype=COREML_DTYPES[sp.dtype]) for sp in job.input_specs),
            exporter={
                "name": "coremltools ct.convert of torch.export program (run_decompositions({}))",
                "convert_to": "mlprogram",
                "compute_precision": "fp32" if recipe == "fp32" else "fp16",
                "minimum_deployment_target": target,
                "spec_version": int(spec.specificationVersion),
            },
        )

    def parity_skipped(self, job: ConvertJob) -> str | None:
        if sys.platform != "darwin":
            return PARITY_SKIPPED
        if job.config.input_kind == "image" and job.recipe not in ("fp16", "fp32"):
            return "quantized Core ML parity is run on tensor inputs only"
        return None

    def predict(self, path: Path, inputs: Sequence[Any], job: ConvertJob) -> list[Any]:
        """Core ML predictions (macOS only, CPU compute units); image inputs are fed as RGB images."""
        import numpy as np

        ct = import_coremltools()
        model = ct.models.MLModel(str(path), compute_units=ct.ComputeUnit.CPU_ONLY)
        input_name = IMAGE_INPUT if job.config.input_kind == "image" else TENSOR_INPUT
        names = [sp.name for sp in job.input_specs] if job.input_specs is not None else [input_name]
        outs = []
        for x in inputs:
            feed: Any = x
            if job.config.input_kind == "image":
                from PIL import Image

                feed = Image.fromarray(np.asarray(x)[0].transpose(1, 2, 0).astype(np.uint8), mode="RGB")
            arrays = (feed,)
            if job.input_specs is not None:  # each input in the dtype the model holds (int64 as int32)
                arrays = tuple(
                    np.asarray(a).astype(COREML_DTYPES[sp.dtype])
                    for a, sp in zip(job.arrays(feed), job.input_specs, strict=True)
                )
            outs.append(model.predict(dict(zip(names, arrays, strict=True)))[OUTPUT_NAME])
        return outs

    def runtime(self) -> str:
        return f"Core ML (coremltools {import_coremltools().__version__}, CPU_ONLY)"


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


def compression_checks(histogram: dict[str, int], recipe: str, eligible: int = 1) -> list[dict[str, Any]]:
    """A weight-compressed program holds its decompression ops (if it has weights large enough to compress)."""
    if recipe not in COMPRESSION_OPS:
        return []
    found = {op: histogram[op] for op in COMPRESSION_OPS[recipe] if histogram.get(op)}
    return [
        {
            "name": "compressed_weights",
            "passed": bool(found) or eligible == 0,
            "expected": f"any of {list(COMPRESSION_OPS[recipe])} ({eligible} weight tensors >= {WEIGHT_THRESHOLD} elements)",
            "actual": found,
            "detail": f"the {recipe} program decompresses its weights at load time",
        }
    ]


def optimize(mlmodel, recipe: str, prep: Prepared, config, name: str, target: str):
    """Apply the recipe with ``coremltools.optimize.coreml``; return the model and what was applied."""
    import coremltools.optimize.coreml as cto

    from .calibration import calibration_inputs

    if recipe == "w8a8":
        if target not in W8A8_TARGETS:
            raise ExportError(
                f"{name}: recipe w8a8 needs target iOS17 or later (--format-option target=iOS17), not {target}"
            )
        if sys.platform != "darwin":
            raise ExportError(
                f"{name}: recipe w8a8 cannot be built on {sys.platform}: coremltools' linear_quantize_activations "
                "calibrates by running Core ML predictions, which need macOS"
            )
    try:
        with _quiet():
            if recipe in ("w8", "int8", "w8a8"):
                wcfg = cto.OptimizationConfig(
                    global_config=cto.OpLinearQuantizerConfig(
                        mode="linear_symmetric",
                        dtype="int8",
                        granularity="per_channel",
                        weight_threshold=WEIGHT_THRESHOLD,
                    )
                )
                if recipe == "w8a8":
                    acfg = cto.OptimizationConfig(
                        global_config=cto.experimental.OpActivationLinearQuantizerConfig(mode="linear_symmetric")
                    )
                    samples = [{TENSOR_INPUT: x} for x in calibration_inputs(tuple(prep.example.shape), config)]
                    mlmodel = cto.experimental.linear_quantize_activations(mlmodel, acfg, samples)
                mlmodel = cto.linear_quantize_weights(mlmodel, config=wcfg)
                applied = {
                    "scheme": "int8 symmetric per-channel weights"
                    + (" + int8 activations" if recipe == "w8a8" else ""),
                    "tool": "coremltools.optimize.coreml.linear_quantize_weights",
                }
            else:
                nbits = int(recipe.removeprefix("palettize"))
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
        raise ExportError(f"{name}: coremltools.optimize cannot apply {recipe}: {one_line(exc)}") from exc
    return mlmodel, applied
