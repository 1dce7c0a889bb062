"""``mobench analyze | plot | report``: correlation tables, figures and the HTML report from the store."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.jsonout import dumps
from .options import ANALYSIS_DEVICE_HELP, REFERENCE_NAMES, DbOption, StatOption

ANALYZE_HELP = f"""Correlate latency with cost metrics per device: the paper's Table 1, on your numbers.

For every device: Spearman rho with p-value and bootstrap 95% CI, Kendall tau and Pearson r of log-log, of latency against each metric, with n and the model list; then how close the paper's own Table 1 is reproduced (reference devices), and how this machine's ranking agrees with the paper's CPU and iPhone 12.

Devices: measured devices in the store (e.g. cpu) and the paper's published reference devices {REFERENCE_NAMES} (no hardware needed). Reference devices use the paper's correlation set (Figure 2, 21 models) and its own FLOPs/params columns unless --complexity counted.

Metrics: macs, params, memory (traffic per inference), activations, layers, branches (multi-input nodes), depth, or all.

Examples:

  mobench analyze --device paper:iphone12          # reproduce Table 1 (rho 0.47 / 0.30)

  mobench analyze                                  # every measured device + the paper's

  mobench analyze --device cpu --metric all --json

  mobench analyze --device paper:cpu --complexity counted --csv > table1.csv
"""

PLOT_HELP = """Draw the figures of the stored runs as PNG and SVG.

Kinds: complexity (latency vs MACs / params / ... per device), pareto (top-1 vs latency with the Pareto front), paper (measured vs published latency, identity line), distribution (every raw sample per model), drift (per-round median: warm-up, throttling), fused (fused vs unfused). Reference panels are labelled as such.

Examples:

  mobench plot                                     # every kind, into results/plots

  mobench plot --kind complexity --device paper:iphone12 --device paper:cpu --out figs

  mobench plot --kind drift,distribution --db results/mobench.sqlite
"""

REPORT_HELP = """Write one self-contained HTML report (plots embedded): environment, protocol, correlation table, latency table, fused vs unfused, complexity metrics, the stored profiles and latency studies (`mobench profile`, `mobench study`), every plot.

Examples:

  mobench report                                   # results/report.html from results/mobench.sqlite

  mobench report --db lab.sqlite --out lab_report
"""

_DEVICE_HELP = ANALYSIS_DEVICE_HELP


def _default_db(db: str | None):
    from ..results import locate

    return locate(db)


def _analysis(device, metric, db, stat, complexity, model, preset, n_boot, progress=True):
    from ..analysis.analyze import analyze
    from ..analysis.reference import is_reference
    from ..analysis.tables import load_runs
    from ..models import resolve_models

    db = _default_db(db)
    models = resolve_models(model, preset) if (model or preset) else None
    import pandas as pd

    if device and all(is_reference(d) for d in device):
        runs = pd.DataFrame()
    elif not device and not db.exists():
        typer.echo(
            f"note: no results store at {db}; showing the paper's reference devices only "
            "(run `mobench run` to add this machine, or pass --db)",
            err=True,
        )
        runs = pd.DataFrame()
    else:
        runs = load_runs(db)
    cb = None
    if progress:
        from rich.console import Console

        err = Console(stderr=True)
        cb = lambda m: err.print(f"[dim]counting metrics: {m}[/]")  # noqa: E731
    result = analyze(
        list(device or []) or None,
        metric,
        runs=runs,
        stat=stat,
        complexity=complexity,
        models=models,
        n_resamples=n_boot,
        progress=cb,
    )
    return result, runs, db


def analyze_cmd(
    device: list[str] | None = typer.Option(None, "--device", "-d", help=_DEVICE_HELP),
    metric: str | None = typer.Option(
        None, "--metric", help="Comma-separated metrics (default macs,params; 'all' for every one)."
    ),
    db: DbOption = None,
    stat: StatOption = "median",
    complexity: str = typer.Option(
        "auto",
        "--complexity",
        help="Where MACs/params come from: auto (paper columns for reference devices, counted for measured), paper, counted.",
    ),
    model: list[str] | None = typer.Option(None, "--model", "-m", help="Restrict to these models (repeatable)."),
    preset: str | None = typer.Option(
        None, "--preset", help="Restrict to a model set (quick, mobileone, figure2, paper)."
    ),
    n_boot: int = typer.Option(2000, "--bootstrap", help="Bootstrap resamples for the 95% CI of rho."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print one CSV row per (device, metric)."),
) -> None:
    from ..core.errors import UsageError

    if as_json and as_csv:
        raise UsageError("choose one of --json and --csv")
    if n_boot < 100:
        raise UsageError("--bootstrap must be at least 100 resamples")
    result, runs, _ = _analysis(device, metric, db, stat, complexity, model, preset, n_boot)
    if as_json:
        typer.echo(dumps(result.to_dict(), indent=1))
    elif as_csv:
        typer.echo(result.to_frame().to_csv(index=False), nl=False)
    else:
        from rich.console import Console

        from .analysis_view import render_analysis

        console = Console()
        if not console.is_terminal:
            console = Console(width=160)
        render_analysis(result, console)
        from .run import print_speedups

        print_speedups(console, runs, only_if_several=True)  # runtime x recipe, when runs have several recipes


def plot_cmd(
    kind: list[str] | None = typer.Option(
        None,
        "--kind",
        "-k",
        help="Plot kinds (repeatable or comma-separated): complexity, pareto, paper, distribution, drift, fused, all.",
    ),
    device: list[str] | None = typer.Option(None, "--device", "-d", help=_DEVICE_HELP),
    metric: str | None = typer.Option(None, "--metric", help="Metrics for the complexity kind (default macs,params)."),
    db: DbOption = None,
    stat: StatOption = "median",
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default: plots/ next to the database)."),
) -> None:
    from ..analysis.plots import PlotData, make_plots, parse_kinds
    from ..results import load_samples

    kinds = parse_kinds(kind)
    result, runs, dbp = _analysis(device, metric, db, stat, "auto", None, None, 2000)
    samples = load_samples(dbp) if runs is not None and not runs.empty else None
    out = out or dbp.folder / "plots"
    written, skipped = make_plots(PlotData(result, runs, samples), out, kinds)
    for paths in written.values():
        typer.echo(f"wrote {', '.join(str(p) for p in paths)}")
    for k, why in skipped.items():
        typer.echo(f"skipped {k}: {why}", err=True)
    if not written:
        raise typer.Exit(1)


def report_cmd(
    db: DbOption = None,
    device: list[str] | None = typer.Option(None, "--device", "-d", help=_DEVICE_HELP),
    metric: str | None = typer.Option(
        "macs,params",
        "--metric",
        help="Metrics to correlate and plot (e.g. macs,params,memory or all; counted metrics build every model once, then cache).",
    ),
    stat: StatOption = "median",
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder for report.html and plots/ (default: next to the database)."
    ),
) -> None:
    from ..analysis.plots import PlotData, make_plots
    from ..analysis.report import write_report
    from ..results import load_samples

    result, runs, dbp = _analysis(device, metric, db, stat, "auto", None, None, 2000)
    samples = load_samples(dbp) if runs is not None and not runs.empty else None
    out = out or dbp.folder
    written, skipped = make_plots(PlotData(result, runs, samples), out / "plots")
    path = write_report(
        out / "report.html", result, runs, written, title="mobench report", extra_sections=_stored_sections(dbp)
    )
    typer.echo(f"wrote {path} ({len(written)} plots embedded)")
    for k, why in skipped.items():
        typer.echo(f"skipped plot {k}: {why}", err=True)


def _stored_sections(dbp) -> list[str]:
    """The profiles and latency studies kept in the store, as report sections."""
    if not dbp.exists():
        return []
    from ..analysis.profiles_view import stored_sections
    from ..results import Store
    from ..studies import stored_study_sections

    with Store(dbp, readonly=True) as store:
        return stored_sections(store) + stored_study_sections(store)


def register(app: typer.Typer) -> None:
    app.command("analyze", help=ANALYZE_HELP)(analyze_cmd)
    app.command("plot", help=PLOT_HELP)(plot_cmd)
    app.command("report", help=REPORT_HELP)(report_cmd)
