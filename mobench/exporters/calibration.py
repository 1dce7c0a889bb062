"""Inputs for static quantization (calibration) and for quantized parity.

Calibration uses either a user's folder of images (``--calibration-dir``:
resized to the export resolution, center-cropped, ImageNet-normalized for
tensor inputs or kept as 0..255 pixels for image inputs) or seeded synthetic
inputs drawn like the inputs the random-weight models' BatchNorm statistics were
calibrated on (standard normal). Parity inputs use another seed
(:data:`.recipes.PARITY_SEED`), so a quantized model is judged out-of-sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.errors import UsageError
from .config import IMAGENET_MEAN, IMAGENET_STD
from .recipes import PARITY_SAMPLES, PARITY_SEED

CALIBRATION_SEED = 7
CALIBRATION_SAMPLES = 16
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def seeded_inputs(shape, n: int, seed: int, input_kind: str = "tensor") -> list[Any]:
    """``n`` float32 arrays of ``shape``: standard normal (tensor input) or uniform 0..255 pixels (image input)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in shape)
    if input_kind == "image":
        return [rng.uniform(0, 255, size=shape).astype(np.float32) for _ in range(n)]
    return [rng.standard_normal(shape).astype(np.float32) for _ in range(n)]


def image_inputs(folder: str | Path, shape, input_kind: str = "tensor", limit: int = 64) -> list[Any]:
    """Up to ``limit`` images of ``folder`` as model inputs of ``shape`` (N=1, 3, H, W)."""
    import numpy as np
    from PIL import Image

    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not files:
        raise UsageError(f"calibration folder {folder} has no images ({', '.join(IMAGE_SUFFIXES)})")
    h, w = int(shape[-2]), int(shape[-1])
    mean = np.array(IMAGENET_MEAN, dtype=np.float32).reshape(3, 1, 1)
    std = np.array(IMAGENET_STD, dtype=np.float32).reshape(3, 1, 1)
    out = []
    for f in files:
        try:
            img = Image.open(f).convert("RGB")
        except Exception as exc:
            raise UsageError(f"calibration image {f} cannot be read: {exc}") from None
        scale = max(h / img.height, w / img.width)
        img = img.resize(
            (max(w, round(img.width * scale)), max(h, round(img.height * scale))), Image.Resampling.BILINEAR
        )
        left, top = (img.width - w) // 2, (img.height - h) // 2
        arr = np.asarray(img.crop((left, top, left + w, top + h)), dtype=np.float32).transpose(2, 0, 1)
        if input_kind != "image":
            arr = (arr / 255.0 - mean) / std
        out.append(arr[None].astype(np.float32))
    return out


def calibration_inputs(shape, config) -> list[Any]:
    """What static quantization calibrates on: ``config.calibration_dir`` images, else seeded inputs."""
    if getattr(config, "calibration_dir", None):
        return image_inputs(config.calibration_dir, shape, config.input_kind)
    return seeded_inputs(shape, CALIBRATION_SAMPLES, CALIBRATION_SEED, config.input_kind)


def calibration_source(config) -> str:
    if getattr(config, "calibration_dir", None):
        return f"images from {config.calibration_dir}"
    return f"{CALIBRATION_SAMPLES} seeded standard-normal inputs (seed {CALIBRATION_SEED})"


def parity_inputs(prep, input_kind: str = "tensor") -> list[Any]:
    """The export's example input plus seeded inputs (PARITY_SEED) for quantized parity."""
    first = prep.example.numpy().astype("float32")
    return [first] + seeded_inputs(first.shape, PARITY_SAMPLES - 1, PARITY_SEED, input_kind)


def torch_outputs(prep, inputs) -> list[Any]:
    """The fp32 PyTorch model's logits for ``inputs`` (numpy arrays)."""
    import torch

    with torch.no_grad():
        return [prep.model(torch.from_numpy(x)).numpy() for x in inputs]
