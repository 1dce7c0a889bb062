"""Rank correlation of latency with cost metrics (the paper's Table 1), and device agreement.

Statistics come from :mod:`scipy.stats` (``spearmanr``, ``kendalltau``,
``pearsonr``). The bootstrap CI of Spearman's rho is a paired percentile
bootstrap written here in numpy because ``scipy.stats.bootstrap`` cannot skip
degenerate resamples (all-equal ranks give an undefined rho, common with
n ~ 20 and ties); those resamples are dropped and counted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

# The paper's Table 1 (Vasu et al., CVPR 2023): device -> metric -> (rho, p).
PAPER_TABLE1: dict[str, dict[str, tuple[float, float]]] = {
    "paper:iphone12": {"macs": (0.47, 0.03), "params": (0.30, 0.18)},
    "paper:cpu": {"macs": (0.06, 0.80), "params": (0.07, 0.77)},
}
# |rho(ours) - rho(paper)| we call a reproduction. Spearman rho over n=21 moves by
# 6*2/(21*(21^2-1)) = 0.0013 per unit change of the summed squared rank differences;
# 0.05 allows a few swapped neighbours (rounded latencies, an inferred model list).
TABLE1_TOLERANCE = 0.05


@dataclass(frozen=True)
class Correlation:
    """Latency of one device against one metric."""

    device: str
    metric: str
    n: int
    spearman_rho: float
    spearman_p: float
    ci_low: float
    ci_high: float
    kendall_tau: float
    kendall_p: float
    pearson_log_r: float
    pearson_log_p: float
    source: str = ""  # where the metric came from: "paper" (published) or "counted"
    models: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["models"] = list(self.models)
        d["null_reason"] = _null_reason(d, self.n, "latency or metric")
        return d


def _rank_rows(a: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(a, axis=-1)


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(axis=-1) / den, np.nan)


def spearman_bootstrap_ci(
    x, y, *, n_resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Paired percentile bootstrap CI of Spearman's rho (resampling models with replacement)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n < 3:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_resamples, n))
    rhos = _row_pearson(_rank_rows(x[idx]), _rank_rows(y[idx]))
    rhos = rhos[np.isfinite(rhos)]
    if len(rhos) < n_resamples // 2:
        return (float("nan"), float("nan"))
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(rhos, [alpha, 1 - alpha])
    return (float(lo), float(hi))


def correlate(
    latency,
    metric,
    *,
    device: str = "",
    metric_name: str = "",
    source: str = "",
    n_resamples: int = 2000,
    seed: int = 0,
) -> Correlation:
    """Correlate two pandas Series indexed by model over the models both have (NaNs dropped).

    Pearson r is computed on log(latency) vs log(metric) over the models where both are
    positive (a model with zero branches has no logarithm).
    """
    import pandas as pd
    from scipy import stats

    df = pd.concat([pd.Series(latency, name="lat"), pd.Series(metric, name="met")], axis=1).dropna()
    df = df.sort_index()
    n = len(df)
    nan = float("nan")
    if n < 3 or df["lat"].nunique() < 2 or df["met"].nunique() < 2:
        return Correlation(device, metric_name, n, nan, nan, nan, nan, nan, nan, nan, nan, source, tuple(df.index))
    sp = stats.spearmanr(df["met"], df["lat"])
    kt = stats.kendalltau(df["met"], df["lat"])
    pos = df[(df["lat"] > 0) & (df["met"] > 0)]
    if len(pos) >= 3 and pos["met"].nunique() > 1:
        pr = stats.pearsonr(np.log(pos["met"]), np.log(pos["lat"]))
        pr_r, pr_p = float(pr.statistic), float(pr.pvalue)
    else:
        pr_r = pr_p = nan
    lo, hi = spearman_bootstrap_ci(df["met"].to_numpy(), df["lat"].to_numpy(), n_resamples=n_resamples, seed=seed)
    return Correlation(
        device=device,
        metric=metric_name,
        n=n,
        spearman_rho=float(sp.statistic),
        spearman_p=float(sp.pvalue),
        ci_low=lo,
        ci_high=hi,
        kendall_tau=float(kt.statistic),
        kendall_p=float(kt.pvalue),
        pearson_log_r=pr_r,
        pearson_log_p=pr_p,
        source=source,
        models=tuple(df.index),
    )


@dataclass(frozen=True)
class Agreement:
    """How two devices rank the same models."""

    device_a: str
    device_b: str
    n: int
    spearman_rho: float
    spearman_p: float
    kendall_tau: float
    models: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["models"] = list(self.models)
        d["null_reason"] = _null_reason(d, self.n, "latency on either device")
        return d


def _null_reason(d: dict, n: int, what: str) -> str | None:
    """Why a statistic of ``d`` is not a number (``None`` when all are): JSON output gets null there."""
    bad = [k for k, v in d.items() if isinstance(v, float) and v != v]
    if not bad:
        return None
    if n < 3:
        return f"{', '.join(bad)}: not computed, {n} model(s) in common (a rank correlation needs 3)"
    return f"{', '.join(bad)}: undefined, the {what} is the same for every model (or too few positive values for logs)"


def device_agreement(lat_a, lat_b, *, device_a: str = "", device_b: str = "") -> Agreement:
    """Spearman and Kendall correlation of two devices' latencies over their shared models."""
    import pandas as pd
    from scipy import stats

    df = pd.concat([pd.Series(lat_a, name="a"), pd.Series(lat_b, name="b")], axis=1).dropna().sort_index()
    n = len(df)
    if n < 3 or df["a"].nunique() < 2 or df["b"].nunique() < 2:
        nan = float("nan")
        return Agreement(device_a, device_b, n, nan, nan, nan, tuple(df.index))
    sp = stats.spearmanr(df["a"], df["b"])
    kt = stats.kendalltau(df["a"], df["b"])
    return Agreement(device_a, device_b, n, float(sp.statistic), float(sp.pvalue), float(kt.statistic), tuple(df.index))


@dataclass(frozen=True)
class PaperComparison:
    device: str
    metric: str
    paper_rho: float
    paper_p: float
    rho: float
    p: float
    n: int

    @property
    def diff(self) -> float:
        return self.rho - self.paper_rho

    @property
    def within(self) -> bool:
        return bool(abs(self.diff) <= TABLE1_TOLERANCE)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(diff=self.diff, within_tolerance=self.within, tolerance=TABLE1_TOLERANCE)
        d["null_reason"] = _null_reason(
            {k: v for k, v in d.items() if k in ("rho", "p", "diff")}, self.n, "latency or metric"
        )
        return d


def compare_with_paper(rows: list[Correlation]) -> list[PaperComparison]:
    """Pair our rho with the paper's Table 1 where the device, metric and metric source match."""
    out = []
    for r in rows:
        ref = PAPER_TABLE1.get(r.device, {}).get(r.metric)
        if ref is None or r.source != "paper":
            continue
        out.append(PaperComparison(r.device, r.metric, ref[0], ref[1], r.spearman_rho, r.spearman_p, r.n))
    return out


TABLE1_EXPLANATION = (
    "Differences from the paper's Table 1: we recompute rho from the latencies the paper "
    "publishes in Table 9, rounded to 0.01 ms, over the Figure 2 model list as we read it "
    "(21 models, mobench preset 'figure2'); the paper computed it from its own unrounded "
    "measurements and does not list the set. Over 21 models one swap of two neighbours in a "
    "ranking moves rho by about 0.001-0.01, and several models sit within a few percent of "
    "each other (MobileNetV1 575 / MobileNeXt-1.4 590 / ShuffleNetV2-2.0 591 MFLOPs; "
    "MobileViT-XXS 4.70 / DeiT-tiny 4.78 ms). The desktop-CPU row depends on the paper's "
    "unstated CPU runtime; there both rhos stay near zero with p > 0.5, as in the paper."
)
