"""What storing a sweep costs: the store before (SQLite by hand) and after (SQLAlchemy + Alembic).

Times ``Store.add_run`` for every run of the ``paper`` preset (30 models plus the unfused
MobileOne graphs ``mobench run`` also times) with the samples of a protocol (default: ``paper``,
1 x 1000 inferences per model) into a new SQLite store, with the store code of commit
``--old`` (taken from git with ``git archive``) and with this tree's, in alternating child
processes, and prints the ratio after / before of the median times. Both sides store the
same records (generated once, seeded) and compute the same statistics per run.

    python benchmarks/bench_store.py                 # 7 repeats of each side
    python benchmarks/bench_store.py --protocol study --repeats 11
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD = "bee1bd6"  # the last commit with the hand-kept SQLite store

CHILD = r"""
import json, sys, time
from mobench.core.records import RunRecord
from mobench.results import Store

from mobench.core.statistics import compute_stats

records, db = json.load(open(sys.argv[1])), sys.argv[2]
compute_stats([[1.0, 2.0, 3.0]], None)  # imports scipy before the clock starts (the same on both sides)
t0 = time.perf_counter()
store = Store(db)
t1 = time.perf_counter()
for r in records:
    store.add_run(RunRecord(model=r["model"], device="cpu", protocol=r["protocol"], config=r["config"],
                            samples_ms=r["samples"], load_ms=[12.0], device_info={"threads": 2},
                            provenance={"host": "bench", "versions": {"python": "3.11", "onnxruntime": "1.20"}},
                            extra={"config_key": r["key"]}))
t2 = time.perf_counter()
store.close()
print(json.dumps({"open_s": t1 - t0, "store_s": t2 - t1}))
"""


def records(protocol_name: str) -> list[dict]:
    from mobench.core.configs import protocol
    from mobench.models import resolve_models
    from mobench.workflows.main_job import _reparameterizable

    cfg = protocol(protocol_name)
    names = resolve_models(None, "paper")
    runs = [(n, False) for n in names] + [(n, True) for n in _reparameterizable(names)]
    rng = random.Random(0)
    out = []
    for model, unfused in runs:
        base = rng.uniform(0.5, 20)
        out.append(
            {
                "model": model + (":unfused" if unfused else ""),
                "protocol": cfg.name,
                "config": cfg.to_dict(),
                "key": f"{model}-{unfused}",
                "samples": [
                    [rng.lognormvariate(0, 0.05) * base for _ in range(cfg.inferences)] for _ in range(cfg.rounds)
                ],
            }
        )
    return out


def run_side(pythonpath: str, data: Path, tmp: Path, i: int) -> dict:
    db = tmp / f"s{i}.sqlite"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), str(db)],
        env={**os.environ, "PYTHONPATH": pythonpath},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"bench_store: a child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", default=OLD, help=f"commit whose store is 'before' (default {OLD})")
    ap.add_argument("--protocol", default="paper", help="timing protocol whose samples are stored (default paper)")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    recs = records(args.protocol)
    n_samples = sum(len(x) for r in recs for x in r["samples"])
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp_s:
        tmp = Path(tmp_s)
        old_tree = tmp / "old"
        old_tree.mkdir()
        archive = subprocess.run(["git", "archive", args.old, "mobench"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive.stdout, check=True)
        data = tmp / "records.json"
        data.write_text(json.dumps(recs))
        sides = {"before": str(old_tree), "after": str(ROOT)}
        times: dict[str, list[dict]] = {"before": [], "after": []}
        for i in range(args.repeats):  # alternate, so a busy spell of the machine hits both sides
            for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
                times[name].append(run_side(sides[name], data, tmp, len(times["before"]) + len(times["after"])))
    med = {k: statistics.median(t["store_s"] for t in v) for k, v in times.items()}
    opened = {k: statistics.median(t["open_s"] for t in v) for k, v in times.items()}
    print(
        f"storing the paper preset ({len(recs)} runs, {n_samples} samples, protocol {args.protocol}) "
        f"into a new SQLite store, median of {args.repeats} each:"
    )
    for k in ("before", "after"):
        print(
            f"  {k:<6} store {med[k]:.3f} s   (open/create {opened[k] * 1000:.0f} ms)   [{args.old if k == 'before' else 'this tree'}]"
        )
    print(
        f"ratio after/before: {med['after'] / med['before']:.2f}x (store), {opened['after'] / opened['before']:.2f}x (open)"
    )


if __name__ == "__main__":
    main()
