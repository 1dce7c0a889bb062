"""Terminal rendering of an analysis: the paper's Table 1 layout and its details (rich tables)."""

from __future__ import annotations

from ..analysis.analyze import AnalysisResult
from ..analysis.correlation import TABLE1_TOLERANCE
from ..analysis.metrics import METRICS
from ..analysis.tables import device_label
from ..core.util import fmt_number


def render_analysis(result: AnalysisResult, console=None) -> None:
    """Print the paper's Table 1 layout, details, the comparison with the paper and device agreement."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t = Table(
        title="Spearman rank correlation of latency with cost metrics (the paper's Table 1 layout: rho, p-value)",
        caption=f"measured latency = per-run {result.stat}; reference = as published (iPhone 12: minimum of 1000 runs)",
    )
    t.add_column("latency measured on")
    for m in result.metrics:
        t.add_column(f"vs {m} (rho, p)", justify="right")
    t.add_column("n", justify="right")
    for d in result.devices:
        cells = []
        n = 0
        for m in result.metrics:
            r = next(r for r in result.rows if r.device == d and r.metric == m)
            cells.append(f"{fmt_number(r.spearman_rho, 2)}, {fmt_number(r.spearman_p, 2)}")
            n = max(n, r.n)
        t.add_row(device_label(d, short=True), *cells, str(n))
    console.print(t)

    dt = Table(
        title="Details: Spearman rho with bootstrap 95% CI, Kendall tau, Pearson r of log-log",
        caption="source: paper = the paper's published FLOPs/params columns (fvcore); "
        "counted = mobench on the deployed graph",
    )
    for c in ("device", "metric", "source", "n", "rho", "95% CI", "p", "tau", "r log-log"):
        dt.add_column(c, justify="right" if c not in ("device", "metric", "source") else "left")
    for r in result.rows:
        dt.add_row(
            r.device,
            METRICS[r.metric].name,
            r.source,
            str(r.n),
            fmt_number(r.spearman_rho, 2),
            f"[{fmt_number(r.ci_low, 2)}, {fmt_number(r.ci_high, 2)}]",
            fmt_number(r.spearman_p, 3),
            fmt_number(r.kendall_tau, 2),
            fmt_number(r.pearson_log_r, 2),
        )
    console.print(dt)

    if result.comparisons:
        ct = Table(title=f"Against the paper's Table 1 (tolerance |delta rho| <= {TABLE1_TOLERANCE})")
        for c in ("device", "metric", "paper rho (p)", "ours rho (p)", "delta", "n", "verdict"):
            ct.add_column(c)
        for c in result.comparisons:
            ct.add_row(
                c.device,
                c.metric,
                f"{c.paper_rho:.2f} ({c.paper_p:.2f})",
                f"{c.rho:.3f} ({c.p:.3f})",
                f"{c.diff:+.3f}",
                str(c.n),
                "[green]reproduced[/]" if c.within else "[yellow]outside tolerance[/]",
            )
        console.print(ct)
    if result.agreements:
        at = Table(title="Agreement between devices (rank correlation of latencies over shared models)")
        for c in ("measured", "reference", "n", "Spearman rho", "p", "Kendall tau"):
            at.add_column(c)
        for a in result.agreements:
            at.add_row(
                a.device_a,
                a.device_b,
                str(a.n),
                fmt_number(a.spearman_rho, 2),
                fmt_number(a.spearman_p, 3),
                fmt_number(a.kendall_tau, 2),
            )
        console.print(at)
    for d in result.devices:
        r = next((r for r in result.rows if r.device == d), None)
        if r is not None:
            console.print(f"[dim]{d} models (n={r.n}): {', '.join(r.models)}[/]")
    for note in result.notes:
        console.print(f"[dim]{note}[/]")
