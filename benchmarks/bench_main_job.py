"""How long does `mobench run` take here? Times the quick (and optionally paper) preset per stage.

Prints wall time per stage and the ratio to its time budget (quick: 180 s,
paper: 900 s, exports included), for a fresh output folder and for the resumed
second run (which must reuse everything). Timings on a shared 2-core machine are noisy.

    python benchmarks/bench_main_job.py           # quick preset
    python benchmarks/bench_main_job.py --paper   # also the paper preset (~10-15 min)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

BUDGET_S = {"quick": 180.0, "paper": 900.0}


def one(preset: str, out: Path) -> float:
    from mobench.workflows.main_job import run_main_job

    t0 = time.perf_counter()
    res = run_main_job(preset=preset, out=out)
    total = time.perf_counter() - t0
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in res.seconds.items())
    ok = sum(r.status == "ok" for r in res.records)
    print(
        f"  {preset:6s} total {total:7.1f} s  ({stages}); {ok}/{len(res.records)} models ok, "
        f"{len(res.failed)} failed, protocol {res.protocol}"
    )
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paper", action="store_true", help="also time the paper preset")
    args = ap.parse_args()
    presets = ["quick"] + (["paper"] if args.paper else [])
    for preset in presets:
        with tempfile.TemporaryDirectory(prefix=f"mobench-run-{preset}-") as tmp:
            out = Path(tmp) / "results"
            print(f"{preset}: fresh folder")
            first = one(preset, out)
            print(f"{preset}: second run (resume)")
            second = one(preset, out)
            budget = BUDGET_S[preset]
            print(
                f"{preset}: fresh/budget = {first / budget:.2f} (budget {budget:.0f} s); "
                f"resumed/fresh = {second / first:.2f}\n"
            )


if __name__ == "__main__":
    main()
