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
from types import MappingProxyType
from typing import Any

from ..core.errors import DeviceError, one_line
from .base import THREADS, DeviceOption, DeviceProfiler, LocalDevice, cpu_info, input_feed, resolve_threads

GRAPH_OPT_LEVELS = ("disable", "basic", "extended", "all")


class OrtCpuDevice(LocalDevice):
    name = "cpu"
    artifact_format = "onnx"
    description = "ONNX Runtime, CPU execution provider"
    runtime, runtime_label, runtime_package = "onnxruntime", "ort", "onnxruntime"
    OPTIONS = (
        THREADS,
        DeviceOption(
            "graph_optimization",
            str,
            "all",
            "ONNX Runtime graph optimization level",
            GRAPH_OPT_LEVELS,
            label="opt-{}",
            label_default=False,
            stored_as="graph_opt",  # the reuse keys of stored runs name it so
        ),
        DeviceOption(
            "spin",
            str,
            "on",
            "whether the intra-op threads spin-wait for work after a run (ONNX Runtime's default, on) "
            "or sleep at once (off)",
            ("on", "off"),
            label="spin-{}",
            label_default=False,
            keyed_when_set=True,  # runs stored before this option existed ran with spinning on
        ),
    )
    # Interleaved rounds of several models run with spinning off. Measured on a quiet 2-core machine
    # (README, "Can the numbers be trusted?"): with spinning on, an A/A compare took 60 s (915 round
    # pairs) and the side timed second in a pair ran up to ~60% slower; with it off, 6 s and ~5%. A
    # 4-model study-protocol sweep took 41 s and reached +-2% for none of them (CV 29-59%) against
    # 12 s, CV 6-10%. Alone (contiguous), spinning on is faster for small models (mobilenet_v3_small
    # 1.3-1.4 ms against 2.0 ms): the default stays on, and the label says "spin-off" where it is off.
    INTERLEAVED_OPTIONS = MappingProxyType({"spin": "off"})
    threads: int
    graph_optimization: str
    spin: str

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        resolve_threads(self)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            return False, f"onnxruntime is not installed ({exc}); pip install onnxruntime"
        if "CPUExecutionProvider" not in ort.get_available_providers():
            return False, "this onnxruntime build has no CPUExecutionProvider"
        return True, ""

    def target(self, artifact: Any = None):
        return self.host_target(artifact)

    @classmethod
    def profiler(cls) -> DeviceProfiler:
        return DeviceProfiler(
            "ONNX Runtime profiler (kernel time per node)", "mobench.profiling.onnxruntime:profile_onnx", 100
        )

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "ort_version": self.runtime_version(),
            "execution_provider": "CPUExecutionProvider",
            "inter_op_threads": 1,
            "execution_mode": "sequential",
            **cpu_info(self),
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
        }[self.graph_optimization]
        so.log_severity_level = 3
        if self.spin == "off":
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
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
