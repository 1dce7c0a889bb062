"""Statistics against values computed by hand (see mobench/core/statistics.py for the definitions)."""

import math

import numpy as np
import pytest

from mobench.core import BenchConfig, protocol
from mobench.core.errors import UsageError
from mobench.core.statistics import compute_stats


def cfg(trim=0, headline="median", seed=0):
    return BenchConfig(name="t", rounds=2, inferences=5, trim=trim, headline=headline, seed=seed)


def test_one_round_by_hand():
    s = compute_stats([[3.0, 1.0, 5.0, 2.0, 4.0]], cfg(trim=1))
    assert s["n"] == 5 and s["rounds"] == 1
    assert s["min_ms"] == 1.0
    assert s["mean_ms"] == pytest.approx(3.0)
    assert s["median_ms"] == 3.0
    assert s["std_ms"] == pytest.approx(math.sqrt(2.5))  # sample std, ddof=1
    assert s["cv"] == pytest.approx(math.sqrt(2.5) / 3.0)
    assert s["p90_ms"] == pytest.approx(4.6)  # 4 + 0.6 * (5 - 4)
    assert s["p99_ms"] == pytest.approx(4.96)
    assert s["trimmed_mean_ms"] == pytest.approx(3.0)  # mean of [2, 3, 4]
    assert (s["low_ms"], s["high_ms"]) == (2.0, 4.0)
    assert s["outlier_fraction"] == 0.0  # fences -1 .. 7


def test_modelbench_trimmed_mean_is_mean_of_round_means():
    samples = [[10.0, 1.0, 2.0, 3.0, 100.0], [4.0, 5.0, 6.0, 7.0, 8.0]]
    s = compute_stats(samples, cfg(trim=1, headline="trimmed_mean"))
    # round 1 keeps [2, 3, 10] -> 5; round 2 keeps [5, 6, 7] -> 6
    assert s["trimmed_mean_ms"] == pytest.approx(5.5)
    assert (s["low_ms"], s["high_ms"]) == (2.0, 10.0)
    assert s["headline"] == "trimmed_mean" and s["headline_ms"] == pytest.approx(5.5)
    assert s["mean_ms"] == pytest.approx(14.6)
    assert s["median_ms"] == pytest.approx(5.5)
    # Q1 = 3.25, Q3 = 7.75, IQR = 4.5 -> upper fence 14.5: only 100 is an outlier
    assert s["outlier_fraction"] == pytest.approx(0.1)


def test_short_round_keeps_a_sample():
    s = compute_stats([[1.0, 2.0, 3.0]], cfg(trim=2))
    assert s["trimmed_mean_ms"] == 2.0 and s["low_ms"] == s["high_ms"] == 2.0


def test_headline_follows_protocol():
    samples = [[5.0, 1.0, 3.0]]
    assert compute_stats(samples, protocol("paper"))["headline_ms"] == 1.0
    assert compute_stats(samples, protocol("quick"))["headline_ms"] == 3.0
    assert compute_stats(samples, protocol("paper"))["headline"] == "min"


def test_median_ci_is_seeded_contains_median_and_narrows():
    rng = np.random.default_rng(1)
    small = [list(rng.normal(10, 1, 30))]
    large = [list(rng.normal(10, 1, 3000))]
    a = compute_stats(small, cfg(seed=7))
    b = compute_stats(small, cfg(seed=7))
    assert (a["median_ci_low_ms"], a["median_ci_high_ms"]) == (b["median_ci_low_ms"], b["median_ci_high_ms"])
    assert a["median_ci_low_ms"] <= a["median_ms"] <= a["median_ci_high_ms"]
    assert a["median_ci_low_ms"] < a["median_ci_high_ms"]
    c = compute_stats(large, cfg(seed=7))
    assert (c["median_ci_high_ms"] - c["median_ci_low_ms"]) < (a["median_ci_high_ms"] - a["median_ci_low_ms"]) / 3


def test_degenerate_samples():
    s = compute_stats([[2.0, 2.0, 2.0]], cfg())
    assert s["std_ms"] == 0.0 and s["cv"] == 0.0
    assert s["median_ci_low_ms"] == s["median_ci_high_ms"] == 2.0
    one = compute_stats([[4.0]], None)
    assert one["n"] == 1 and one["std_ms"] == 0.0 and one["median_ms"] == 4.0


@pytest.mark.parametrize("bad", [[], [[]], [[1.0, float("nan")]], [[-1.0]]])
def test_bad_samples_raise(bad):
    with pytest.raises(UsageError):
        compute_stats(bad, cfg())


def test_robust_is_the_lower_quartile_of_round_medians_and_spread_flags_disagreeing_rounds():
    from mobench.core.statistics import ROUND_DISAGREE

    quiet = [[1.0, 1.1, 0.9]] * 4
    busy = [[3.0, 3.2, 2.8]] * 4
    s = compute_stats(quiet + busy, cfg())
    assert s["robust_ms"] == pytest.approx(1.0)  # quartile of [1]*4 + [3]*4
    assert s["median_ms"] == pytest.approx(2.0, abs=1.0)  # the plain median sits between the groups
    assert s["round_spread"] == pytest.approx(2.0) and s["rounds_disagree"] == 1
    calm = compute_stats([[1.0, 1.0], [1.05, 1.05], [1.02, 1.02]], cfg())
    assert calm["round_spread"] < ROUND_DISAGREE and calm["rounds_disagree"] == 0
    one = compute_stats([[2.0, 1.0, 3.0]], cfg())
    assert one["robust_ms"] == 2.0 and one["round_spread"] == 0.0
