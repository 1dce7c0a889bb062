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
* ``round_spread_limit``: the spread this run's own within-round noise predicts
  (:func:`spread_limit`): every round's samples, relative to their round's
  median, are pooled; rounds of the same sizes are drawn from that pool
  :data:`SPREAD_RESAMPLES` times, as if every round had seen the same machine;
  the limit is the :data:`SPREAD_QUANTILE` quantile of the simulated spreads
  plus :data:`SPREAD_FLOOR` (5 %, MLPerf Mobile's run-to-run tolerance: rounds
  closer than that are not worth a warning).
  ``rounds_disagree`` is 1 when ``round_spread`` exceeds it: tables and the
  report flag such a run, since its rounds saw different machines. A noisy
  model gets a wider limit than a steady one, so the flag means "the rounds
  moved more than this model's noise explains", not "more than 20 %".
* ``headline_ci_low_ms`` / ``headline_ci_high_ms``: 95 % CI of the headline
  (:func:`headline_ci`), ``ci_half_width`` its half-width as a fraction of the
  headline. ``target_ci`` is the config's precision target (a fraction, from
  ``target_ci_pct``) and ``target_ci_met`` whether the run reached it (``None``
  without a target); a run that stopped at its maximum time without reaching
  it has ``target_ci_met = 0``.
* ``headline``: the name of the statistic a table leads with (from the config).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import UsageError

#: The fixed ``round_spread`` limit of earlier versions; kept for runs whose limit cannot be computed.
ROUND_DISAGREE = 0.20
#: Simulated spreads per run, the quantile of them taken as the limit, and a floor added to it.
SPREAD_RESAMPLES = 400
SPREAD_QUANTILE = 0.99
SPREAD_FLOOR = 0.05
#: Confidence level of ``headline_ci_*`` and of the precision target.
CONFIDENCE = 0.95
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


def spread_limit(samples_ms: Sequence[Sequence[float] | np.ndarray], seed: int = 0) -> float | None:
    """The ``round_spread`` this run's within-round noise predicts (module docstring); ``None`` for < 2 rounds.

    A parametric bootstrap under "every round saw the same machine": each round's
    samples divided by their round's median form one pool of relative noise;
    rounds of the run's sizes are redrawn from it and their spread computed.
    Written here because no library computes the null distribution of this
    particular statistic (the spread of round medians).
    """
    rounds = [np.asarray(r, dtype=float) for r in samples_ms if len(r)]
    if len(rounds) < 2:
        return None
    meds = np.array([np.median(r) for r in rounds])
    if np.any(meds <= 0):
        return None
    pool = np.concatenate([r / m for r, m in zip(rounds, meds, strict=True)])
    rng = np.random.default_rng(seed)
    sims = np.empty((SPREAD_RESAMPLES, len(rounds)))
    for j, r in enumerate(rounds):
        sims[:, j] = np.median(rng.choice(pool, size=(SPREAD_RESAMPLES, len(r))), axis=1)
    q1, q3 = np.quantile(sims, [0.25, 0.75], axis=1)
    spreads = q3 / q1 - 1.0
    return float(np.quantile(spreads, SPREAD_QUANTILE) + SPREAD_FLOOR)


def quantile_ci(values: Sequence[float] | np.ndarray, p: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Distribution-free CI of the ``p`` quantile from order statistics (scipy.stats.quantile_test).

    Exact for independent draws whatever their distribution; ``nan`` bounds when
    there are too few values for the confidence asked (the lower quartile needs
    13 values for a 95 % interval, the median 6).
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return math.nan, math.nan
    if np.all(v == v[0]):
        return float(v[0]), float(v[0])
    from scipy.stats import quantile_test

    ci = quantile_test(v, q=float(np.median(v)), p=p).confidence_interval(confidence)
    return float(ci.low), float(ci.high)


def _t_ci(values: np.ndarray, confidence: float) -> tuple[float, float]:
    if values.size < 2:
        return math.nan, math.nan
    from scipy.stats import t

    m, se = float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))
    h = float(t.ppf(0.5 + confidence / 2, values.size - 1)) * se
    return m - h, m + h


def headline_ci(
    samples_ms: Sequence[Sequence[float] | np.ndarray], headline: str = "median", trim: int = 0
) -> tuple[float, float]:
    """95 % CI of the headline statistic (``nan`` bounds while too few values).

    * ``robust``: order-statistic CI of the lower quartile of the round medians
      (rounds are the independent units; needs 13 rounds);
    * ``median``: order-statistic CI of the median of all samples;
    * ``min``: a minimum has no useful CI, so the median's stands for how settled
      the distribution is;
    * ``mean`` / ``trimmed_mean``: Student-t interval over the per-round means /
      trimmed means (over the samples / kept samples when there is one round).
    """
    rounds = [np.asarray(r, dtype=float) for r in samples_ms if len(r)]
    if not rounds:
        return math.nan, math.nan
    if headline == "robust":
        return quantile_ci(round_medians(rounds), ROBUST_QUANTILE)
    if headline in ("median", "min"):
        return quantile_ci(np.concatenate(rounds), 0.5)
    if headline == "trimmed_mean":
        kept = [_trimmed_round(r, trim) for r in rounds]
        vals = np.array([k.mean() for k in kept]) if len(kept) > 1 else kept[0]
        return _t_ci(vals, CONFIDENCE)
    vals = np.array([r.mean() for r in rounds]) if len(rounds) > 1 else rounds[0]
    return _t_ci(vals, CONFIDENCE)


def ci_half_width(low: float, high: float, center: float) -> float | None:
    """Half the CI's width as a fraction of ``center``; ``None`` when the CI is not known yet."""
    if not (math.isfinite(low) and math.isfinite(high)) or center <= 0:
        return None
    return (high - low) / 2.0 / center


def headline_value(samples_ms: Sequence[Sequence[float] | np.ndarray], headline: str, trim: int = 0) -> float:
    """The headline statistic alone (what :func:`compute_stats` stores as ``headline_ms``)."""
    rounds = [np.asarray(r, dtype=float) for r in samples_ms if len(r)]
    if headline == "robust":
        return robust_latency(rounds)
    allv = np.concatenate(rounds)
    if headline == "median":
        return float(np.median(allv))
    if headline == "min":
        return float(allv.min())
    if headline == "trimmed_mean":
        return float(np.mean([_trimmed_round(r, trim).mean() for r in rounds]))
    return float(allv.mean())


#: Why a run stopped (:func:`stop_reason`).
STOP_ROUNDS, STOP_PRECISION, STOP_MAX_TIME = "rounds", "precision", "max time"


def stop_reason(samples_ms: Sequence[Sequence[float]], config: Any, spent_s: float) -> str | None:
    """The stop rule of a timed run, after the rounds in ``samples_ms`` and ``spent_s`` of timing.

    ``None`` means "time another round". Else: ``rounds`` (the protocol's rounds
    all ran); ``precision`` (the config has ``target_ci_pct``, at least
    ``min_time_s`` of timing and ``min_inferences`` samples are in, and the
    headline's 95 % CI is within +-target); ``max time`` (``time_budget_s`` of
    timing spent with ``min_inferences`` in: without a target this is the budget,
    with one it is the maximum, reached without the target).
    Stopping on the CI's width, never on where it lies, keeps the rule from
    choosing its own answer.
    """
    n = sum(len(r) for r in samples_ms)
    if len(samples_ms) >= config.rounds:
        return STOP_ROUNDS
    enough = n >= (getattr(config, "min_inferences", 0) or 0)
    target = getattr(config, "target_ci_pct", None)
    if target is not None and enough and n and spent_s >= (getattr(config, "min_time_s", 0.0) or 0.0):
        headline = getattr(config, "headline", "median") or "median"
        trim = int(getattr(config, "trim", 0) or 0)
        lo, hi = headline_ci(samples_ms, headline, trim)
        hw = ci_half_width(lo, hi, headline_value(samples_ms, headline, trim))
        if hw is not None and hw <= target / 100.0:
            return STOP_PRECISION
    budget = getattr(config, "time_budget_s", None)
    if budget is not None and spent_s >= budget and enough:
        return STOP_MAX_TIME
    return None


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
    limit = spread_limit(rounds, seed)
    out["round_spread_limit"] = limit
    out["rounds_disagree"] = int(out["round_spread"] > (ROUND_DISAGREE if limit is None else limit))
    out["headline_ms"] = out[f"{headline}_ms"]
    lo, hi = headline_ci(rounds, headline, trim)
    half = ci_half_width(lo, hi, out["headline_ms"])
    out["headline_ci_low_ms"] = lo if math.isfinite(lo) else None
    out["headline_ci_high_ms"] = hi if math.isfinite(hi) else None
    out["ci_half_width"] = half
    target = getattr(config, "target_ci_pct", None)
    out["target_ci"] = None if target is None else target / 100.0
    out["target_ci_met"] = None if target is None else int(half is not None and half <= target / 100.0)
    return out
