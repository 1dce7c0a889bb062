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
from ..core.target import host_target
from ..core.util import package_version
from ..models import build_deployed
from ..models.user import is_user_key
from .base import DeviceOption, LocalDevice, cpu_info, cpu_threads, positive_int, seeded_tensor


class TorchCpuDevice(LocalDevice):
    name = "torch"
    artifact_format = None
    description = "eager PyTorch on the CPU (options: threads, fuse, resolution, checkpoint)"
    OPTIONS = {
        "threads": DeviceOption("threads", positive_int, "intra-op threads (default: physical cores)"),
        "resolution": DeviceOption("resolution", positive_int, "input height and width (default 224)"),
    }

    def __init__(
        self, threads: int | None = None, fuse: bool = True, resolution: int = 224, checkpoint: str | None = None
    ) -> None:
        if not isinstance(resolution, int) or resolution < 16:
            raise DeviceError(f"resolution must be an integer >= 16, not {resolution!r}")
        self.threads = cpu_threads(threads)
        self.threads_default = threads is None
        self.fuse = bool(fuse)
        self.resolution = resolution
        self.checkpoint = checkpoint

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            return False, f"torch is not installed ({exc})"
        return True, ""

    def options_key(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "fuse": self.fuse,
            "resolution": self.resolution,
            "checkpoint": self.checkpoint,
        }

    def target(self, artifact: Any = None):
        return host_target(
            self.name,
            runtime="torch-eager",
            runtime_version=package_version("torch"),
            recipe="fp32",
            threads=self.threads,
            resolution=self.resolution,
        )

    def info(self) -> dict[str, Any]:

        return {
            "runtime": "torch-eager",
            "torch_version": package_version("torch"),
            "fused": self.fuse,
            "resolution": self.resolution,
            **cpu_info(self.threads, self.threads_default),
        }

    def artifact_fields(self, artifact: Any) -> dict[str, Any]:
        return {"artifact_format": "torch", "precision": "fp32", "reparameterized": self.fuse}

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
