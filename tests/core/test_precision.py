"""Stop by precision on synthetic sample streams, and the rounds-disagree limit calibrated from each run."""

import numpy as np
import pytest

from mobench.core import BenchConfig, protocol
from mobench.core.errors import UsageError
from mobench.core.statistics import (
    STOP_MAX_TIME,
    STOP_PRECISION,
    STOP_ROUNDS,
    compute_stats,
    headline_ci,
    quantile_ci,
    round_spread,
    spread_limit,
    stop_reason,
)

ROUND_S = 0.1  # simulated timing cost of one round


def cfg(**kw):
    base = dict(name="t", rounds=200, inferences=20, headline="robust", min_inferences=40)
    base.update(kw)
    return BenchConfig(**base)


def run_stream(make_round, config, seed=0):
    """Feed rounds one at a time to the stop rule, as TimingSession does; (rounds, reason)."""
    rng = np.random.default_rng(seed)
    rounds = []
    while True:
        rounds.append(list(make_round(rng, len(rounds))))
        reason = stop_reason(rounds, config, spent_s=len(rounds) * ROUND_S)
        if reason is not None:
            return rounds, reason


def steady(rng, i):
    return 10.0 * rng.lognormal(0, 0.01, 20)


def noisy(rng, i):  # half the rounds in a slow period, wide noise within rounds
    return 10.0 * (2.0 if rng.random() < 0.5 else 1.0) * rng.lognormal(0, 0.3, 20)


def test_a_steady_stream_stops_as_soon_as_the_ci_can_be_computed_and_is_narrow():
    rounds, reason = run_stream(steady, cfg(target_ci_pct=2.0, min_time_s=0.5, time_budget_s=10.0))
    assert reason == STOP_PRECISION
    assert len(rounds) == 13  # the lower quartile's 95% order-statistic CI needs 13 rounds
    s = compute_stats(rounds, cfg(target_ci_pct=2.0))
    assert s["ci_half_width"] <= 0.02 and s["target_ci_met"] == 1 and s["target_ci"] == 0.02


def test_the_minimum_time_is_respected_even_when_precise_earlier():
    rounds, reason = run_stream(steady, cfg(target_ci_pct=2.0, min_time_s=2.5, time_budget_s=10.0))
    assert reason == STOP_PRECISION and len(rounds) == 25  # 25 x 0.1 s


def test_a_noisy_stream_runs_to_the_maximum_and_says_it_missed_the_target():
    rounds, reason = run_stream(noisy, cfg(target_ci_pct=2.0, min_time_s=0.5, time_budget_s=4.0))
    assert reason == STOP_MAX_TIME and len(rounds) == 40  # 40 x 0.1 s = the maximum, not a round more
    s = compute_stats(rounds, cfg(target_ci_pct=2.0))
    assert s["ci_half_width"] > 0.02 and s["target_ci_met"] == 0


def test_a_looser_target_lets_the_noisy_stream_stop_before_the_maximum():
    rounds, reason = run_stream(noisy, cfg(target_ci_pct=25.0, min_time_s=0.5, time_budget_s=30.0))
    assert reason == STOP_PRECISION and len(rounds) < 300


def test_without_a_target_the_budget_and_rounds_rule_as_before():
    rounds, reason = run_stream(steady, cfg(time_budget_s=2.0))
    assert reason == STOP_MAX_TIME and len(rounds) == 20
    rounds, reason = run_stream(steady, cfg(rounds=7))
    assert reason == STOP_ROUNDS and len(rounds) == 7
    rounds, reason = run_stream(steady, cfg(time_budget_s=0.1, min_inferences=100))  # min_inferences first
    assert reason == STOP_MAX_TIME and len(rounds) == 5
    s = compute_stats(rounds, cfg())
    assert s["target_ci"] is None and s["target_ci_met"] is None


def test_the_study_protocol_stops_by_precision_by_default_and_bad_targets_are_refused():
    study = protocol("study")
    assert study.target_ci_pct == 2.0 and study.min_time_s < study.time_budget_s
    for bad in (dict(target_ci_pct=0), dict(target_ci_pct=150), dict(min_time_s=-1), dict(min_time_s=20.0)):
        with pytest.raises(UsageError):
            study.with_(**bad)


def test_headline_cis_by_statistic():
    rng = np.random.default_rng(3)
    rounds = [list(10 * rng.lognormal(0, 0.05, 20)) for _ in range(30)]
    for h in ("robust", "median", "min", "mean", "trimmed_mean"):
        lo, hi = headline_ci(rounds, h, trim=2)
        assert lo < hi, h
    lo, hi = headline_ci(rounds[:10], "robust")  # too few rounds for the lower quartile's CI
    assert np.isnan(lo)
    assert quantile_ci([5.0] * 8, 0.5) == (5.0, 5.0)


def test_spread_limit_flags_rounds_that_moved_and_spares_noise():
    rng = np.random.default_rng(4)
    # 200 runs of rounds that all saw the same machine: at most 1 in 20 flagged (here: none expected)
    flagged = 0
    for _ in range(200):
        rounds = [10 * rng.lognormal(0, 0.1, 20) for _ in range(25)]
        flagged += round_spread(rounds) > spread_limit(rounds)
    assert flagged <= 10
    # a steady model whose rounds split between two machine states 30% apart: flagged
    split = [10 * (1.3 if i % 2 else 1.0) * rng.lognormal(0, 0.02, 20) for i in range(24)]
    assert round_spread(split) > spread_limit(split)
    assert compute_stats(split, cfg())["rounds_disagree"] == 1
    # the same 30% split inside a model whose own noise is wide is explained by that noise
    wide = [10 * (1.3 if i % 2 else 1.0) * rng.lognormal(0, 0.8, 20) for i in range(24)]
    assert spread_limit(wide) > spread_limit(split) and round_spread(wide) <= spread_limit(wide)


def test_spread_limit_has_a_floor_and_needs_two_rounds():
    steady_rounds = [[10.0] * 20, [10.3] * 20, [10.1] * 20, [10.2] * 20]  # no noise: limit is the 5% floor
    assert spread_limit(steady_rounds) == pytest.approx(0.05)
    assert compute_stats(steady_rounds, cfg())["rounds_disagree"] == 0
    assert spread_limit([[1.0, 2.0, 3.0]]) is None
