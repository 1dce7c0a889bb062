"""Helpers shared by the iPhone host tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

STANDIN = Path(__file__).resolve().parent / "standin.py"
STANDIN_CMD = [sys.executable, str(STANDIN)]


def run_cli(args, capsys):
    from mobench.cli import main

    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def write_payload_package(path: Path, seed: int = 0) -> Path:
    """An opaque .mlpackage-shaped folder (Manifest.json + weights) for transport/hash tests."""
    import random

    rng = random.Random(seed)
    (path / "Data" / "com.apple.CoreML" / "weights").mkdir(parents=True)
    (path / "Manifest.json").write_text(json.dumps({"fileFormatVersion": "1.0.0", "seed": seed}))
    (path / "Data" / "com.apple.CoreML" / "weights" / "weight.bin").write_bytes(
        bytes(rng.getrandbits(8) for _ in range(4096))
    )
    return path


def make_plan_dir(
    root: Path,
    onnx_path: Path,
    *,
    compute_units=("all", "cpuAndNeuralEngine"),
    rounds=2,
    inferences=5,
    warmup=1,
    trim=1,
    reload_per_round=False,
    model="tiny",
) -> Path:
    from mobench.core.configs import BenchConfig
    from mobench.core.util import atomic_write_json, sha256_path
    from mobench.devices.remote.plan import make_plan

    plan_dir = root / "plan"
    plan_dir.mkdir(parents=True)
    pkg = write_payload_package(plan_dir / f"{model}.mlpackage")
    shutil.copyfile(onnx_path, plan_dir / f"{model}.onnx")
    cfg = BenchConfig(
        name="custom",
        warmup=warmup,
        rounds=rounds,
        inferences=inferences,
        trim=trim,
        reload_per_round=reload_per_round,
        input_kind="image",
    )
    plan = make_plan(
        [(model, pkg.name, sha256_path(pkg))], list(compute_units), cfg, host={"extra_files": [f"{model}.onnx"]}
    )
    atomic_write_json(plan_dir / "plan.json", plan)
    return plan_dir
