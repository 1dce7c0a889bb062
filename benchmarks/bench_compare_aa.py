"""Can `mobench compare` be trusted? A/A false positives and the detection rate of a true 10% difference.

A/A: the same model against itself (``compare X X``: loaded twice), ``--comparisons`` times.
Every verdict "faster" or "slower" is a false positive; "too busy to tell" is counted apart.
Detection: the model against itself made slower by a larger input (``--slower-resolution``,
default 235 px against 224: 10% more pixels), ``--detections`` times; a detection is the
verdict "slower".

From the same raw samples the script also prints the evidence behind the design of
``compare`` (``mobench.workflows.compare``):

* the former statistic (ratio of the two sides' lower quartiles of round medians, paired
  percentile bootstrap of round pairs) and how often it would have called the A/A wrong;
* the order effect: median log ratio A/B in pairs where A ran first minus where B ran first
  (what the ABBA quartets cancel);
* the lag-1 autocorrelation of the pairs' log ratios (pairs are not independent when it is
  far from 0);
* the first timed inference of a round against the rest (a runtime's threads waking up).

Goals: at most 1 in 20 A/A verdicts faster/slower (quiet, under the 15 s / 15 s load and beside
pytest); "too busy to tell" never when quiet and at most 1 in 4 beside pytest; 19 of 20 true 10%
differences found when quiet and under the load.

    python benchmarks/bench_compare_aa.py --comparisons 40 --detections 20            # as the machine is
    python benchmarks/bench_compare_aa.py --load cycle --comparisons 40 --detections 20  # 15 s busy / 15 s idle
    python benchmarks/bench_compare_aa.py --load pytest --comparisons 40              # beside this project's pytest
    python benchmarks/bench_compare_aa.py --comparisons 2 --detections 1 --max-time 3 # smoke test
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

GOAL_FALSE = 1 / 20
GOAL_BUSY_PYTEST = 1 / 4
GOAL_DETECT = 19 / 20


def _old_statistic(ra: np.ndarray, rb: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """The former compare figure: robust(A)/robust(B) with a paired percentile bootstrap of round pairs."""
    from scipy.stats import bootstrap

    def q(x, axis=-1):
        return np.quantile(x, 0.25, axis=axis)

    res = bootstrap(
        (ra, rb),
        lambda x, y, axis=-1: q(x, axis) / q(y, axis),
        paired=True,
        vectorized=True,
        n_resamples=2000,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(q(ra) / q(rb)), float(res.confidence_interval.low), float(res.confidence_interval.high)


def _old_verdict(low: float, high: float) -> str:
    """The former verdict rule: any CI that excludes 1 decides."""
    return "faster" if high < 1 else "slower" if low > 1 else "no detectable difference"


def _evidence(res) -> dict[str, float]:
    from mobench.core.statistics import round_medians

    a, b = res.records
    ra, rb = round_medians(a.samples_ms), round_medians(b.samples_ms)
    n = min(len(ra), len(rb))
    ra, rb = ra[:n], rb[:n]
    d = np.log(ra / rb)
    a_first = np.arange(n) % 2 == 0  # abba: pair 0 is A B, pair 1 is B A, ...
    order = float(np.median(d[a_first]) - np.median(d[~a_first])) if n >= 4 else math.nan
    lag1 = float(np.corrcoef(d[:-1], d[1:])[0, 1]) if n >= 4 and np.std(d) > 0 else math.nan
    first = [r[0] / np.median(r[1:]) for rec in (a, b) for r in rec.samples_ms if len(r) > 2]
    old = _old_statistic(ra, rb)
    return {
        "old_ratio": old[0],
        "old_low": old[1],
        "old_high": old[2],
        "order": order,
        "lag1": lag1,
        "first": float(np.median(first)) if first else math.nan,
    }


@contextmanager
def _condition(load: str, on: float, off: float):
    if load == "none":
        yield
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_load_robustness import PytestLoad, SyntheticLoad

    with SyntheticLoad(on, off) if load == "cycle" else PytestLoad():
        yield


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--model", default="mobilenet_v3_small", help="model compared with itself (default mobilenet_v3_small)"
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--comparisons", type=int, default=40, help="A/A comparisons (default 40)")
    ap.add_argument("--detections", type=int, default=20, help="comparisons against the 10%% slower copy (default 20)")
    ap.add_argument("--slower-resolution", type=int, default=235, help="input size of the slower copy (default 235)")
    ap.add_argument("--load", choices=["none", "cycle", "pytest"], default="none", help="extra load during the runs")
    ap.add_argument("--on", type=float, default=15.0, help="seconds busy per load cycle (default 15)")
    ap.add_argument("--off", type=float, default=15.0, help="seconds idle per load cycle (default 15)")
    ap.add_argument("--target-ci", type=float, default=None, help="compare's --target-ci (default: compare's 2)")
    ap.add_argument("--max-time", type=float, default=None, help="compare's --max-time per side (default 20 s)")
    ap.add_argument("--min-time", type=float, default=None, help="compare's --min-time per side (default 2 s)")
    ap.add_argument("--out", type=Path, default=None, help="folder for exports (default: a temp dir)")
    ap.add_argument(
        "--spin",
        choices=["on", "off"],
        default=None,
        help="the cpu device's spin option on both sides (default: compare's own, off; `on` shows what "
        "ONNX Runtime's spinning threads do to an interleaved comparison)",
    )
    args = ap.parse_args()

    from mobench.core.configs import customize
    from mobench.exporters import ExportConfig
    from mobench.workflows.compare import COMPARE_CONFIG, SLOWER, TOO_BUSY, compare_units, parse_side, side_unit
    from mobench.workflows.sweep import Unit

    config = customize(
        COMPARE_CONFIG, target_ci_pct=args.target_ci, time_budget_s=args.max_time, min_time_s=args.min_time
    )
    out = args.out or Path(tempfile.mkdtemp(prefix="mobench-aa-"))
    exports = out / "exports"
    side = parse_side(args.model, args.device)
    try:
        load1 = os.getloadavg()[0]
    except OSError:
        load1 = math.nan
    print(
        f"{side.label}: {args.comparisons} A/A + {args.detections} vs {args.slower_resolution} px; load {args.load}; "
        f"{'spin ' + args.spin + '; ' if args.spin else ''}"
        f"config {config.name}: rounds of {config.inferences}, target +-{config.target_ci_pct}%, "
        f"{config.min_time_s:g}-{config.time_budget_s:g} s per side; load average now {load1:.1f} on "
        f"{os.cpu_count()} logical cores",
        flush=True,
    )

    options: dict[str, object] = {"threads": args.threads} if args.threads else {}
    if args.spin:
        options["spin"] = args.spin

    def units(slow: bool):
        a = side_unit(side, config, options, exports)
        b = side_unit(side, config, options, exports)
        a.label, b.label = f"{side.label} (A)", f"{side.label} (B)"
        if slow:
            ec = ExportConfig(out_dir=exports, resolution=args.slower_resolution, input_kind=config.input_kind)
            a = Unit(f"{side.label}@{args.slower_resolution}px", side.model, a.device, ec, a.key)
        return [a, b]

    rows: list[tuple[str, object, dict]] = []
    t_all = time.perf_counter()
    with _condition(args.load, args.on, args.off):
        plan = [("A/A", False)] * args.comparisons + [("10%", True)] * args.detections
        for i, (kind, slow) in enumerate(plan):
            t0 = time.perf_counter()
            res = compare_units(side, side, units(slow), config)
            ev = _evidence(res)
            rows.append((kind, res, ev))
            print(
                f"{kind} {i + 1:3d}: {res.verdict:24s} ratio {res.ratio:.3f} [{res.ci_low:.3f}, {res.ci_high:.3f}] "
                f"{res.pairs:4d} pairs {time.perf_counter() - t0:5.1f} s | former statistic {ev['old_ratio']:.3f} "
                f"[{ev['old_low']:.3f}, {ev['old_high']:.3f}] {_old_verdict(ev['old_low'], ev['old_high']):24s} | "
                f"order {100 * ev['order']:+.1f}% lag1 {ev['lag1']:+.2f} first/rest {ev['first']:.3f}",
                flush=True,
            )
    total = time.perf_counter() - t_all
    print()
    aa = [(r, e) for k, r, e in rows if k == "A/A"]
    det = [(r, e) for k, r, e in rows if k == "10%"]
    met = True
    if aa:
        wrong = sum(r.verdict in ("faster", "slower") for r, _ in aa)
        busy = sum(r.verdict == TOO_BUSY for r, _ in aa)
        old_wrong = sum(_old_verdict(e["old_low"], e["old_high"]) != "no detectable difference" for _, e in aa)
        ratios = [r.ratio for r, _ in aa]
        hw = [100 * r.half_width for r, _ in aa if math.isfinite(r.half_width)]
        order = [100 * e["order"] for _, e in aa if math.isfinite(e["order"])]
        lag = [e["lag1"] for _, e in aa if math.isfinite(e["lag1"])]
        first = [e["first"] for _, e in aa if math.isfinite(e["first"])]
        ok = wrong <= GOAL_FALSE * len(aa)
        met &= ok
        print(
            f"A/A: {wrong}/{len(aa)} faster/slower (goal <= {GOAL_FALSE * len(aa):.1f}) {'MET' if ok else 'MISSED'}; "
            f"{busy}/{len(aa)} too busy to tell; ratios {min(ratios):.3f}-{max(ratios):.3f}; "
            f"CI half-width median {np.median(hw) if hw else math.nan:.1f}%"
        )
        print(
            f"A/A with the former statistic on the same samples: {old_wrong}/{len(aa)} faster/slower, "
            f"ratios {min(e['old_ratio'] for _, e in aa):.3f}-{max(e['old_ratio'] for _, e in aa):.3f}"
        )
        if order:
            print(
                f"evidence: order effect (A first minus B first, median log ratio) median {np.median(order):+.1f}%, "
                f"range {min(order):+.1f}% to {max(order):+.1f}%; lag-1 autocorrelation of pair log ratios "
                f"median {np.median(lag):+.2f}; first timed inference of a round / the rest {np.median(first):.3f}"
            )
    if det:
        found = sum(r.verdict == SLOWER for r, _ in det)
        ok = found >= GOAL_DETECT * len(det)
        met &= ok
        print(
            f"10% slower copy ({args.slower_resolution} px): found {found}/{len(det)} (goal >= "
            f"{GOAL_DETECT * len(det):.0f}) {'MET' if ok else 'MISSED'}; measured ratios "
            f"{min(r.ratio for r, _ in det):.3f}-{max(r.ratio for r, _ in det):.3f} (median "
            f"{np.median([r.ratio for r, _ in det]):.3f}); verdicts "
            + ", ".join(f"{v} {sum(r.verdict == v for r, _ in det)}" for v in sorted({r.verdict for r, _ in det}))
        )
    print(f"total {total:.0f} s, {total / max(len(rows), 1):.1f} s per comparison")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
