"""Repeatability: the same run twice back to back; prints the ratio of medians and the CVs.

    python benchmarks/bench_repeatability.py                          # mobileone_s0, cpu, modelbench
    python benchmarks/bench_repeatability.py --protocol paper --device torch

Nothing is stored (a throw-away database); the artifact export is reused.
"""

from __future__ import annotations

import argparse
import os
import tempfile


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mobileone_s0")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--protocol", default="modelbench")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()

    from mobench.core import protocol
    from mobench.core.statistics import compute_stats
    from mobench.workflows import run_sweep

    cfg = protocol(args.protocol)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "rep.sqlite")
        runs = []
        for i in range(2):
            (rec,) = run_sweep(
                [args.model], args.device, cfg, db=db, force=True, device_options={"threads": args.threads}
            )
            if rec.status != "ok":
                raise SystemExit(f"run {i + 1} failed: {rec.error}")
            s = compute_stats(rec.samples_ms, cfg)
            runs.append(s)
            print(
                f"run {i + 1}: n={s['n']} median {s['median_ms']:.3f} ms "
                f"(95% CI {s['median_ci_low_ms']:.3f}-{s['median_ci_high_ms']:.3f}), min {s['min_ms']:.3f}, "
                f"headline {s['headline']} {s['headline_ms']:.3f}, CV {100 * s['cv']:.1f}%, "
                f"outliers {100 * s['outlier_fraction']:.1f}%"
            )
    a, b = runs
    print(
        f"{args.model} on {args.device}, protocol {cfg.name}: ratio of medians run2/run1 = "
        f"{b['median_ms'] / a['median_ms']:.3f}; of mins = {b['min_ms'] / a['min_ms']:.3f}; of the headline "
        f"({a['headline']}) = {b['headline_ms'] / a['headline_ms']:.3f}; CVs {100 * a['cv']:.1f}% / {100 * b['cv']:.1f}%"
    )
    try:
        load = os.getloadavg()[0]
        print(
            f"1-minute load average now {load:.1f} on {os.cpu_count()} logical cores "
            "(other processes on the machine widen every figure but the min)"
        )
    except OSError:
        pass


if __name__ == "__main__":
    main()
