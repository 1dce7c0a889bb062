"""Make the results stores of every earlier schema version, with the store code of that version.

Each ``schema-N.sqlite`` here was written by mobench's own ``Store`` as it was at the commit
below (taken from git history with ``git archive``), so the migration tests start from exactly
what a user of that version has on disk. Run from the repository root to remake them:

    .venv/bin/python tests/results/legacy/make_stores.py

The runs are synthetic but shaped like real ones: ok runs of several rounds with raw samples
(statistics computed by that version's store), a failed run, and, from schema 3 on, a sweep and
a comparison; schema 4 adds a study row. Schema 5 folded ``precision`` into ``recipe``; schema 6
added the inputs a run fed (from schema 6 on, one run records them); schema 7 (the last hand-kept
one) added the precision statistics and a "too busy to tell" comparison.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

# schema version -> the last commit whose store code wrote it
COMMITS = {1: "0c049e5", 2: "c187ba0", 3: "aeb0a18", 4: "1d1eee0", 5: "420e8cb", 6: "b0d0aff", 7: "24c2d9c"}

CHILD = r"""
import random, sys
from mobench.core.records import RunRecord
from mobench.results import Store

version, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(version)


def record(i, model, device, status="ok"):
    rec = RunRecord(model=model, device=device, status=status)
    rec.artifact_format = {"cpu": "onnx", "torch": "torch", "coreml": "coreml"}[device]
    rec.artifact_sha256 = f"{i:064x}"
    rec.artifact_path = f"/cache/{model}/{rec.artifact_format}"
    if hasattr(rec, "precision"):  # the recipe's name until schema 5
        rec.precision = "fp32" if i % 2 else "fp16"
    else:
        rec.recipe = "fp32" if i % 2 else "fp16"
    rec.reparameterized = bool(i % 2)
    rec.protocol = "quick"
    rec.config = {"name": "quick", "warmup": 2, "rounds": 3, "inferences": 10, "trim": 1}
    rec.device_info = {"threads": 1 + i % 4, "graph_optimization": "all"}
    rec.provenance = {"host": "lab-host", "cpu": "Test CPU", "os": "Linux",
                      "versions": {"python": "3.11.9", "onnxruntime": "1.20.1", "torch": "2.8.0",
                                   "mobench": "0.1.0"}, "git_commit": "abc1234"}
    rec.created = f"2026-11-2{i % 10}T10:00:0{i % 10}+00:00"
    if status == "ok":
        rec.compile_ms = 10.0 + i
        rec.load_ms = [rng.uniform(5, 50) for _ in range(3)]
        rec.first_inference_ms = [rng.uniform(1, 9) for _ in range(3)]
        rec.warmup_ms = [[rng.uniform(1, 3) for _ in range(2)] for _ in range(3)]
        rec.samples_ms = [[rng.lognormvariate(0.3 + 0.1 * i, 0.05) for _ in range(10)] for _ in range(3)]
        rec.memory = {"load_rss_delta_mb": 12.5 + i}
        rec.rounds_info = [{"round": r} for r in range(3)]
    else:
        rec.error = "ExportError: cannot export"
    rec.extra = {"config_key": f"key{i}", "n": i}
    if version >= 6 and i == 2:
        from mobench.core.inputs import Inputs
        rec.inputs = Inputs.from_dict({
            "inputs": [{"name": "x", "shape": [1, 3, 256, 256], "symbols": ["batch", None, "h", "w"],
                        "fixed": [False, True, False, False], "dtype": "float32", "kind": "image",
                        "source": "onnx"}],
            "data": {"path": "/data/x.npz", "sha256": "ab" * 32}, "notes": [], "default": False,
        }).to_dict()
    return rec


with Store(out) as st:
    runs = [record(1, "mobileone_s0", "cpu"), record(2, "mobileone_s1", "torch"),
            record(3, "resnet18", "cpu", status="failed"), record(4, "mobileone_s0", "coreml")]
    for rec in runs:
        st.add_run(rec)
    if version >= 3:
        sweep = dict(schedule="interleaved", seed=7, labels=["a", "b"], round_order=[0, 1, 1, 0], groups=[[0, 1]])
        st.add_sweep(**sweep)
        result = dict(a_spec="cpu:s0", b_spec="cpu:s1", statistic="robust_ms", ratio=0.8, ci_low=0.7,
                      ci_high=0.9, confidence=0.95, verdict="faster", pairs=3, note="x")
        st.add_compare(record(5, "mobileone_s0", "cpu"), record(6, "mobileone_s1", "cpu"), sweep, result)
    if version >= 7:
        busy = dict(result, verdict="too busy to tell", ratio=1.01, ci_low=0.9, ci_high=1.1)
        st.add_compare(record(7, "mobileone_s0", "cpu"), record(8, "mobileone_s0", "cpu"), sweep, busy)
    if version >= 4:
        from mobench.results.profiles import add_study
        add_study(st, "branches", "cpu", 224, [{"k": 1, "run_ids": [1, 2]}], {"note": "x"})
"""


def make(version: int, commit: str) -> Path:
    out = HERE / f"schema-{version}.sqlite"
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", commit, "mobench"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": tmp}
        subprocess.run([sys.executable, "-c", CHILD, str(version), str(out)], env=env, check=True, cwd=tmp)
    import sqlite3

    con = sqlite3.connect(out)  # one self-contained file: no -wal / -shm beside it
    con.execute("PRAGMA journal_mode = DELETE")
    con.execute("VACUUM")
    con.close()
    return out


if __name__ == "__main__":
    wanted = [int(a) for a in sys.argv[1:]] or list(COMMITS)  # e.g. `make_stores.py 5`: only that one
    for v in wanted:
        print(make(v, COMMITS[v]))
