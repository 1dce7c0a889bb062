"""Real third-party models, as their projects ship them inside PyPI packages, timed end to end on ``cpu``.

Each wheel is downloaded with pip (``pip download --no-deps``, pinned versions) into
mobench's cache folder (``$MOBENCH_CACHE_DIR/real_models``) the first time, and the
ONNX files are taken out of it; nothing is installed. Then every model goes through
``mobench models show ... --json`` (params and MACs at the chosen shape) and
``mobench bench ... --protocol quick`` (latency), exactly as a user would type them,
and one table prints each model's inputs, latency, params, MACs and the command.

Models (free dims in brackets, as the files declare them):

- rapidocr-onnxruntime 1.4.4: PP-OCRv4 text detector ``x [?, 3, ?, ?]``, PP-OCRv4 text
  recognizer ``x [?, 3, ?, ?]``, PP-OCR text-direction classifier ``x [?, 3, ?, ?]``
  (weights held as Constant nodes);
- ddddocr 1.6.1: captcha OCR ``input1 [1, 1, 64, image_width?]``;
- silero-vad 6.2.3: voice-activity detector ``input [?, ?] float32``, ``state [2, ?, 128]
  float32``, ``sr [] int64`` (the sample rate must be 16000 or 8000, so its inputs come
  from an ``.npz``).

Run: ``python benchmarks/bench_real_models.py`` (needs network access to PyPI the first time).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RealModel:
    wheel: str  # pip requirement, pinned
    member: str  # the ONNX file inside the wheel
    inputs: tuple[str, ...] = ()  # --input values
    npz: dict | None = None  # name -> (shape, dtype, fill) for --input-data
    what: str = ""


MODELS = (
    RealModel(
        "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
        ("x=1x3x640x640",),
        what="PP-OCRv4 text detector (free H, W)",
    ),
    RealModel(
        "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
        ("x=1x3x48x320",),
        what="PP-OCRv4 text recognizer (free H, W)",
    ),
    RealModel(
        "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        ("x=1x3x48x192",),
        what="PP-OCR text direction classifier (free H, W)",
    ),
    RealModel(
        "ddddocr==1.6.1",
        "ddddocr/common.onnx",
        ("input1=1x1x64x256",),
        what="ddddocr captcha OCR (free width)",
    ),
    RealModel(
        "silero-vad==6.2.3",
        "silero_vad/data/silero_vad.onnx",
        npz={
            "input": ((1, 512), "float32", "normal"),
            "state": ((2, 1, 128), "float32", "zeros"),
            "sr": ((), "int64", 16000),
        },
        what="Silero VAD: 3 inputs, float32 + int64 scalar",
    ),
)


def cache_dir() -> Path:
    root = Path(os.environ.get("MOBENCH_CACHE_DIR") or Path.home() / ".cache" / "mobench")
    return root / "real_models"


def fetch(m: RealModel) -> Path:
    """The ONNX file of ``m``, downloaded with pip into the cache on first use."""
    name, _, version = m.wheel.partition("==")
    dest = cache_dir() / f"{name}-{version}" / m.member
    if dest.is_file():
        return dest
    wheels = cache_dir() / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_")
    found = sorted(wheels.glob(f"{norm}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), m.wheel],
            check=True,
            timeout=900,
        )
        found = sorted(wheels.glob(f"{norm}-{version}-*.whl"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(found[0]) as zf, tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
        tmp.write(zf.read(m.member))
    os.replace(tmp.name, dest)
    return dest


def make_npz(m: RealModel, path: Path) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = {}
    for k, (shape, dtype, fill) in (m.npz or {}).items():
        if fill == "normal":
            arrays[k] = (rng.standard_normal(shape) * 0.1).astype(dtype)
        elif fill == "zeros":
            arrays[k] = np.zeros(shape, dtype)
        else:
            arrays[k] = np.array(fill, dtype=dtype).reshape(shape)
    out = path.with_suffix(".inputs.npz")
    np.savez(out, **arrays)
    return out


def mobench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mobench", *args], capture_output=True, text=True, timeout=1800, check=False
    )


def main() -> int:
    db = cache_dir() / "bench_real_models.sqlite"
    rows = []
    for m in MODELS:
        path = fetch(m)
        opts: list[str] = []
        for v in m.inputs:
            opts += ["--input", v]
        if m.npz:
            opts += ["--input-data", str(make_npz(m, path))]
        show = mobench("models", "show", str(path), *opts, "--json")
        if show.returncode != 0:
            print(f"{path.name}: models show failed: {show.stderr.strip()}", file=sys.stderr)
            return 1
        info = json.loads(show.stdout)
        bench = [
            "bench",
            "-m",
            str(path),
            *opts,
            "--device",
            "cpu",
            "--protocol",
            "quick",
            "--db",
            str(db),
            "--force",
            "--json",
        ]
        res = mobench(*bench)
        if res.returncode != 0:
            print(f"{path.name}: bench failed: {res.stderr.strip()}", file=sys.stderr)
            return 1
        run = json.loads(res.stdout)[0]
        rows.append(
            {
                "model": f"{m.wheel.split('==')[0]}/{path.name}",
                "what": m.what,
                "inputs": "; ".join(info.get("chosen_inputs") or []),
                "median_ms": run.get("median_ms"),
                "params_m": info.get("params_m"),
                "macs_m": info.get("macs_m"),
                "macs_note": info.get("macs_note") or "not counted",
                "command": "mobench " + shlex.join(bench[:-4]).replace(str(cache_dir()), "$CACHE"),
            }
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nReal models on cpu (ONNX Runtime), protocol quick, {os.cpu_count()} logical cores, "
        f"1-minute load average {load:.1f} at the end; files under $CACHE = {cache_dir()}\n"
    )
    print("| model | inputs | median ms | params M | MACs M |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        macs = r["macs_m"] if r["macs_m"] is not None else r["macs_note"]
        print(f"| {r['model']} | {r['inputs']} | {r['median_ms']:.2f} | {r['params_m']} | {macs} |")
    print("\nCommands:")
    for r in rows:
        print(f"  {r['command']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
