"""``coreml``: Core ML on a Mac through coremltools' ``MLModel.predict``.

Compute units: ``all`` (Core ML's default), ``cpu`` (CPU_ONLY), ``gpu``
(CPU_AND_GPU) and ``ane`` (CPU_AND_NE, i.e. ``cpuAndNeuralEngine``). Core ML
prediction exists only on macOS: on Linux the device is listed as unavailable
with that reason. Timing wraps ``MLModel.predict`` (including coremltools'
Python-side input conversion, which a native app does not pay: the
``iphone`` device is the native measurement).
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.errors import DeviceError
from ..core.util import cpu_model
from .base import DeviceOption, DeviceProfiler, LocalDevice, seeded_tensor

COMPUTE_UNITS = {"all": "ALL", "cpu": "CPU_ONLY", "gpu": "CPU_AND_GPU", "ane": "CPU_AND_NE"}


class CoreMLDevice(LocalDevice):
    name = "coreml"
    artifact_format = "coreml"
    description = "Core ML on this Mac via coremltools"
    runtime, runtime_label, runtime_package = "coreml", "coreml", "coremltools"
    OPTIONS = (DeviceOption("compute_units", str, "all", "Core ML compute units", tuple(COMPUTE_UNITS), label="{}"),)
    compute_units: str

    @classmethod
    def available(cls) -> tuple[bool, str]:
        if platform.system() != "Darwin":
            return False, "Core ML prediction needs macOS; coremltools cannot predict on Linux"
        try:
            import coremltools  # noqa: F401
        except ImportError as exc:
            return False, f"coremltools is not installed ({exc}); pip install coremltools"
        try:
            from coremltools import libcoremlpython  # noqa: F401
        except ImportError as exc:
            return False, f"coremltools has no native prediction library here ({exc})"
        return True, ""

    def target(self, artifact: Any = None):
        return self.host_target(artifact)

    @classmethod
    def profiler(cls) -> DeviceProfiler:
        return DeviceProfiler(
            "Core ML compute plan (estimated cost per op x measured median; macOS 14.4+)",
            "mobench.profiling.coreml_plan:profile_coreml",
        )

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "coremltools_version": self.runtime_version(),
            "coreml_compute_unit": COMPUTE_UNITS[self.compute_units],
            "macos_version": platform.mac_ver()[0] or None,
            "device_model": platform.machine(),
            "cpu_model": cpu_model(),
        }

    def load(self, model_name: str, artifact: Any):
        import coremltools as ct

        path = Path(artifact.path)
        if not path.exists():
            raise DeviceError(
                f"Core ML artifact {path} is missing; re-export it (mobench export --model {model_name} --format coreml --force)"
            )
        cu = getattr(ct.ComputeUnit, COMPUTE_UNITS[self.compute_units])
        try:
            return ct.models.MLModel(str(path), compute_units=cu)
        except Exception as exc:  # coremltools raises bare Exceptions/RuntimeErrors
            raise DeviceError(f"Core ML cannot load {path} ({exc}); re-export it with --force") from exc

    def make_input(self, handle, artifact: Any, config: Any):
        man = getattr(artifact, "manifest", None) or {}
        if man.get("inputs"):  # a model file: every input by name, images as pixel buffers
            from ..core.inputs import Inputs, feed

            inputs = Inputs.from_dict(man["inputs"])
            arrays = feed(inputs, config.seed)
            out: dict[str, Any] = {}
            for s in inputs.specs:
                a = arrays[s.name]
                if s.kind == "image":
                    from PIL import Image

                    pixels = (a.reshape(a.shape[-3:]).transpose(1, 2, 0) * 63).astype("uint8")
                    out[s.name] = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
                else:
                    out[s.name] = a
            return out
        spec_in = man.get("input") or {}
        desc = handle.get_spec().description.input[0]
        name = spec_in.get("name") or desc.name
        shape = spec_in.get("shape") or [1, 3, 224, 224]
        if config.input_kind == "image" or desc.type.WhichOneof("Type") == "imageType":
            import numpy as np
            from PIL import Image

            h, w = int(shape[-2]), int(shape[-1])
            rng = np.random.default_rng(config.seed)
            img = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")
            return {name: img}
        # fp16 ML programs declare float16 inputs (coremltools >= 8)
        dtype = "float16" if _is_fp16_array(desc) else "float32"
        return {name: seeded_tensor(shape, config.seed, dtype)}

    def bind(self, handle, inputs) -> Callable[[], Any]:
        predict_fn = handle.predict
        feed = inputs

        def predict():
            return predict_fn(feed)

        return predict


def _is_fp16_array(desc) -> bool:
    """True when a Core ML input description is a FLOAT16 multi-array."""
    try:
        from coremltools.proto import FeatureTypes_pb2 as ft

        return (
            desc.type.WhichOneof("Type") == "multiArrayType"
            and desc.type.multiArrayType.dataType == ft.ArrayFeatureType.FLOAT16
        )
    except (ImportError, AttributeError):
        return False
