"""``executorch``: ExecuTorch programs (.pte) timed with ``executorch.runtime`` on this CPU.

The program's delegate (XNNPACK by default) runs on ExecuTorch's shared
thread pool; ``threads`` resizes it (``_unsafe_reset_threadpool`` of the
pybindings, the only knob the Python runtime exposes; it is process-wide) and
the count read back from the pool (``_threadpool_get_thread_count``) is what is
recorded. Same protocols, store and memory figures as ``cpu`` (see ``devices.base``).

A Core ML delegated program (``--format-option delegate=coreml``) only runs on Apple
hardware: this device times XNNPACK (or undelegated) programs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import DeviceError
from .base import THREADS, DeviceProfiler, LocalDevice, cpu_info, input_feed, resolve_threads


def _pybindings():
    import executorch.extension.pybindings.portable_lib as pl

    return pl


class ExecuTorchDevice(LocalDevice):
    name = "executorch"
    artifact_format = "executorch"
    description = "ExecuTorch runtime (.pte, XNNPACK delegate) on this CPU"
    runtime, runtime_label, runtime_package = "executorch", "et", "executorch"
    OPTIONS = (THREADS,)
    threads: int

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        resolve_threads(self)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import executorch.runtime  # noqa: F401
        except Exception as exc:
            return False, f"executorch is not importable ({type(exc).__name__}: {exc}); pip install executorch"
        return True, ""

    def target(self, artifact: Any = None):
        return self.host_target(artifact)

    @classmethod
    def profiler(cls) -> DeviceProfiler:
        return DeviceProfiler(
            "ExecuTorch event tracer (ETDump: time per XNNPACK operator)",
            "mobench.profiling.executorch_profiler:profile_executorch",
            50,
        )

    def _set_threads(self) -> int | None:
        try:
            pl = _pybindings()
            if pl._threadpool_get_thread_count() != self.threads:
                pl._unsafe_reset_threadpool(self.threads)
            return int(pl._threadpool_get_thread_count())
        except (ImportError, AttributeError):  # a build without the thread-pool bindings
            return None

    def info(self) -> dict[str, Any]:
        used = self._set_threads()
        return {
            **super().info(),
            "executorch_version": self.runtime_version(),
            "threadpool_threads": used,
            **cpu_info(self),
        }

    def artifact_fields(self, artifact: Any) -> dict[str, Any]:
        fields = super().artifact_fields(artifact)
        man = getattr(artifact, "manifest", None) or {}
        delegate = (man.get("exporter") or {}).get("delegate")
        if delegate and delegate != "xnnpack":
            raise DeviceError(
                f"the executorch device runs XNNPACK programs on this CPU; {getattr(artifact, 'path', '')} "
                f"is delegated to {delegate} (Apple hardware only)"
            )
        return fields

    def load(self, model_name: str, artifact: Any):
        from ..exporters.executorch import load_method

        path = Path(artifact.path)
        if not path.is_file():
            raise DeviceError(
                f"ExecuTorch program {path} is missing; re-export it "
                f"(mobench export --model {model_name} --format executorch --force)"
            )
        self._set_threads()
        try:
            return load_method(path)
        except Exception as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DeviceError(f"ExecuTorch cannot load {path} ({msg}); re-export it with --force") from None

    def make_input(self, handle, artifact: Any, config: Any):
        import torch

        if config.input_kind != "tensor":
            raise DeviceError(f"the executorch device takes tensor input, not {config.input_kind!r}")
        return [torch.from_numpy(a) for a in input_feed(artifact, config).values()]

    def bind(self, handle, inputs) -> Callable[[], Any]:
        execute = handle.execute
        feed = inputs

        def predict():
            return execute(feed)

        return predict
