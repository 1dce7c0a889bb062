"""Does "the rounds disagree" mean something? Its flag rate quiet and under a load, side by side with the old 20% rule.

Times a model set (``--preset``, default paper; or ``-m`` models) with the ``study`` protocol,
``--quiet-runs`` times as the machine is, then ``--loaded-runs`` times under the synthetic load
of ``bench_load_robustness.py`` (every core busy 15 s, idle 15 s). For every run it reads the
stored flag (``rounds_disagree``: spread of the round medians beyond what the run's own
within-round noise predicts, ``mobench.core.statistics.spread_limit``) and, on the same
samples, the former fixed rule (spread > 20%).

Goals: quiet, at most 1 run in 20 flagged; loaded, at least 4 in 5 of the runs whose robust
latency moved more than 10% from the same model's first quiet run are flagged.

    python benchmarks/bench_flag_rate.py                                  # paper preset, 1 quiet + 1 loaded
    python benchmarks/bench_flag_rate.py -m mobileone_s0 -m mobilenet_v3_small --quiet-runs 2 --loaded-runs 1
    python benchmarks/bench_flag_rate.py --loaded-runs 0                  # quiet flag rate only
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

GOAL_QUIET = 1 / 20
GOAL_LOADED = 4 / 5
MOVED = 0.10


def _sweep(models, device, db, exports, label):
    from mobench.core.configs import protocol
    from mobench.core.statistics import ROUND_DISAGREE
    from mobench.exporters import ExportConfig
    from mobench.results import Store
    from mobench.workflows import run_sweep

    t0 = time.perf_counter()
    recs = run_sweep(models, device, protocol("study"), db=db, force=True, export_config=ExportConfig(out_dir=exports))
    out = {}
    with Store(db) as st:
        for r in recs:
            if r.status != "ok":
                continue
            s = st.get_stats(r.run_id) or {}
            out[r.model] = {
                "robust": s.get("robust_ms"),
                "spread": s.get("round_spread"),
                "limit": s.get("round_spread_limit"),
                "flag": bool(s.get("rounds_disagree")),
                "old": (s.get("round_spread") or 0) > ROUND_DISAGREE,
                "met": s.get("target_ci_met"),
            }
    flags = sum(v["flag"] for v in out.values())
    old = sum(v["old"] for v in out.values())
    print(
        f"{label}: {len(out)} runs in {time.perf_counter() - t0:.0f} s; flagged {flags} (former 20% rule: {old}); "
        f"precision target met by {sum(v['met'] == 1 for v in out.values())}",
        flush=True,
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="paper", help="model set (default paper)")
    ap.add_argument("--model", "-m", action="append", default=None, help="models instead of a preset (repeatable)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--quiet-runs", type=int, default=1, help="sweeps as the machine is (default 1)")
    ap.add_argument("--loaded-runs", type=int, default=1, help="sweeps under the 15 s / 15 s load (default 1)")
    ap.add_argument("--on", type=float, default=15.0)
    ap.add_argument("--off", type=float, default=15.0)
    ap.add_argument("--out", type=Path, default=None, help="folder for stores and exports (default: a temp dir)")
    args = ap.parse_args()

    from mobench.models import resolve_models

    models = resolve_models(args.model, None if args.model else args.preset)
    out = args.out or Path(tempfile.mkdtemp(prefix="mobench-flags-"))
    exports = out / "exports"
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(
        f"{len(models)} models, device {args.device}, load average now {load:.1f} on {os.cpu_count()} CPUs", flush=True
    )
    quiet = [
        _sweep(models, args.device, out / f"quiet{i}.sqlite", exports, f"quiet {i + 1}") for i in range(args.quiet_runs)
    ]
    loaded = []
    if args.loaded_runs:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_load_robustness import SyntheticLoad

        with SyntheticLoad(args.on, args.off):
            loaded = [
                _sweep(models, args.device, out / f"loaded{i}.sqlite", exports, f"loaded {i + 1}")
                for i in range(args.loaded_runs)
            ]
    met = True
    q = [v for run in quiet for v in run.values()]
    if q:
        rate = sum(v["flag"] for v in q) / len(q)
        old = sum(v["old"] for v in q) / len(q)
        ok = rate <= GOAL_QUIET
        met &= ok
        limits = sorted(v["limit"] for v in q if v["limit"] is not None)
        print(
            f"as the machine is: {sum(v['flag'] for v in q)}/{len(q)} runs flagged = {rate:.0%} "
            f"(goal <= {GOAL_QUIET:.0%} on a quiet machine) {'MET' if ok else 'MISSED'}; former 20% rule {old:.0%}; "
            f"calibrated limits {100 * limits[0]:.0f}%-{100 * limits[-1]:.0f}% (median "
            f"{100 * limits[len(limits) // 2]:.0f}%)"
            if limits
            else ""
        )
    if loaded and quiet:
        ref = quiet[0]
        moved = [
            (m, v)
            for run in loaded
            for m, v in run.items()
            if m in ref and abs(v["robust"] / ref[m]["robust"] - 1) > MOVED
        ]
        steady = [
            (m, v)
            for run in loaded
            for m, v in run.items()
            if m in ref and abs(v["robust"] / ref[m]["robust"] - 1) <= MOVED
        ]
        if moved:
            rate = sum(v["flag"] for _, v in moved) / len(moved)
            old = sum(v["old"] for _, v in moved) / len(moved)
            ok = rate >= GOAL_LOADED
            met &= ok
            print(
                f"loaded: {len(moved)} runs moved > {MOVED:.0%} from the first quiet run; flagged "
                f"{sum(v['flag'] for _, v in moved)} = {rate:.0%} (goal >= {GOAL_LOADED:.0%}) "
                f"{'MET' if ok else 'MISSED'}; former 20% rule {old:.0%}"
            )
        else:
            print(f"loaded: no run moved more than {MOVED:.0%} from the quiet run")
        if steady:
            print(
                f"loaded: {len(steady)} runs within {MOVED:.0%} of the quiet run; flagged "
                f"{sum(v['flag'] for _, v in steady)} (former rule {sum(v['old'] for _, v in steady)})"
            )
    print(f"stores in {out}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
