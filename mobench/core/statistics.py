"""Statistics of raw latency samples (milliseconds), kept per round.

Definitions (documented here because every table depends on them):

* ``min``, ``mean``, ``median``, ``std`` (sample std, ddof=1; 0 for one sample),
  ``cv`` = std / mean over all steady-state samples of all rounds.
* ``p90`` / ``p99``: numpy's default (linear interpolation between order statistics).
* ``trimmed_mean``: ModelBench's figure: each round sorted, its ``trim`` lowest
  and ``trim`` highest samples dropped, the mean of what is kept; then the mean
  of those per-round means. ``low`` / ``high``: min / max of the kept samples.
  A round too short to trim (``len <= 2 * trim``, e.g. a budget-cut round) is
  trimmed by ``(len - 1) // 2`` instead, so it always keeps a sample.
* ``median_ci_low`` / ``median_ci_high``: 95 % bootstrap confidence interval of
  the median (scipy.stats.bootstrap, percentile method, 2000 resamples, seeded
  with the config's seed). Both equal the median when there is one sample.
* ``outlier_fraction``: share of samples outside Tukey's fences
  [Q1 - 1.5 IQR, Q3 + 1.5 IQR].
* ``robust``: the lower quartile (numpy's linear interpolation) of the
  per-round medians. Robust to rounds measured while other processes took the
  CPU: a round is short (tens of ms to a few s) against the periods in which a
  shared machine is busy or quiet, so a slow period slows whole rounds, and an
  interleaved sweep spreads those rounds over every model. Under a load that is
  busy half the time (15 s busy / 15 s idle) about half of a model's rounds are
  slow: the overall median then lands on the boundary between the two groups,
  while the lower quartile of round medians stays inside the quiet group as long
  as fewer than three quarters of the rounds are slow. The minimum of the round
  medians would also stay there, but it is an extreme value whose downward bias
  grows with the number of rounds. The measurements behind this choice are in
  the README (section "Measuring on a busy machine").
* ``round_spread``: upper quartile / lower quartile of the per-round medians,
  minus 1 (0 for one round). On a quiet machine it is a few per cent.
  ``rounds_disagree`` is 1 when it exceeds :data:`ROUND_DISAGREE` (0.20, the
  upper quartile of round medians more than 20 % above the lower one): tables
  and the report flag such a run, since its rounds saw different machines.
* ``headline``: the name of the statistic a table leads with (from the config).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import UsageError

#: ``round_spread`` beyond which a run's rounds are said to disagree (see the module docstring).
ROUND_DISAGREE = 0.20
#: quantile of the per-round medians that ``robust_ms`` takes.
ROBUST_QUANTILE = 0.25

BOOTSTRAP_RESAMPLES = 2000


def _trimmed_round(values: np.ndarray, trim: int) -> np.ndarray:
    t = min(trim, (len(values) - 1) // 2)
    s = np.sort(values)
    return s[t : len(s) - t] if t else s


def median_ci(values: np.ndarray, seed: int = 0, confidence: float = 0.95) -> tuple[float, float]:
    """Bootstrap CI of the median (percentile method; degenerate data gives a zero-width CI)."""
    values = np.asarray(values, dtype=float)
    med = float(np.median(values))
    if len(values) < 2 or np.all(values == values[0]):
        return med, med
    from scipy.stats import bootstrap

    res = bootstrap(
        (values,),
        np.median,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        axis=-1,
        rng=np.random.default_rng(seed),
        batch=max(1, 2_000_000 // len(values)),  # at most ~16 MB of resamples at a time
    )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return lo, hi


def round_medians(samples_ms: Sequence[Sequence[float] | np.ndarray]) -> np.ndarray:
    """The median of every non-empty round."""
    return np.array([float(np.median(r)) for r in samples_ms if len(r)], dtype=float)


def robust_latency(samples_ms: Sequence[Sequence[float] | np.ndarray]) -> float:
    """``robust_ms``: the lower quartile of the per-round medians (module docstring says why)."""
    med = round_medians(samples_ms)
    if med.size == 0:
        raise UsageError("no latency samples to summarize")
    return float(np.quantile(med, ROBUST_QUANTILE))


def round_spread(samples_ms: Sequence[Sequence[float] | np.ndarray]) -> float:
    """Upper over lower quartile of the per-round medians, minus 1 (0 for a single round)."""
    med = round_medians(samples_ms)
    if med.size < 2:
        return 0.0
    q1, q3 = np.quantile(med, [0.25, 0.75])
    return float(q3 / q1 - 1.0) if q1 > 0 else math.inf


def compute_stats(samples_ms: Sequence[Sequence[float]], config: Any = None) -> dict[str, Any]:
    """All statistics of one run's raw samples (one list per round).

    ``config`` is a :class:`~mobench.core.configs.BenchConfig` (or anything with
    ``trim``, ``seed`` and ``headline``); ``None`` means trim 0, seed 0, median.
    Raises ``UsageError`` when there is no sample at all.
    """
    trim = int(getattr(config, "trim", 0) or 0)
    seed = int(getattr(config, "seed", 0) or 0)
    headline = getattr(config, "headline", "median") or "median"
    rounds = [np.asarray(r, dtype=float) for r in samples_ms if len(r)]
    if not rounds:
        raise UsageError("no latency samples to summarize")
    allv = np.concatenate(rounds)
    if not np.all(np.isfinite(allv)) or np.any(allv < 0):
        raise UsageError("latency samples must be finite and non-negative")
    n = int(allv.size)
    mean = float(allv.mean())
    std = float(allv.std(ddof=1)) if n > 1 else 0.0
    kept = [_trimmed_round(r, trim) for r in rounds]
    kept_all = np.concatenate(kept)
    q1, q3 = np.percentile(allv, [25, 75])
    iqr = q3 - q1
    outliers = np.count_nonzero((allv < q1 - 1.5 * iqr) | (allv > q3 + 1.5 * iqr))
    ci_lo, ci_hi = median_ci(allv, seed=seed)
    out = {
        "n": n,
        "rounds": len(rounds),
        "min_ms": float(allv.min()),
        "mean_ms": mean,
        "median_ms": float(np.median(allv)),
        "p90_ms": float(np.percentile(allv, 90)),
        "p99_ms": float(np.percentile(allv, 99)),
        "std_ms": std,
        "cv": std / mean if mean > 0 else math.nan,
        "trimmed_mean_ms": float(np.mean([k.mean() for k in kept])),
        "low_ms": float(kept_all.min()),
        "high_ms": float(kept_all.max()),
        "median_ci_low_ms": ci_lo,
        "median_ci_high_ms": ci_hi,
        "outlier_fraction": float(outliers) / n,
        "robust_ms": robust_latency(rounds),
        "round_spread": round_spread(rounds),
        "headline": headline,
    }
    out["rounds_disagree"] = int(out["round_spread"] > ROUND_DISAGREE)
    out["headline_ms"] = out[f"{headline}_ms"]
    return out
