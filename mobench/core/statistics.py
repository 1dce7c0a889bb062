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
* ``headline``: the name of the statistic a table leads with (from the config).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import UsageError

BOOTSTRAP_RESAMPLES = 2000


def _trimmed_round(values: np.ndarray, trim: int) -> np.ndarray:
    t = min(trim, (len(values) - 1) // 2)
    s = np.sort(values)
    return s[t:len(s) - t] if t else s


def median_ci(values: np.ndarray, seed: int = 0, confidence: float = 0.95) -> tuple[float, float]:
    """Bootstrap CI of the median (percentile method; degenerate data gives a zero-width CI)."""
    values = np.asarray(values, dtype=float)
    med = float(np.median(values))
    if len(values) < 2 or np.all(values == values[0]):
        return med, med
    from scipy.stats import bootstrap

    res = bootstrap(
        (values,), np.median, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=confidence,
        method="percentile", vectorized=True, axis=-1, rng=np.random.default_rng(seed),
        batch=max(1, 2_000_000 // len(values)),   # at most ~16 MB of resamples at a time
    )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return lo, hi


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
        "headline": headline,
    }
    out["headline_ms"] = out[f"{headline}_ms"]
    return out
