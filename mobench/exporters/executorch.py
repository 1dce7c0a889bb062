"""ExecuTorch export: torch.export -> (PT2E int8) -> to_edge_transform_and_lower -> .pte.

The program is lowered with ``to_edge_transform_and_lower`` to a backend
delegate: XNNPACK by default (``XnnpackPartitioner``, the CPU backend of
Android and iOS builds), or Core ML (``CoreMLPartitioner``, for Apple targets;
``--format-option delegate=coreml``). ``int8`` quantizes with PT2E before lowering: the
``XNNPACKQuantizer`` with its symmetric per-channel config, calibrated on
:func:`.calibration.calibration_inputs`.

Structural checks: the op histogram is read from the exported ATen program
before lowering (so the fused MobileOne checks apply: 43 convolutions, no
batch norm), and the share of operators the partitioner delegated is checked
(``delegation``): every convolution must run inside the delegate.

Parity: the saved ``.pte`` is loaded with ``executorch.runtime`` and run on this
CPU (XNNPACK). A Core ML delegated program only runs on Apple hardware, so its
parity is skipped with that reason.
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import ExportError, UsageError, one_line
from ..core.util import package_version
from .coreml import DEFAULT_TARGET, TARGETS
from .format import Converted, ConvertJob, ExportFormat, FormatOptions, first_input, option

if TYPE_CHECKING:
    from .prepare import Prepared

PARITY_SKIPPED_COREML = "a Core ML delegated ExecuTorch program runs only on Apple hardware"
DELEGATES: tuple[str, ...] = ("xnnpack", "coreml")
DEFAULT_DELEGATE = "xnnpack"


@dataclass(frozen=True)
class ExecuTorchOptions(FormatOptions):
    delegate: str = option(DEFAULT_DELEGATE, "backend delegate: xnnpack (CPU) or coreml (Apple targets)")
    target: str = option(DEFAULT_TARGET, "Core ML minimum deployment target of the coreml delegate")

    def validate(self) -> ExecuTorchOptions:
        if self.delegate not in DELEGATES:
            raise UsageError(f"unknown ExecuTorch delegate {self.delegate!r}; use one of: {', '.join(DELEGATES)}")
        if self.target not in TARGETS:
            raise UsageError(f"unknown Core ML target {self.target!r}; use one of: {', '.join(TARGETS)}")
        return self

    def stem_suffixes(self) -> list[str]:
        out = [self.delegate] if self.delegate != DEFAULT_DELEGATE else []
        if self.delegate == "coreml" and self.target != DEFAULT_TARGET:
            out.append(self.target.lower())
        return out

    def fingerprint(self) -> dict[str, Any]:
        fp: dict[str, Any] = {"delegate": self.delegate}
        if self.delegate == "coreml":  # the Core ML delegate converts for a deployment target
            fp["target"] = self.target
        return fp


@contextlib.contextmanager
def _quiet():
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        level = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)
        try:
            yield
        finally:
            logging.getLogger().setLevel(level)


def aten_histogram(graph_module) -> dict[str, int]:
    """ATen op -> count over ``call_function`` nodes (``aten.convolution.default``, ...)."""
    counter: collections.Counter[str] = collections.Counter()
    for node in graph_module.graph.nodes:
        if node.op == "call_function":
            counter[str(node.target)] += 1
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def partitioner(delegate: str, target: str = "iOS16"):
    """The partitioner of ``delegate``; an :class:`ExportError` saying why if it cannot be imported here.

    The Core ML delegate converts its subgraphs with coremltools (which works on
    Linux too) for ``target`` as the minimum deployment target, fp16 compute.
    """
    if delegate == "xnnpack":
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import (
            XnnpackPartitioner,
        )

        return XnnpackPartitioner()
    try:
        with _quiet():
            import coremltools as ct
            from executorch.backends.apple.coreml.compiler import CoreMLBackend
            from executorch.backends.apple.coreml.partition import CoreMLPartitioner
    except Exception as exc:
        raise ExportError(f"the ExecuTorch Core ML partitioner cannot be imported here: {one_line(exc)}") from exc
    specs = CoreMLBackend.generate_compile_specs(minimum_deployment_target=getattr(ct.target, target))
    return CoreMLPartitioner(compile_specs=specs)


def quantize_pt2e(prep: Prepared, config) -> Any:
    """The PT2E int8 module (XNNPACK quantizer, symmetric per-channel), calibrated."""
    import torch
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    from .calibration import calibration_inputs

    captured = torch.export.export(prep.model, (prep.example,)).module()
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(captured, quantizer)
    with torch.no_grad():
        for x in calibration_inputs(tuple(prep.example.shape), config):
            prepared(torch.from_numpy(x))
    return convert_pt2e(prepared)


def delegation(graph_module) -> dict[str, Any]:
    """Delegated vs. not delegated operators of a lowered graph, and which ops stayed outside."""
    from executorch.devtools.backend_debug import get_delegation_info

    info = get_delegation_info(graph_module)
    outside: collections.Counter[str] = collections.Counter()
    for node in graph_module.graph.nodes:
        if node.op == "call_function":
            name = str(getattr(node.target, "__name__", node.target))
            if "call_delegate" not in name and name != "getitem":
                outside[name] += 1
    total = info.num_delegated_nodes + info.num_non_delegated_nodes
    return {
        "delegated_subgraphs": int(info.num_delegated_subgraphs),
        "delegated_ops": int(info.num_delegated_nodes),
        "non_delegated_ops": int(info.num_non_delegated_nodes),
        "delegated_share": (info.num_delegated_nodes / total) if total else 0.0,
        "outside_ops": dict(outside),
    }


def delegation_checks(deleg: dict[str, Any], delegate: str) -> list[dict[str, Any]]:
    """Hard checks on the share delegated: at least one delegate, no convolution left outside it."""
    convs_outside = sum(v for k, v in deleg["outside_ops"].items() if "convolution" in k)
    return [
        {
            "name": "delegated",
            "passed": deleg["delegated_subgraphs"] >= 1,
            "expected": ">= 1 subgraph",
            "actual": deleg["delegated_subgraphs"],
            "detail": f"the program is lowered to the {delegate} delegate",
        },
        {
            "name": "convs_delegated",
            "passed": convs_outside == 0,
            "expected": 0,
            "actual": convs_outside,
            "detail": f"every convolution runs inside the {delegate} delegate "
            f"(delegated share of ops {deleg['delegated_share']:.3f})",
        },
    ]


class ExecuTorchFormat(ExportFormat):
    """ExecuTorch program (.pte); parity on ``executorch.runtime`` (XNNPACK programs)."""

    name = "executorch"
    extension = ".pte"
    description = "ExecuTorch program (.pte), XNNPACK (default) or Core ML delegate"
    recipes = ("fp32", "int8")
    options = ExecuTorchOptions
    ops = {
        "conv": ("aten.convolution.default",),
        "batch_norm": ("aten._native_batch_norm_legit_no_training.default", "aten.native_batch_norm.default"),
        "add": ("aten.add.Tensor",),
    }

    def convert(self, job: ConvertJob) -> Converted:
        """Write ``job.path`` (``<stem>.pte``) and describe it."""
        import torch

        assert isinstance(job.options, ExecuTorchOptions)
        prep, recipe, name, config = job.prep, job.recipe, job.model, job.config
        job.step("loading executorch")
        try:
            from executorch.exir import to_edge_transform_and_lower
        except ImportError as exc:
            raise ExportError(f"executorch is not installed ({exc}); pip install executorch") from None
        path = job.path
        delegate = job.options.delegate
        part = partitioner(delegate, job.options.target)

        job.step("torch.export")
        try:
            with _quiet():
                float_program = torch.export.export(prep.model, prep.example_args)
                histogram = aten_histogram(float_program.run_decompositions().graph_module)
        except Exception as exc:
            raise ExportError(
                f"{name}: torch.export cannot capture this model for ExecuTorch: {one_line(exc)}"
            ) from exc
        applied: dict[str, Any] = {"scheme": "fp32"}
        program = float_program
        if recipe == "int8":
            from .calibration import calibration_source

            job.step("PT2E int8 quantization (XNNPACK quantizer)")
            try:
                with _quiet():
                    program = torch.export.export(quantize_pt2e(prep, config), (prep.example,))
            except Exception as exc:
                raise ExportError(f"{name}: PT2E int8 quantization failed: {one_line(exc)}") from exc
            applied = {
                "scheme": "PT2E static int8, XNNPACKQuantizer symmetric per-channel weights, per-tensor activations",
                "calibration": calibration_source(config),
            }

        job.step(f"lowering to {delegate}")
        try:
            with _quiet():
                edge = to_edge_transform_and_lower(program, partitioner=[part])
                deleg = delegation(edge.exported_program().graph_module)
                et_program = edge.to_executorch()
                path.write_bytes(et_program.buffer)
        except Exception as exc:
            raise ExportError(f"{name}: ExecuTorch cannot lower this model to {delegate}: {one_line(exc)}") from exc
        return Converted(
            path=path,
            op_histogram=histogram,
            checks=delegation_checks(deleg, delegate),
            counts={"delegation": deleg},
            input=first_input(job, "x", "NCHW"),
            output={"name": "output", "shape": job.output_shape, "dtype": "float32"},
            recipe_applied=applied,
            exporter={
                "name": "executorch to_edge_transform_and_lower of torch.export program",
                "delegate": delegate,
                "executorch_version": _version(),
            },
        )

    def parity_skipped(self, job: ConvertJob) -> str | None:
        assert isinstance(job.options, ExecuTorchOptions)
        return PARITY_SKIPPED_COREML if job.options.delegate != "xnnpack" else None

    def predict(self, path: Path, inputs: Sequence[Any], job: ConvertJob) -> list[Any]:
        """``executorch.runtime`` outputs of the saved program for ``inputs``."""
        import torch

        method = load_method(path)
        return [method.execute([torch.from_numpy(a) for a in job.arrays(x)])[0].numpy().copy() for x in inputs]

    def runtime(self) -> str:
        return f"executorch {_version()} runtime (XNNPACK, CPU)"


def _version() -> str | None:
    return package_version("executorch")


def load_method(path: Path):
    """The ``forward`` method of a saved ``.pte`` (``executorch.runtime``)."""
    from executorch.runtime import Runtime

    with _quiet():
        program = Runtime.get().load_program(str(path))
        return program.load_method("forward")
