"""How long does `mobench run` take here? Times the quick (and optionally paper) preset per stage.

Prints wall time per stage and the ratio to its time budget (quick: 180 s,
paper: 900 s, exports included), for a fresh output folder and for the resumed
second run (which must reuse everything). Timings on a shared 2-core machine are noisy.

    python benchmarks/bench_main_job.py           # quick preset
    python benchmarks/bench_main_job.py --paper   # also the paper preset (~10-15 min)
    python benchmarks/bench_main_job.py --precision --preset paper   # --target-ci 2 against the fixed 5 s budget
    python benchmarks/bench_main_job.py --precision -m mobileone_s0 -m resnet18   # the same on a few models

``--precision`` times the same models with the study protocol twice in one folder (exports
made first, outside the timing): with the former fixed budget (5 s of timing per model) and
with the default stop by precision (+-2%, between 1 s and 10 s), alternating which goes first
over ``--repeats``, and prints the timing stage's seconds of each, their ratio and how many
runs met the target. Goal: the precision study takes no longer than the fixed budget on a
quiet machine.
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


def precision(preset: str | None, models: list[str] | None, repeats: int) -> None:
    from dataclasses import replace

    from mobench.core.configs import PROTOCOLS, protocol
    from mobench.workflows.main_job import run_main_job

    fixed = replace(protocol("study"), name="study-budget5", time_budget_s=5.0, target_ci_pct=None, min_time_s=0.0)
    if "study-budget5" not in PROTOCOLS:
        PROTOCOLS.register("study-budget5", fixed)
    with tempfile.TemporaryDirectory(prefix="mobench-precision-") as tmp:
        out = Path(tmp) / "results"
        run_main_job(preset=preset, models=models, out=out, protocol_name="quick")  # exports, outside the timing
        times: dict[str, list[float]] = {"study-budget5": [], "study": []}
        for i in range(repeats):
            order = ["study-budget5", "study"] if i % 2 == 0 else ["study", "study-budget5"]
            for name in order:
                res = run_main_job(preset=preset, models=models, out=out, protocol_name=name, force=True)
                t = res.seconds.get("benchmark", 0.0)
                times[name].append(t)
                met = sum(1 for r in res.records if r.status == "ok" and r.stopped_by == "precision")
                print(
                    f"  {name:14s} timing {t:6.1f} s, {len(res.records)} runs, {met} stopped at the precision target",
                    flush=True,
                )
        a, b = sum(times["study-budget5"]), sum(times["study"])
        print(f"timing with --target-ci 2 / with the fixed 5 s budget = {b / a:.2f} ({b:.0f} s / {a:.0f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paper", action="store_true", help="also time the paper preset")
    ap.add_argument("--precision", action="store_true", help="stop by precision against the fixed budget")
    ap.add_argument("--preset", default="quick", help="model set for --precision (default quick)")
    ap.add_argument("--model", "-m", action="append", default=None, help="models for --precision instead of a preset")
    ap.add_argument("--repeats", type=int, default=1, help="pairs of studies for --precision (default 1)")
    args = ap.parse_args()
    if args.precision:
        precision(None if args.model else args.preset, args.model, args.repeats)
        return
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
