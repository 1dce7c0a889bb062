"""``cpu``: ONNX Runtime's CPU execution provider, the embedded default device.

Session options follow what makes a latency figure reproducible: intra-op
threads = ``threads`` (default: the physical core count, recorded), one
inter-op thread, sequential execution, and an explicit graph optimization
level (``all`` by default). ONNX Runtime gives no per-session memory figure
through its Python API, so memory is the process RSS (see ``devices.base``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import DeviceError, one_line
from ..core.target import host_target
from ..core.util import package_version
from .base import DeviceOption, LocalDevice, cpu_info, cpu_threads, input_feed, positive_int

GRAPH_OPT_LEVELS = ("disable", "basic", "extended", "all")


class OrtCpuDevice(LocalDevice):
    name = "cpu"
    artifact_format = "onnx"
    description = "ONNX Runtime, CPU execution provider (options: threads, graph_optimization)"
    OPTIONS = {
        "threads": DeviceOption("threads", positive_int, "intra-op threads (default: physical cores)"),
        "graph_optimization": DeviceOption("graph_opt", str, "ONNX Runtime graph optimization level", GRAPH_OPT_LEVELS),
    }

    def __init__(self, threads: int | None = None, graph_opt: str = "all") -> None:
        if graph_opt not in GRAPH_OPT_LEVELS:
            raise DeviceError(
                f"unknown graph optimization level {graph_opt!r}; choose one of {', '.join(GRAPH_OPT_LEVELS)}"
            )
        self.threads = cpu_threads(threads)
        self.threads_default = threads is None
        self.graph_opt = graph_opt

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            return False, f"onnxruntime is not installed ({exc}); pip install onnxruntime"
        if "CPUExecutionProvider" not in ort.get_available_providers():
            return False, "this onnxruntime build has no CPUExecutionProvider"
        return True, ""

    def options_key(self) -> dict[str, Any]:
        return {"threads": self.threads, "graph_opt": self.graph_opt}

    def target(self, artifact: Any = None):
        man = getattr(artifact, "manifest", None) or {}
        return host_target(
            self.name,
            runtime="onnxruntime",
            runtime_version=package_version("onnxruntime"),
            recipe=man.get("precision"),
            threads=self.threads,
            graph_optimization=self.graph_opt,
        )

    def info(self) -> dict[str, Any]:

        return {
            "runtime": "onnxruntime",
            "ort_version": package_version("onnxruntime"),
            "execution_provider": "CPUExecutionProvider",
            "inter_op_threads": 1,
            "execution_mode": "sequential",
            "graph_optimization": self.graph_opt,
            **cpu_info(self.threads, self.threads_default),
        }

    def session_options(self):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[self.graph_opt]
        so.log_severity_level = 3
        return so

    def load(self, model_name: str, artifact: Any):
        import onnxruntime as ort

        path = Path(artifact.path)
        if not path.is_file():
            raise DeviceError(
                f"ONNX artifact {path} is missing; re-export it (mobench export --model {model_name} --format onnx --force)"
            )
        try:
            return ort.InferenceSession(str(path), self.session_options(), providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... types
            msg = one_line(exc, with_type=False)
            raise DeviceError(
                f"ONNX Runtime cannot load {path} ({msg}); the artifact may be corrupt: re-export it with --force"
            ) from exc

    def make_input(self, handle, artifact: Any, config: Any):
        if config.input_kind != "tensor":
            raise DeviceError(f"the cpu device takes tensor input, not {config.input_kind!r}")
        if not handle.get_inputs():
            raise DeviceError("the ONNX model has no input")
        man = getattr(artifact, "manifest", None) or {}
        feed = input_feed(artifact, config)
        graph = [i.name for i in handle.get_inputs()]
        if not man.get("inputs") and len(feed) == 1 and len(graph) == 1:  # an export's one input, by position
            return {graph[0]: next(iter(feed.values()))}
        return feed

    def bind(self, handle, inputs) -> Callable[[], Any]:
        run = handle.run
        feed = inputs

        def predict():
            return run(None, feed)

        return predict
