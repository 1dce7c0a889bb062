"""Correlation statistics against hand-computed values, and the paper's Table 1 reproduction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mobench.analysis.correlation import (
    PAPER_TABLE1,
    TABLE1_TOLERANCE,
    compare_with_paper,
    correlate,
    device_agreement,
    spearman_bootstrap_ci,
)


def _s(values, names="abcde"):
    return pd.Series(values, index=list(names)[: len(values)], dtype=float)


def test_spearman_and_kendall_hand_computed():
    # ranks x = 1..5, y = 1,3,2,5,4: d = 0,1,1,1,1 -> sum d^2 = 4 -> rho = 1 - 6*4/(5*24) = 0.8
    # pairs: 10, discordant (b,c) and (d,e) -> tau = (8 - 2) / 10 = 0.6
    r = correlate(_s([1, 3, 2, 5, 4]), _s([1, 2, 3, 4, 5]), device="d", metric_name="macs")
    assert r.n == 5
    assert r.spearman_rho == pytest.approx(0.8)
    assert r.kendall_tau == pytest.approx(0.6)
    assert r.models == tuple("abcde")
    # p-value of rho = 0.8, n = 5 by the t approximation: t = r sqrt((n-2)/(1-r^2)) = 2.3094, df 3
    assert r.spearman_p == pytest.approx(0.1041, abs=2e-4)


def test_pearson_is_on_log_log():
    x = _s([1, 2, 4, 8, 16])
    y = x**2.5  # a power law is a straight line in log-log: r = 1 exactly, rho = 1
    r = correlate(y, x)
    assert r.pearson_log_r == pytest.approx(1.0)
    # on linear axes the same data are far from a line: the log transform matters
    assert np.corrcoef(x, y)[0, 1] < 0.97


def test_alignment_uses_shared_models_and_drops_nans():
    lat = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "z": 9.0})
    met = pd.Series({"a": 10.0, "b": 30.0, "c": 20.0, "d": float("nan"), "q": 1.0})
    r = correlate(lat, met)
    assert r.n == 3 and r.models == ("a", "b", "c")
    assert r.spearman_rho == pytest.approx(0.5)  # d^2 = 0,1,1 -> 1 - 6*2/(3*8)


def test_too_few_or_constant_gives_nan_not_error():
    assert math.isnan(correlate(_s([1, 2]), _s([3, 4])).spearman_rho)
    assert math.isnan(correlate(_s([1, 2, 3]), _s([5, 5, 5])).spearman_rho)


def test_bootstrap_ci_brackets_rho_and_is_degenerate_for_perfect_order():
    rng = np.random.default_rng(1)
    x = np.arange(20.0)
    y = x + rng.normal(0, 6, 20)
    r = correlate(pd.Series(y), pd.Series(x))
    assert -1 <= r.ci_low < r.spearman_rho < r.ci_high <= 1
    # resampling a perfectly monotone relation can only give rho = 1 (ties dropped as nan)
    lo, hi = spearman_bootstrap_ci(x, 2 * x + 1)
    assert lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    # the same seed gives the same interval
    assert spearman_bootstrap_ci(x, y, seed=3) == spearman_bootstrap_ci(x, y, seed=3)


def test_device_agreement_hand_computed():
    a = pd.Series({"m1": 1.0, "m2": 2.0, "m3": 3.0, "m4": 4.0})
    b = pd.Series({"m1": 10.0, "m2": 40.0, "m3": 30.0, "m4": 20.0, "other": 1.0})
    ag = device_agreement(a, b, device_a="cpu", device_b="paper:cpu")
    # ranks b over shared models: 1,4,3,2 -> d = 0,2,0,2 -> rho = 1 - 6*8/(4*15) = 0.2
    assert ag.n == 4 and ag.spearman_rho == pytest.approx(0.2)


def test_paper_table1_reproduced_from_published_columns():
    """The headline check: paper:iphone12 over the Figure 2 set gives Table 1's 0.47 / 0.30."""
    from mobench.analysis.analyze import analyze

    res = analyze(["paper:iphone12", "paper:cpu"], "macs,params", runs=pd.DataFrame(), n_resamples=200)
    comps = {(c.device, c.metric): c for c in compare_with_paper(res.rows)}
    assert set(comps) == {(d, m) for d in PAPER_TABLE1 for m in PAPER_TABLE1[d]}
    ip_macs, ip_params = comps[("paper:iphone12", "macs")], comps[("paper:iphone12", "params")]
    assert ip_macs.n == 21 and ip_params.n == 21
    assert ip_macs.within and ip_params.within
    assert ip_macs.rho == pytest.approx(0.457, abs=1e-3)
    assert ip_params.rho == pytest.approx(0.301, abs=1e-3)
    # p-values match the paper's to its printed precision (0.03 / 0.18)
    assert ip_macs.p == pytest.approx(0.03, abs=0.01) and ip_params.p == pytest.approx(0.18, abs=0.01)
    # the CPU row: both rhos near zero, as in the paper
    assert abs(comps[("paper:cpu", "macs")].rho) < 0.2 and comps[("paper:cpu", "macs")].p > 0.5
    assert TABLE1_TOLERANCE == 0.05


def test_compare_with_paper_ignores_counted_source():
    from mobench.analysis.correlation import Correlation

    row = Correlation("paper:iphone12", "macs", 21, 0.9, 0.0, 0.8, 1.0, 0.7, 0.0, 0.9, 0.0, source="counted")
    assert compare_with_paper([row]) == []
