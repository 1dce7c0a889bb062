"""Repeatability: the same study twice in two processes, then once beside this project's pytest.

Each run is ``mobench run`` (``run_main_job``) of ``--preset`` (default paper) in a fresh child
process, re-timing every model (exports reused from the first run). Printed side by side:

* quiet run 2 against quiet run 1: rank agreement (Spearman of the per-model headline
  latencies), how many models' headlines lie within 5% of their other run (MLPerf Mobile's
  run-to-run rule) and within 3%;
* how many quiet runs the calibrated "rounds disagree" flag marked (goal: at most 1 in 20);
* the run beside pytest (``python -m pytest tests/core tests/models``, restarted until the run
  ends) against quiet run 1: rank agreement and how far rho(latency, MACs) moved;
* each run's wall time and how many runs met their precision target.

Goals: quiet rank agreement >= 0.99, every model within 5% and >= 90% within 3%; beside pytest
rank agreement >= 0.97 and rho moves by at most 0.05. The quiet runs mean what they say only
on an otherwise quiet machine.

    python benchmarks/bench_repeatability.py                                 # paper preset
    python benchmarks/bench_repeatability.py -m mobileone_s0 -m mobilenet_v3_small -m resnet18
    python benchmarks/bench_repeatability.py --preset quick --no-pytest      # development
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RANK_QUIET = 0.99
GOAL_WITHIN_5 = 1.0
GOAL_WITHIN_3 = 0.90
GOAL_RANK_PYTEST = 0.97
GOAL_RHO_SHIFT = 0.05
GOAL_FLAG_QUIET = 1 / 20


def child(args) -> None:
    """One study in this process; its figures go to ``--child`` as JSON."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_load_robustness import _figures

    from mobench.workflows.main_job import run_main_job

    t0 = time.perf_counter()
    res = run_main_job(
        preset=None if args.model else args.preset,
        models=args.model,
        out=args.out,
        device=args.device,
        force=True,
        precision=dict(target_ci_pct=args.target_ci),
    )
    wall = time.perf_counter() - t0
    rho, lat = _figures(res, args.device)
    met = sum(1 for r in res.records if r.status == "ok" and r.stopped_by == "precision")
    from mobench.results import Store

    with Store(res.db) as st:  # the calibrated "rounds disagree" flag of each run
        flagged = [
            r.model for r in res.records if r.status == "ok" and (st.get_stats(r.run_id) or {}).get("rounds_disagree")
        ]
    Path(args.child).write_text(
        json.dumps(
            {
                "latency": {str(k): float(v) for k, v in lat.items()},
                "rho": rho,
                "seconds": wall,
                "timing_s": res.seconds.get("benchmark"),
                "met": met,
                "flagged": flagged,
                "runs": sum(1 for r in res.records if r.status == "ok"),
            }
        )
    )


def _run(args, label: str, fig: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", str(fig), "--out", str(args.out), "--device", args.device]
    cmd += [x for m in args.model or [] for x in ("-m", m)] or ["--preset", args.preset]
    if args.target_ci is not None:
        cmd += ["--target-ci", str(args.target_ci)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    d = json.loads(fig.read_text())
    print(
        f"{label:13s} {len(d['latency'])} models, {time.perf_counter() - t0:.0f} s (study {d['seconds']:.0f} s, "
        f"timing {d['timing_s'] or 0:.0f} s); rho(latency, MACs) {d['rho']:.3f}; stopped at the precision target: "
        f"{d['met']}/{d['runs']}; rounds disagree: {len(d['flagged'])}/{d['runs']}"
        + (f" ({', '.join(d['flagged'])})" if d["flagged"] else ""),
        flush=True,
    )
    return d


def _compare(a: dict, b: dict) -> tuple[float, float, float, list[float]]:
    from scipy.stats import spearmanr

    common = sorted(set(a["latency"]) & set(b["latency"]))
    x, y = [a["latency"][m] for m in common], [b["latency"][m] for m in common]
    ratios = [q / p for p, q in zip(x, y, strict=True)]
    within5 = sum(abs(r - 1) <= 0.05 for r in ratios) / len(ratios)
    within3 = sum(abs(r - 1) <= 0.03 for r in ratios) / len(ratios)
    return float(spearmanr(x, y).statistic), within5, within3, ratios


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="paper")
    ap.add_argument("--model", "-m", action="append", default=None, help="models instead of a preset (repeatable)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--target-ci", type=float, default=None, help="the study's --target-ci (default: the protocol's)")
    ap.add_argument("--no-pytest", action="store_true", help="skip the run beside pytest")
    ap.add_argument("--out", type=Path, default=None, help="study folder shared by the runs (default: a temp dir)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return 0
    args.out = args.out or Path(tempfile.mkdtemp(prefix="mobench-repeat-"))
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"study folder {args.out}; load average now {load:.1f} on {os.cpu_count()} CPUs", flush=True)
    figs = args.out / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    q1 = _run(args, "quiet run 1", figs / "q1.json")
    q2 = _run(args, "quiet run 2", figs / "q2.json")
    rank, w5, w3, ratios = _compare(q1, q2)
    met = rank >= GOAL_RANK_QUIET and w5 >= GOAL_WITHIN_5 and w3 >= GOAL_WITHIN_3
    print(
        f"run 2 vs run 1: rank agreement {rank:.3f} (goal >= {GOAL_RANK_QUIET}); within 5%: {w5:.0%} (goal 100%); "
        f"within 3%: {w3:.0%} (goal >= 90%); ratios {min(ratios):.3f}-{max(ratios):.3f} "
        f"{'MET' if met else 'MISSED'}"
    )
    flags = len(q1["flagged"]) + len(q2["flagged"])
    runs = q1["runs"] + q2["runs"]
    ok = flags <= GOAL_FLAG_QUIET * runs
    met &= ok
    print(
        f"quiet runs flagged 'rounds disagree': {flags}/{runs} (goal <= {GOAL_FLAG_QUIET * runs:.1f}, 1 in 20) "
        f"{'MET' if ok else 'MISSED'}"
    )
    if not args.no_pytest:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_load_robustness import PytestLoad

        with PytestLoad() as load:
            pt = _run(args, "beside pytest", figs / "pytest.json")
        print(f"  (pytest started {load.started} time(s) during that run)")
        rank_p, w5p, _, ratios_p = _compare(q1, pt)
        shift = abs(pt["rho"] - q1["rho"])
        ok = rank_p >= GOAL_RANK_PYTEST and shift <= GOAL_RHO_SHIFT
        met &= ok
        print(
            f"beside pytest vs run 1: rank agreement {rank_p:.3f} (goal >= {GOAL_RANK_PYTEST}); rho moved {shift:.3f} "
            f"(goal <= {GOAL_RHO_SHIFT}); within 5%: {w5p:.0%}; ratios {min(ratios_p):.3f}-{max(ratios_p):.3f} "
            f"{'MET' if ok else 'MISSED'}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
