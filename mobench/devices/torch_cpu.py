"""``torch``: eager PyTorch on the CPU.

For comparing graphs where ONNX is not the question, e.g. MobileOne's
train-time (unfused) and deployed (fused) forms. Takes no artifact: the model
is built from the registry (``fuse`` picks the deployed or train-time form).
Runs under ``torch.inference_mode()`` with ``threads`` intra-op threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.errors import DeviceError
from ..core.inputs import feed
from ..models import build_deployed
from ..models.user import is_user_key
from .base import THREADS, DeviceOption, DeviceProfiler, LocalDevice, cpu_info, resolve_threads, seeded_tensor


class TorchCpuDevice(LocalDevice):
    name = "torch"
    artifact_format = None
    description = "eager PyTorch on the CPU"
    runtime, runtime_label, runtime_package = "torch-eager", "torch", "torch"
    OPTIONS = (
        THREADS,
        DeviceOption(
            "resolution",
            int,
            224,
            "input height and width",
            label="{}px",
            label_default=False,
            minimum=16,
            from_export="resolution",
        ),
        DeviceOption(
            "fuse",
            bool,
            True,
            "time the deployed (reparameterized) graph; false: the train-time graph",
            scope="run",
            from_export="reparameterize",
        ),
        DeviceOption(
            "checkpoint", str, None, "weights to load (a .pt/.pth file)", scope="run", from_export="checkpoint"
        ),
    )
    threads: int
    resolution: int
    fuse: bool
    checkpoint: str | None

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        resolve_threads(self)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            return False, f"torch is not installed ({exc})"
        return True, ""

    def target(self, artifact: Any = None):
        return self.host_target(artifact, recipe="fp32")

    @classmethod
    def profiler(cls) -> DeviceProfiler:
        return DeviceProfiler(
            "torch.profiler (CPU time per leaf module)", "mobench.profiling.torch_profiler:profile_torch", 30
        )

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "torch_version": self.runtime_version(),
            "fused": self.fuse,
            **cpu_info(self),
        }

    def artifact_fields(self, artifact: Any) -> dict[str, Any]:
        return {"artifact_format": "torch", "recipe": "fp32", "reparameterized": self.fuse}

    def load(self, model_name: str, artifact: Any):
        import torch

        torch.set_num_threads(self.threads)
        return _Loaded(build_deployed(model_name, checkpoint=self.checkpoint, fuse=self.fuse).eval(), model_name)

    def make_input(self, handle, artifact: Any, config: Any):
        """A user model's inputs (every one, by name, in its dtype); a registered model's 1x3xRxR tensor."""
        import torch

        if config.input_kind != "tensor":
            raise DeviceError(f"the torch device takes tensor input, not {config.input_kind!r}")
        if is_user_key(handle.model):
            from ..models.chosen_inputs import inputs_of
            from ..models.user import lookup

            inputs = inputs_of(handle.model)
            arrays = {k: torch.from_numpy(v) for k, v in feed(inputs, config.seed).items()}
            return arrays, lookup(handle.model).input_call
        x = torch.from_numpy(seeded_tensor((1, 3, self.resolution, self.resolution), config.seed))
        return {"x": x}, "positional"

    def bind(self, handle, inputs) -> Callable[[], Any]:
        import torch

        model = handle.module
        arrays, call = inputs
        if call == "keyword":

            def predict():
                with torch.inference_mode():
                    return model(**arrays)

            return predict
        args = tuple(arrays.values())

        def predict_positional():
            with torch.inference_mode():
                return model(*args)

        return predict_positional


@dataclass
class _Loaded:
    """A built module and the model name it was built from (which says what inputs it takes)."""

    module: Any
    model: str
