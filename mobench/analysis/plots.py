"""The figures of ``mobench run`` and ``mobench plot`` (PNG + SVG, matplotlib), each readable on its own.

Kinds (``mobench plot --kind``):

``complexity``    latency vs MACs and latency vs params, log-log, one panel per device,
                  points labelled and styled by family, Spearman rho in the legend
``pareto``        ImageNet top-1 (published) vs latency with the Pareto front, per device
``paper``         measured latency vs the paper's (desktop CPU, iPhone 12), identity line
``distribution``  every raw sample per model (box plot), per measured device
``drift``         per-round median relative to the run's median: warm-up and throttling
``fused``         fused vs unfused latency of the reparameterizable models

Measured panels say "measured"; panels from the paper say "reference" and cite it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import UsageError, one_line
from ._plotting import (
    family_legend,
    label_points,
    new_figure,
    plain_log_ticks,
    save_figure,
    scatter_by_family,
    short_name,
)
from .metrics import METRICS
from .reference import citation, is_reference, published_complexity, reference_latencies, top1
from .tables import _target_col, device_label, latest_per_model, split_fused, stat_column

KINDS = ("complexity", "pareto", "paper", "distribution", "drift", "fused")


@dataclass
class PlotData:
    analysis: Any  # AnalysisResult
    runs: Any = None  # store rows (DataFrame) or None
    samples: Any = None  # raw samples (DataFrame) or None

    @property
    def measured(self) -> list[str]:
        return [d for d in self.analysis.devices if not is_reference(d)]


def parse_kinds(kinds) -> list[str]:
    if not kinds:
        return list(KINDS)
    items = [k.strip() for s in ([kinds] if isinstance(kinds, str) else kinds) for k in s.split(",") if k.strip()]
    if items == ["all"]:
        return list(KINDS)
    bad = [k for k in items if k not in KINDS]
    if bad:
        raise UsageError(f"unknown plot kind {bad[0]!r}; choose from {', '.join(KINDS)} (comma-separated) or 'all'")
    return items


def _ylabel(data: PlotData, device: str) -> str:
    return "latency (ms, published)" if is_reference(device) else f"latency (ms, {data.analysis.stat} per run)"


def _metric_series(data: PlotData, device: str, metric: str):
    import pandas as pd

    row = next((r for r in data.analysis.rows if r.device == device and r.metric == metric), None)
    if row is None:
        return None, pd.Series(dtype=float)
    table = published_complexity() if row.source == "paper" else data.analysis.complexity
    col = METRICS[metric].column
    if table is None or col not in table:
        return row, pd.Series(dtype=float)
    s = table[col]
    return row, s[s.index.isin(row.models)]


def plot_complexity(data: PlotData, metric: str = "macs"):
    """Latency vs one metric, a log-log panel per device (None when no device has the metric)."""
    from matplotlib.lines import Line2D

    devices = [d for d in data.analysis.devices if metric in data.analysis.metrics]
    if not devices:
        return None
    fig, axes = new_figure(len(devices))
    m = METRICS[metric]
    for ax, d in zip(axes, devices, strict=False):
        row, met = _metric_series(data, d, metric)
        lat = data.analysis.latency[d].reindex(met.index)
        keep = (met > 0) & (lat > 0)
        met, lat = met[keep], lat[keep]
        if len(met) == 0:
            ax.text(0.5, 0.5, "no models with both values", ha="center", transform=ax.transAxes)
            ax.set_title(device_label(d), fontsize=10)
            continue
        scatter_by_family(ax, met.values, lat.values, list(met.index))
        ax.set_xscale("log")
        ax.set_yscale("log")
        label_points(ax, list(met.values), list(lat.values), [short_name(x) for x in met.index])
        rho_txt = (
            f"Spearman rho = {row.spearman_rho:.2f}\n(p = {row.spearman_p:.2g}, n = {row.n})"
            if row is not None and row.spearman_rho == row.spearman_rho
            else "rho: too few models"
        )
        ax.legend(
            [Line2D([], [], linestyle="none")],
            [rho_txt],
            fontsize=8,
            loc="best",
            handlelength=0,
            handletextpad=0,
            framealpha=0.9,
        )
        plain_log_ticks(ax)
        src = "published by the paper" if row is not None and row.source == "paper" else "counted by mobench"
        ax.set_xlabel(f"{m.label} - {src} (log)")
        ax.set_ylabel(_ylabel(data, d) + " (log)")
        ax.set_title(device_label(d), fontsize=10)
        ax.grid(True, which="both", alpha=0.25)
    family_legend(fig, axes)
    fig.suptitle(f"Latency vs {metric}: does {metric} rank latency? (reference = {citation()})", fontsize=12)
    return fig


def pareto_front(latency, accuracy) -> list[str]:
    """Models not beaten by a faster-or-equal model with higher-or-equal accuracy, by latency."""
    import pandas as pd

    df = pd.concat([pd.Series(latency, name="lat"), pd.Series(accuracy, name="acc")], axis=1).dropna()
    df = df.sort_values(["lat", "acc"], ascending=[True, False])
    front, best = [], float("-inf")
    for name, r in df.iterrows():
        if r["acc"] > best:
            front.append(name)
            best = r["acc"]
    return front


def plot_pareto(data: PlotData):
    acc = top1()
    devices = data.analysis.devices
    fig, axes = new_figure(len(devices))
    for ax, d in zip(axes, devices, strict=False):
        lat = data.analysis.latency[d].dropna()
        lat = lat[lat.index.isin(acc.index)]
        if lat.empty:
            ax.text(0.5, 0.5, "no models with a published top-1", ha="center", transform=ax.transAxes)
            ax.set_title(device_label(d), fontsize=10)
            continue
        a = acc.reindex(lat.index)
        scatter_by_family(ax, lat.values, a.values, list(lat.index))
        front = pareto_front(lat, a)
        ax.step(
            lat[front].values,
            a[front].values,
            where="post",
            color="black",
            lw=1.2,
            alpha=0.7,
            label="Pareto front",
            zorder=2,
        )
        ax.set_xscale("log")
        label_points(ax, list(lat.values), list(a.values), [short_name(x) for x in lat.index])
        plain_log_ticks(ax, "x")
        ax.set_xlabel(_ylabel(data, d) + " (log)")
        ax.set_ylabel("ImageNet top-1 (%, published)")
        ax.set_title(device_label(d), fontsize=10)
        ax.grid(True, which="both", alpha=0.25)
    family_legend(fig, axes)
    fig.suptitle(f"Accuracy vs latency with the Pareto front (top-1 from {citation()})", fontsize=12)
    return fig


def plot_measured_vs_paper(data: PlotData):
    """Measured latency against the paper's, per (measured device, reference device) pair."""
    import numpy as np

    pairs = [(d, r) for d in data.measured for r in ("paper:cpu", "paper:iphone12")]
    if not pairs:
        return None
    fig, axes = new_figure(len(pairs))
    for ax, (d, r) in zip(axes, pairs, strict=False):
        ref = reference_latencies(r)
        mine = data.analysis.latency[d].dropna()
        common = mine.index.intersection(ref.index)
        ax.set_title(f"{device_label(d)}\nvs {device_label(r)}", fontsize=9)
        if len(common) == 0:
            ax.text(0.5, 0.5, "no shared models", ha="center", transform=ax.transAxes)
            continue
        x, y = ref[common], mine[common]
        scatter_by_family(ax, x.values, y.values, list(common))
        lo = float(min(x.min(), y.min())) * 0.7
        hi = float(max(x.max(), y.max())) * 1.4
        ax.plot([lo, hi], [lo, hi], color="black", lw=1, label="identity (y = x)")
        k = float(np.exp(np.median(np.log(y.values / x.values))))
        ax.plot([lo, hi], [lo * k, hi * k], color="gray", lw=1, ls="--", label=f"median ratio y = {k:.2f} x")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        label_points(ax, list(x.values), list(y.values), [short_name(m) for m in common])
        plain_log_ticks(ax)
        agr = next((a for a in data.analysis.agreements if a.device_a == d and a.device_b == r), None)
        if agr is not None and agr.spearman_rho == agr.spearman_rho:
            ax.plot([], [], ls="none", label=f"Spearman rho = {agr.spearman_rho:.2f} (n = {agr.n})")
        lines = [h for h in ax.get_legend_handles_labels()[0] if not hasattr(h, "get_offsets")]
        ax.legend(lines, [h.get_label() for h in lines], fontsize=7, loc="best", framealpha=0.85)
        ax.set_xlabel(f"{r} latency (ms, published, log)")
        ax.set_ylabel(f"{d} latency (ms, {data.analysis.stat}, measured, log)")
        ax.grid(True, which="both", alpha=0.25)
    family_legend(fig, axes)
    fig.suptitle("Measured vs published latency (points on the identity line agree exactly)", fontsize=12)
    return fig


def _chosen_runs(data: PlotData):
    if data.runs is None or data.runs.empty:
        return None
    deployed, _ = split_fused(data.runs)
    return latest_per_model(deployed[deployed[_target_col(deployed)].isin(data.measured)])


def plot_distribution(data: PlotData):
    runs = _chosen_runs(data)
    if runs is None or runs.empty or data.samples is None or data.samples.empty:
        return None
    tc = _target_col(runs)
    devices = [d for d in data.measured if d in set(runs[tc])]
    fig, axes = new_figure(
        len(devices),
        ncols=min(len(devices), 2),
        panel_w=7.0,
        panel_h=max(3.0, 0.32 * runs.groupby(tc).size().max() + 1.5),
    )
    for ax, d in zip(axes, devices, strict=False):
        ids = runs[runs[tc] == d].set_index("run_id")["model"]
        s = data.samples[data.samples["run_id"].isin(ids.index)]
        groups = {ids[i]: g["latency_ms"].values for i, g in s.groupby("run_id")}
        order = sorted(groups, key=lambda m: float(sorted(groups[m])[len(groups[m]) // 2]))
        ax.boxplot(
            [groups[m] for m in order],
            orientation="horizontal",
            whis=(1, 99),
            flierprops={"markersize": 2, "alpha": 0.4},
            medianprops={"color": "#d62728"},
        )
        ax.set_yticks(range(1, len(order) + 1), [f"{m} (n={len(groups[m])})" for m in order], fontsize=7)
        ax.set_xscale("log")
        plain_log_ticks(ax, "x")
        ax.set_xlabel("latency per inference (ms, every raw sample, log)")
        ax.set_title(f"{device_label(d)}: box = quartiles, whiskers = p1-p99, red = median", fontsize=9)
        ax.grid(True, axis="x", which="both", alpha=0.25)
    fig.suptitle("Latency distribution per model", fontsize=12)
    return fig


def _blocks(g, n_blocks: int = 10):
    """Per-round medians, or medians of consecutive blocks when a run has fewer than 3 rounds."""
    import numpy as np

    if g["round"].nunique() >= 3:
        return g.groupby("round")["latency_ms"].median().values, "round"
    vals = g.sort_values(["round", "index"])["latency_ms"].values
    chunks = np.array_split(vals, min(n_blocks, max(1, len(vals) // 5)))
    return np.array([np.median(c) for c in chunks if len(c)]), "block"


def plot_drift(data: PlotData):
    """A heat map per measured device: rows = models (in measurement order), columns = rounds,
    colour = the round's median / the run's median (blue faster, red slower)."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    runs = _chosen_runs(data)
    if runs is None or runs.empty or data.samples is None or data.samples.empty:
        return None
    tc = _target_col(runs)
    devices = [d for d in data.measured if d in set(runs[tc])]
    n_rows = runs.groupby(tc).size().max()
    fig, axes = new_figure(len(devices), ncols=1, panel_w=9.0, panel_h=max(2.6, 0.26 * n_rows + 1.6))
    for ax, d in zip(axes, devices, strict=False):
        ids = runs[runs[tc] == d].sort_values("run_id").set_index("run_id")["model"]
        s = data.samples[data.samples["run_id"].isin(ids.index)]
        rows, unit = [], "round"
        for rid in ids.index:
            g = s[s["run_id"] == rid]
            if g.empty:
                rows.append(np.array([np.nan]))
                continue
            med, unit = _blocks(g)
            rows.append(med / float(np.median(g["latency_ms"].values)))
        width = max(len(r) for r in rows)
        grid = np.full((len(rows), width), np.nan)
        for i, r in enumerate(rows):
            grid[i, : len(r)] = r
        import matplotlib

        # grey, not white, for missing rounds: white means "as the run's median"
        cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#d0d0d0")
        im = ax.imshow(
            grid,
            aspect="auto",
            cmap=cmap,
            interpolation="nearest",
            norm=TwoSlopeNorm(vcenter=1.0, vmin=0.7, vmax=1.3),
            extent=(0.5, width + 0.5, len(rows) - 0.5, -0.5),
        )
        ax.set_yticks(range(len(rows)), list(ids.values), fontsize=7)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"{unit} (in measurement order; grey = the run stopped earlier)")
        ax.set_title(f"{device_label(d)}: warm-up = red first {unit}, throttling or load = red later", fontsize=9)
        cb = fig.colorbar(im, ax=ax, shrink=0.9, extend="both")
        cb.set_label(f"{unit} median / run median (white = 1)", fontsize=8)
    fig.suptitle("Per-round drift of latency (models top to bottom in measurement order)", fontsize=12)
    return fig


def fused_table(runs, stat_col: str = "median_ms"):
    """(model, device = target label, fused_ms, unfused_ms, speedup) for models timed both ways."""
    import pandas as pd

    if runs is None or runs.empty:
        return pd.DataFrame()
    deployed, unfused = split_fused(runs)
    if unfused.empty:
        return pd.DataFrame()
    tc = _target_col(deployed)  # one pair per target: fused and unfused timed on the same target
    a = latest_per_model(deployed).set_index(["model", tc])[stat_col].rename("fused_ms")
    b = latest_per_model(unfused).set_index(["model", tc])[stat_col].rename("unfused_ms")
    df = pd.concat([a, b], axis=1, join="inner").reset_index().rename(columns={tc: "device"})
    df["speedup"] = df["unfused_ms"] / df["fused_ms"]
    return df


def plot_fused(data: PlotData):
    import numpy as np

    df = fused_table(data.runs, stat_column(data.analysis.stat))
    if df.empty:
        return None
    devices = list(dict.fromkeys(df["device"]))
    width = max(7.0, 0.9 * df.groupby("device").size().max() + 2)
    fig, axes = new_figure(len(devices), ncols=min(len(devices), 2), panel_w=width)
    for ax, d in zip(axes, devices, strict=False):
        g = df[df["device"] == d].sort_values("fused_ms")
        x = np.arange(len(g))
        ax.bar(x - 0.2, g["unfused_ms"], 0.4, label="unfused (train-time branches)", color="#7f7f7f")
        ax.bar(x + 0.2, g["fused_ms"], 0.4, label="fused (reparameterized)", color="#d62728")
        for xi, (_, r) in zip(x, g.iterrows(), strict=False):
            ax.annotate(
                f"{r['speedup']:.2f}x",
                (xi, max(r["unfused_ms"], r["fused_ms"])),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color="black" if r["speedup"] >= 1 else "#cf222e",
            )
        ax.set_xticks(x, list(g["model"]), rotation=20, ha="right", fontsize=8)
        ax.set_xlim(-1.0, max(len(g), 2) - 0.0)
        # headroom above the tallest bar for the ratio labels and the legend
        ax.set_ylim(0, float(max(g["unfused_ms"].max(), g["fused_ms"].max())) * 1.35)
        ax.set_ylabel(f"latency (ms, {data.analysis.stat} per run, measured)")
        ax.set_title(f"{device_label(d)}: number = unfused / fused latency (> 1: fusion pays off)", fontsize=9)
        ax.legend(fontsize=8, loc="upper right", ncols=2)
        ax.grid(True, axis="y", alpha=0.25)
    fig.suptitle("What reparameterization buys: fused vs unfused graph", fontsize=12)
    return fig


def make_plots(
    data: PlotData, out_dir, kinds=None, *, metrics: list[str] | None = None, progress=None
) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Draw and save the requested kinds into ``out_dir``.

    Returns ``(written, skipped)``: file name stem -> [png, svg] paths, and kind -> reason
    for kinds that had nothing to show (e.g. no unfused runs for ``fused``) or failed.
    ``metrics`` limits the ``complexity`` kind (default: every analysed metric).
    One failing plot does not stop the others.
    """
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {}
    skipped: dict[str, str] = {}
    jobs = []
    for k in parse_kinds(kinds):
        if k == "complexity":
            for m in [m for m in data.analysis.metrics if metrics is None or m in metrics]:
                jobs.append((k, f"latency_vs_{m}", lambda m=m: plot_complexity(data, m)))
        elif k == "pareto":
            jobs.append((k, "top1_vs_latency", lambda: plot_pareto(data)))
        elif k == "paper":
            jobs.append((k, "measured_vs_paper", lambda: plot_measured_vs_paper(data)))
        elif k == "distribution":
            jobs.append((k, "latency_distribution", lambda: plot_distribution(data)))
        elif k == "drift":
            jobs.append((k, "latency_drift", lambda: plot_drift(data)))
        elif k == "fused":
            jobs.append((k, "fused_vs_unfused", lambda: plot_fused(data)))
    why = {
        "paper": "no measured device to compare with the paper",
        "distribution": "no raw samples of a measured device",
        "drift": "no raw samples of a measured device",
        "fused": "no model timed both fused and unfused (mobench run times MobileOne both ways)",
        "complexity": "no device with that metric",
    }
    for kind, stem, fn in jobs:
        if progress is not None:
            progress(stem)
        try:
            fig = fn()
        except Exception as exc:  # a plot bug must not cost the report the other plots
            skipped[stem] = f"failed: {one_line(exc, with_type=True)}"
            continue
        if fig is None:
            skipped[kind] = why.get(kind, "nothing to plot")
            continue
        try:
            written[stem] = save_figure(fig, out_dir, stem)
        except OSError as exc:
            raise UsageError(f"cannot write plots to {out_dir}: {exc.strerror or exc}") from exc
    return written, skipped
