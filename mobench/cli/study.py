"""``mobench study``: one of the paper's latency studies (the plugins of :mod:`mobench.studies`) on any device."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .options import PROTOCOL_HELP, DbOption, DeviceNameOption, DeviceOptions, DeviceOptionsDep

HELP_HEAD = "Run one of the paper's latency studies on generated networks, store it, and print its table."
HELP_TAIL = """A study names its networks (the probe family in `mobench models`); they are exported and timed like any model, so every device works; runs already stored are reused unless --force.

Examples:

  mobench study activations

  mobench study branches --device torch --resolution 224 --protocol study

  mobench study blocks --json --plot results/plots --report results/blocks.html
"""


def study_help() -> str:
    """The command's help: the studies come from the registry (:mod:`mobench.studies`)."""
    from ..studies import study_listing

    studies = "\n\n".join(
        f"  {s.name}: {s.title}" + (f" (paper: {s.citation})" if s.citation else "") for s in study_listing()
    )
    return f"{HELP_HEAD}\n\nStudies:\n\n{studies}\n\n{HELP_TAIL}"


def _names_help() -> str:
    from ..studies import STUDIES

    return f"The study: {', '.join(STUDIES.names())}."


def study(
    name: str = typer.Argument(..., metavar="STUDY", help=_names_help()),
    device: DeviceNameOption = "cpu",
    device_options: DeviceOptionsDep = DeviceOptions(),
    resolution: int = typer.Option(64, "--resolution", help="Input size in pixels (64 quick, 224 full size)."),
    protocol_name: str = typer.Option("quick", "--protocol", "-p", help=PROTOCOL_HELP),
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
    from ..studies import get_study
    from ..workflows.study_bottlenecks import run_bottleneck_study
    from .progress import RichReporter

    get_study(name)  # an unknown or broken study fails before anything runs
    device_class(device)
    config = protocol(protocol_name)
    console = Console(stderr=as_json)
    if not console.is_terminal:
        console = Console(stderr=as_json, width=160)
    opts = device_options.for_device(device)
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
    """The study's table, its failures, its citation and note."""
    from rich.table import Table

    from ..studies import get_study

    study = get_study(res.study)
    t = Table(title=f"study {res.study} on {res.device}: {'; '.join(res.notes)} (stored as study {res.study_id})")
    for c in study.columns:
        t.add_column(c.head, justify="left" if c.text else "right")
    for r in res.rows:
        t.add_row(*study.cells(r))
    console.print(t)
    for r in res.failed:
        console.print(f"[red]failed:[/] {r['label']}: {r.get('error')}")
    console.print(f"paper: {study.citation}")
    if study.note:
        console.print(study.note)
    console.print("Timings on a shared machine are noisy.")


def _outputs(console, res, plot, report) -> None:
    import tempfile

    from ..analysis.profiles_view import figure_html, write_sections_report
    from ..studies import get_study

    study = get_study(res.study)
    paths = []
    if plot is not None:
        paths = study.plot(res.rows, plot)
        console.print(f"plot: {', '.join(str(p) for p in paths)}")
    if report is not None:
        if not paths:
            with tempfile.TemporaryDirectory() as tmp:
                fig = figure_html(study.plot(res.rows, Path(tmp)), f"study {res.study}")
        else:
            fig = figure_html(paths, f"study {res.study}")
        secs = ["<h2>Studies</h2>", study.section(res.rows, "; ".join(res.notes)), fig]
        console.print(f"report: {write_sections_report(report, f'mobench study {res.study} ({res.device})', secs)}")


def register(app: typer.Typer) -> None:
    app.command("study", help=study_help(), short_help=HELP_HEAD)(study)
