"""``mobench study``: the paper's latency studies (activations, blocks, branches) on any device."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .options import DbOption

HELP = """Run one of the paper's latency studies on generated networks, store it, and print its table.

activations: the 30-layer study CNN with ReLU, GELU, SE-ReLU, SiLU, Dynamic Shift-Max, DynamicReLU-A and DynamicReLU-B, beside the paper's Table 2 (iPhone 12). blocks: the same CNN plain, with skip connections, with squeeze-excite, and with 4 parallel conv-BN branches unfused vs fused: memory traffic beside latency. branches: a small MobileOne with k = 1, 2, 4, 8 branches, train-time vs fused.

The networks (study_* in `mobench models`) are exported and timed like any model, so every device works; runs already stored are reused unless --force.

Examples:

  mobench study activations

  mobench study branches --device torch --resolution 224 --protocol study

  mobench study blocks --json --plot results/plots --report results/blocks.html
"""


def study(
    name: str = typer.Argument(..., metavar="STUDY", help="activations, blocks or branches."),
    device: str = typer.Option("cpu", "--device", "-d", help="Device backend: cpu, torch, coreml, iphone."),
    resolution: int = typer.Option(64, "--resolution", help="Input size in pixels (64 quick, 224 full size)."),
    protocol_name: str = typer.Option(
        "quick", "--protocol", "-p", help="Timing protocol: quick, study, modelbench, paper."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for cpu/torch (default: physical cores)."),
    compute_units: str | None = typer.Option(None, "--compute-units", help="Core ML compute units for coreml/iphone."),
    db: DbOption = None,
    exports: Path | None = typer.Option(None, "--exports", help="Export folder (default results/exports)."),
    force: bool = typer.Option(False, "--force", help="Time again even if the same runs are stored."),
    plot: Path | None = typer.Option(None, "--plot", help="Draw the study's figure into this folder."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report of this study result."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON on stdout (table goes to stderr)."),
) -> None:
    from rich.console import Console

    from ..core import protocol
    from ..core.errors import DeviceError
    from ..devices import device_class
    from ..workflows.study_bottlenecks import check_study, run_bottleneck_study
    from .progress import RichReporter

    check_study(name)
    device_class(device)
    config = protocol(protocol_name)
    console = Console(stderr=as_json)
    if not console.is_terminal:
        console = Console(stderr=as_json, width=160)
    opts = {k: v for k, v in {"threads": threads, "compute_units": compute_units}.items() if v is not None}
    res = run_bottleneck_study(
        name,
        device,
        resolution=resolution,
        config=config,
        db=db,
        export_dir=exports,
        force=force,
        device_options=opts,
        progress=RichReporter(console),
    )
    print_study(console, res)
    if plot is not None or report is not None:
        _outputs(console, res, plot, report)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "study": res.study,
                    "device": res.device,
                    "resolution": res.resolution,
                    "protocol": res.protocol,
                    "study_id": res.study_id,
                    "rows": res.rows,
                },
                indent=1,
                default=str,
            )
        )
    if res.failed and len(res.failed) == len(res.rows):
        raise DeviceError(f"every run of the {name} study failed: {res.failed[0].get('error')}")


def print_study(console, res) -> None:
    from rich.table import Table

    from ..analysis.profiles_view import STUDY_COLUMNS

    t = Table(title=f"study {res.study} on {res.device}: {'; '.join(res.notes)} (stored as study {res.study_id})")
    cols = STUDY_COLUMNS[res.study]
    for _, head in cols:
        t.add_column(head, justify="left" if head in ("activation", "network", "form", "model") else "right")
    for r in res.rows:
        cells = []
        for key, _ in cols:
            v = r.get(key)
            cells.append(
                f"{v:.3f}"
                if isinstance(v, float)
                else ("failed" if v is None and key == "latency_ms" else str(v if v is not None else "-"))
            )
        t.add_row(*cells)
    console.print(t)
    for r in res.failed:
        console.print(f"[red]failed:[/] {r['label']}: {r.get('error')}")
    if res.study == "activations":
        console.print(
            "paper: " + _table2_citation() + ". The paper's network is not published; mobench's "
            "30-layer study CNN is documented in mobench.models.studies. Compare ratios to ReLU, "
            "not milliseconds, across devices."
        )
    console.print("Timings on a shared machine are noisy.")


def _table2_citation() -> str:
    from ..data import CITATION_TABLE2

    return CITATION_TABLE2


def _outputs(console, res, plot, report) -> None:
    import tempfile

    from ..analysis.profiles_view import (
        figure_html,
        plot_study,
        study_section,
        write_sections_report,
    )

    paths = []
    if plot is not None:
        paths = plot_study(res.study, res.rows, plot)
        console.print(f"plot: {', '.join(str(p) for p in paths)}")
    if report is not None:
        if not paths:
            with tempfile.TemporaryDirectory() as tmp:
                fig = figure_html(plot_study(res.study, res.rows, Path(tmp)), f"study {res.study}")
        else:
            fig = figure_html(paths, f"study {res.study}")
        secs = ["<h2>Studies</h2>", study_section(res.study, res.rows, "; ".join(res.notes)), fig]
        console.print(f"report: {write_sections_report(report, f'mobench study {res.study} ({res.device})', secs)}")


def register(app: typer.Typer) -> None:
    app.command("study", help=HELP)(study)
