"""``mobench results``: list, show, export and delete stored runs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..core.jsonout import dumps
from .options import DbOption

HELP = """List, show, export, merge, upgrade and delete stored runs (default store $MOBENCH_DB or results/mobench.sqlite; --db to choose a file or a postgresql:// URL).

Examples:

  mobench results list --model mobileone_s0

  mobench results show 3

  mobench results export --format csv --out runs.csv

  mobench results export --format parquet --samples --out samples.parquet

  mobench results delete 3 --yes

  mobench results upgrade --db old.sqlite
"""

results_app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode="rich")


def _console():
    from rich.console import Console

    c = Console()
    return c if c.is_terminal else Console(width=160)


@results_app.command(
    "list", help="One line per stored run, newest first.\n\nExample: mobench results list --device cpu --status failed"
)
def list_cmd(
    db: DbOption = None,
    model: str | None = typer.Option(None, "--model", "-m", help="Only this model."),
    device: str | None = typer.Option(
        None, "--device", "-d", help="Only this backend (every target of it) or this target label."
    ),
    status: str | None = typer.Option(None, "--status", help="Only ok or failed runs."),
    protocol: str | None = typer.Option(None, "--protocol", "-p", help="Only this protocol."),
    limit: int = typer.Option(50, "--limit", help="At most this many runs (0 = all)."),
) -> None:
    from ..core.errors import UsageError
    from ..results import load, locate
    from .tables import runs_table

    if status not in (None, "ok", "failed"):
        raise UsageError(f"--status is ok or failed, not {status!r}")
    df = load(db)
    for col, val in (("model", model), ("status", status), ("protocol", protocol)):
        if val is not None:
            df = df[df[col] == val]
    if device is not None:  # a backend (all its targets) or one target label
        df = df[(df["device"] == device) | (df["target"] == device)]
    df = df.sort_values("run_id", ascending=False)
    if limit:
        df = df.head(limit)
    rows = [{k: (None if _isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")]
    if not rows:
        typer.echo("no runs stored" + (" that match" if any((model, device, status, protocol)) else ""))
        return
    _console().print(runs_table(rows, title=f"runs in {locate(db)}", show_device=True))


def _isna(v) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(v)) if not isinstance(v, (list, dict, str)) else False
    except (TypeError, ValueError):
        return False


@results_app.command(
    "show",
    help="Everything stored about one run: statistics, memory, device, provenance.\n\nExample: mobench results show 3 --json",
)
def show_cmd(
    run: int = typer.Argument(..., help="Run id (see `mobench results list`)."),
    db: DbOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the whole record (raw samples included) as JSON."),
) -> None:
    from rich.table import Table

    from ..results import Store

    with Store(db, readonly=True) as store:
        rec = store.get_run(run)
        stats = store.get_stats(run)
    if as_json:
        d = rec.to_dict()
        d["stats"] = stats
        typer.echo(dumps(d, indent=1))
        return
    t = Table(title=f"run {run}: {rec.model} on {rec.device} ({rec.protocol})", show_header=False)
    t.add_column("field", style="bold")
    t.add_column("value")
    t.add_row("status", rec.status + (f": {rec.error}" if rec.error else ""))
    t.add_row("created", str(rec.created))
    t.add_row(
        "artifact",
        f"{rec.artifact_format} {rec.recipe or ''} reparameterized={rec.reparameterized} sha256={rec.artifact_sha256 or '-'}",
    )
    t.add_row("config", json.dumps(rec.config))
    if stats:
        head = stats.get("headline")
        t.add_row("headline", f"{head} = {stats.get('headline_ms'):.4f} ms")
        for k in (k for k in stats if k not in ("run_id", "headline", "headline_ms")):  # every stored statistic
            v = stats.get(k)
            t.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    t.add_row("load_ms", ", ".join(f"{v:.1f}" for v in rec.load_ms) or "-")
    t.add_row("first_inference_ms", ", ".join(f"{v:.3f}" for v in rec.first_inference_ms) or "-")
    t.add_row("memory", json.dumps(rec.memory))
    t.add_row("device", json.dumps(rec.device_info))
    prov = dict(rec.provenance)
    t.add_row("provenance", json.dumps(prov))
    _console().print(t)


@results_app.command(
    "export",
    help="Write the runs (or every raw sample) as a tidy table.\n\nExample: mobench results export --format csv --out runs.csv",
)
def export_cmd(
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, parquet or json."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output file (default: stdout for csv/json; required for parquet)."
    ),
    samples: bool = typer.Option(
        False, "--samples", help="Export the raw samples (one row per inference) instead of one row per run."
    ),
    db: DbOption = None,
) -> None:
    from ..core.errors import UsageError
    from ..results import export, load, load_samples
    from ..results.frames import render

    if out is None:
        if fmt == "parquet":
            raise UsageError("parquet is binary: pass --out FILE.parquet")
        df = load_samples(db) if samples else load(db)
        typer.echo(render(df, fmt).decode("utf-8"), nl=False)
        return
    path = export(db, out, fmt, samples=samples)
    typer.echo(f"wrote {path}", err=True)


@results_app.command(
    "delete", help="Delete one run with its samples and statistics.\n\nExample: mobench results delete 3 --yes"
)
def delete_cmd(
    run: int = typer.Argument(..., help="Run id (see `mobench results list`)."),
    db: DbOption = None,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    from ..core.errors import UsageError
    from ..results import Store

    with Store(db, readonly=True) as store:  # a missing database is an error, not created empty
        rec = store.get_run(run)
    if not yes:
        import sys

        if not sys.stdin.isatty():
            raise UsageError("refusing to delete without confirmation; pass --yes")
        typer.confirm(f"delete run {run} ({rec.model} on {rec.device}, {rec.n_samples} samples)?", abort=True)
    with Store(db) as store:
        store.delete_run(run)
    typer.echo(f"deleted run {run}")


@results_app.command(
    "merge",
    help=(
        "Bring the runs of other results databases (other hosts, other phones) into this one, in one "
        "transaction. A run already present (same run uuid) is stored once; merged runs keep their "
        "provenance and target. A corrupt, foreign or newer-schema file is refused and nothing is written."
        "\n\nExample: mobench results merge lab-host.sqlite phone-mac.sqlite --db results/mobench.sqlite"
    ),
)
def merge_cmd(
    others: list[str] = typer.Argument(..., help="Results databases to merge in (files or database URLs)."),
    db: DbOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print what was merged as JSON."),
) -> None:
    from ..results import locate, merge_stores

    results = merge_stores(db, list(others))
    if as_json:
        typer.echo(dumps([r.to_dict() for r in results], indent=1))
        return
    for r in results:
        typer.echo(f"{r.source}: {len(r.added)} run(s) added, {r.duplicates} already present (into {locate(db)})")


@results_app.command(
    "upgrade",
    help=(
        "Bring a store written by an older mobench to this version's schema, in one transaction "
        "(an SQLite file is first copied to FILE.bak-OLDVERSION). Every command does this on "
        "opening an older store; this does it explicitly, e.g. for a shared server database."
        "\n\nExample: mobench results upgrade --db postgresql://lab@dbhost/mobench"
    ),
)
def upgrade_cmd(db: DbOption = None) -> None:
    from ..results import upgrade

    typer.echo(str(upgrade(db)))


def register(app: typer.Typer) -> None:
    app.add_typer(results_app, name="results", help=HELP, short_help="List, show, export and delete stored runs.")
