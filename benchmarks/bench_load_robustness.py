"""Does the headline survive a busy machine? The main job quiet, then under a synthetic load.

Runs the main job (``mobench run --preset paper``: export, time, analyse) twice in
one fresh folder: once quiet, then again (re-timed, exports reused) while this script
keeps every core busy for 15 s, then idle for 15 s, over and over (busy loops on
``os.cpu_count()`` processes, always stopped in a ``finally``). Prints rho(latency, MACs)
of each run and its change, the rank agreement (Spearman between the two runs'
per-model latencies) and the per-model slowdown; then runs ``mobench compare`` of
fused vs unfused MobileOne-S0 under the same load several times. Last, the same
figures for each candidate statistic (median, robust = lower quartile of round
medians, min of round medians, min), recomputed from the stored raw samples: the
measurement behind the choice of ``robust``.

Goal: rho moves by at most 0.05, rank agreement >= 0.97, compare says "faster" every
time, quiet paper run (exports included) within 6 minutes. The machine must be
otherwise quiet for the figures to mean anything (the quiet run is the reference).

    python benchmarks/bench_load_robustness.py                          # paper preset, 5 compares
    python benchmarks/bench_load_robustness.py --preset quick --compares 2   # development
    python benchmarks/bench_load_robustness.py --schedule contiguous     # the one-block-per-model loop
    python benchmarks/bench_load_robustness.py --out /tmp/lr --keep      # keep the stores and reports
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

GOAL_RHO_SHIFT = 0.05
GOAL_RANK_AGREEMENT = 0.97
GOAL_QUIET_S = 360.0


def _spin(stop, busy) -> None:
    """A worker of the synthetic load: burns a core while ``busy`` is set, sleeps otherwise."""
    x = 0
    while not stop.is_set():
        if busy.is_set():
            for _ in range(200_000):
                x += 1
        else:
            busy.wait(0.05)


class SyntheticLoad:
    """All cores busy ``on_s`` seconds, idle ``off_s`` seconds, until the ``with`` block ends."""

    def __init__(self, on_s: float = 15.0, off_s: float = 15.0, procs: int | None = None) -> None:
        self.on_s, self.off_s = on_s, off_s
        self.procs = procs or os.cpu_count() or 1
        ctx = mp.get_context("spawn")
        self._stop, self._busy = ctx.Event(), ctx.Event()
        self._workers = [
            ctx.Process(target=_spin, args=(self._stop, self._busy), daemon=True) for _ in range(self.procs)
        ]
        self._halt = threading.Event()
        self._clock = threading.Thread(target=self._toggle, daemon=True)
        self.busy_s = 0.0

    def _toggle(self) -> None:
        while not self._halt.is_set():
            self._busy.set()
            t0 = time.monotonic()
            self._halt.wait(self.on_s)
            self.busy_s += time.monotonic() - t0
            self._busy.clear()
            self._halt.wait(self.off_s)

    def __enter__(self) -> SyntheticLoad:
        try:
            for w in self._workers:
                w.start()
            self._clock.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._halt.set()
        self._stop.set()
        self._busy.clear()
        for w in self._workers:
            if w.is_alive() or w.pid is not None:
                w.join(timeout=5)
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=5)

    def __exit__(self, *exc) -> None:
        self.stop()


class PytestLoad:
    """A real concurrent workload: this project's own pytest (``tests/core tests/models``), started
    again whenever it finishes, until the ``with`` block ends (then terminated)."""

    def __init__(self, settle_s: float = 3.0) -> None:
        import subprocess
        import sys

        self._cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core", "tests/models"]
        self._root = Path(__file__).resolve().parents[1]
        self._popen = subprocess.Popen
        self._devnull = subprocess.DEVNULL
        self._procs: list = []
        self._halt = threading.Event()
        self._keeper = threading.Thread(target=self._keep, daemon=True)
        self.settle_s = settle_s
        self.started = 0

    def _keep(self) -> None:
        while not self._halt.is_set():
            if not self._procs or self._procs[-1].poll() is not None:
                self._procs.append(self._popen(self._cmd, cwd=self._root, stdout=self._devnull, stderr=self._devnull))
                self.started += 1
            self._halt.wait(0.5)

    def __enter__(self) -> PytestLoad:
        self._keeper.start()
        time.sleep(self.settle_s)  # let pytest get going
        return self

    def __exit__(self, *exc) -> None:
        import subprocess

        self._halt.set()
        self._keeper.join(timeout=5)
        for p in self._procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


def _figures(res, device: str) -> tuple[float | None, object]:
    """(rho latency vs MACs on ``device``, per-model latency Series) of a main-job result.

    Analysis is keyed by measurement target (e.g. ``cpu/ort-1.32/2t``); a run on one
    device has one target of that backend.
    """
    targets = [t for t in res.analysis.latency if t == device or str(t).startswith(device + "/")]
    if len(targets) != 1:
        raise SystemExit(f"expected one {device} target in the run, found {targets}")
    (target,) = targets
    rho = next((r.spearman_rho for r in res.analysis.rows if r.device == target and r.metric == "macs"), None)
    return rho, res.analysis.latency[target].dropna()


def _main_job(label: str, preset: str | None, models, out: Path, device: str, schedule: str, force: bool):
    from mobench.workflows.main_job import run_main_job

    t0 = time.perf_counter()
    res = run_main_job(preset=preset, models=models, out=out, device=device, force=force, schedule=schedule)
    wall = time.perf_counter() - t0
    rho, lat = _figures(res, device)
    stages = ", ".join(f"{k} {v:.0f}s" for k, v in res.seconds.items())
    flagged = sum(1 for r in res.records + res.unfused_records if r.status == "ok" and _disagree(r))
    print(
        f"{label:7s} rho(latency, MACs) = {_r(rho)}   {len(lat)} models, {wall:.0f} s ({stages}); "
        f"{len(res.failed)} failed; {flagged} runs with disagreeing rounds",
        flush=True,
    )
    return res, rho, lat, wall


STATISTICS = {
    "median": lambda rounds: float(np.median(np.concatenate(rounds))),
    "robust": lambda rounds: float(np.quantile([np.median(r) for r in rounds], 0.25)),
    "min round median": lambda rounds: float(np.min([np.median(r) for r in rounds])),
    "min": lambda rounds: float(np.min(np.concatenate(rounds))),
}


def _per_statistic(res_q, res_l) -> None:
    """rho vs MACs, rank agreement and slowdown for each candidate statistic (why ``robust``)."""
    from scipy.stats import spearmanr

    macs = None
    cx = res_l.analysis.complexity
    col = next((c for c in ("macs_m", "macs") if c in getattr(cx, "columns", [])), None)
    if col is not None:  # counted MACs of the deployed graphs (mobench.analysis.metrics)
        macs = cx[col].dropna()
    q = {r.model: r.samples_ms for r in res_q.records if r.status == "ok"}
    lo = {r.model: r.samples_ms for r in res_l.records if r.status == "ok"}
    common = sorted(set(q) & set(lo))
    if len(common) < 3:
        return
    print("statistic         rho quiet  rho loaded  rank agreement  slowdown loaded/quiet")
    for name, fn in STATISTICS.items():
        a = [fn(q[m]) for m in common]
        b = [fn(lo[m]) for m in common]
        agree = float(spearmanr(a, b).statistic)
        rq = rl = float("nan")
        if macs is not None:
            ms = [m for m in common if m in macs.index]
            if len(ms) >= 3:
                rq = float(spearmanr([a[common.index(m)] for m in ms], [macs[m] for m in ms]).statistic)
                rl = float(spearmanr([b[common.index(m)] for m in ms], [macs[m] for m in ms]).statistic)
        ratio = [y / x for x, y in zip(a, b, strict=False)]
        print(f"{name:17s} {_r(rq):>9s}  {_r(rl):>10s}  {agree:14.3f}  {min(ratio):.2f}x-{max(ratio):.2f}x")


def _r(x) -> str:
    return "-" if x is None or x != x else f"{x:.3f}"


def _disagree(rec) -> bool:
    """The stored flag's rule: the rounds' spread beyond the limit the run's own noise predicts."""
    from mobench.core.statistics import ROUND_DISAGREE, round_spread, spread_limit

    limit = spread_limit(rec.samples_ms, int((rec.config or {}).get("seed", 0) or 0))
    return round_spread(rec.samples_ms) > (ROUND_DISAGREE if limit is None else limit)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="paper", help="model set of the run: paper (default) or quick")
    ap.add_argument(
        "--model",
        "-m",
        action="append",
        default=None,
        help="time these models instead of a preset (repeatable; a smoke test of the script)",
    )
    ap.add_argument("--device", default="cpu", help="local device (default cpu)")
    ap.add_argument("--schedule", default="interleaved", choices=["interleaved", "contiguous"])
    ap.add_argument("--compares", type=int, default=5, help="fused-vs-unfused compares under load (default 5)")
    ap.add_argument("--on", type=float, default=15.0, help="seconds busy per load cycle (default 15)")
    ap.add_argument("--off", type=float, default=15.0, help="seconds idle per load cycle (default 15)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the stores and reports (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep --out / the temp dir afterwards")
    args = ap.parse_args()

    from scipy.stats import spearmanr

    from mobench.workflows.compare import run_compare

    out = args.out or Path(tempfile.mkdtemp(prefix="mobench-load-"))
    print(
        f"preset {'-' if args.model else args.preset}{' models ' + ', '.join(args.model) if args.model else ''}, device {args.device}, schedule {args.schedule}, load {args.on:g} s busy / "
        f"{args.off:g} s idle on {os.cpu_count()} processes; output in {out}",
        flush=True,
    )
    try:
        preset = None if args.model else args.preset
        res_q, rho_q, lat_q, wall_q = _main_job(
            "quiet", preset, args.model, out, args.device, args.schedule, force=False
        )
        with SyntheticLoad(args.on, args.off):
            res_l, rho_l, lat_l, _ = _main_job(
                "loaded", preset, args.model, out, args.device, args.schedule, force=True
            )
            verdicts = []
            for i in range(args.compares):
                c = run_compare(
                    "mobileone_s0",
                    "mobileone_s0:unfused",
                    device=args.device,
                    db=out / "compare.sqlite",
                    exports=out / "exports",
                )
                verdicts.append(c.verdict)
                print(
                    f"compare {i + 1}/{args.compares}: {c.verdict:24s} ratio fused/unfused {c.ratio:.3f} "
                    f"[{c.ci_low:.3f}, {c.ci_high:.3f}], {c.pairs} pairs",
                    flush=True,
                )
        common = sorted(set(lat_q.index) & set(lat_l.index))
        agree = float(spearmanr([lat_q[m] for m in common], [lat_l[m] for m in common]).statistic)
        slow = [lat_l[m] / lat_q[m] for m in common]
        shift = abs(rho_l - rho_q)
        right = sum(v == "faster" for v in verdicts)
        print()
        print(
            f"rho quiet {_r(rho_q)}, loaded {_r(rho_l)}: moved {_r(shift)} "
            f"(goal <= {GOAL_RHO_SHIFT}) {'MET' if shift <= GOAL_RHO_SHIFT else 'MISSED'}"
        )
        print(
            f"rank agreement quiet vs loaded (Spearman, {len(common)} models) {agree:.3f} "
            f"(goal >= {GOAL_RANK_AGREEMENT}) {'MET' if agree >= GOAL_RANK_AGREEMENT else 'MISSED'}"
        )
        print(f"per-model slowdown loaded/quiet {min(slow):.2f}x-{max(slow):.2f}x")
        print(
            f"compare fused vs unfused S0 under load: right {right}/{len(verdicts)} "
            f"{'MET' if right == len(verdicts) else 'MISSED'}"
        )
        print()
        _per_statistic(res_q, res_l)
        print(
            f"quiet {preset or 'custom'} run {wall_q:.0f} s (goal <= {GOAL_QUIET_S:.0f} s for paper) "
            f"{'MET' if wall_q <= GOAL_QUIET_S else 'MISSED'}"
        )
        met = shift <= GOAL_RHO_SHIFT and agree >= GOAL_RANK_AGREEMENT and right == len(verdicts)
        return 0 if met else 1
    finally:
        if args.keep or args.out:
            print(f"kept {out}")
        else:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
