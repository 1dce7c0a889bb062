"""`mobench models`: list the zoo with params and MACs, show one model's configuration."""

from __future__ import annotations

import dataclasses

import typer

from ..core.jsonout import dumps
from .options import InputDataOption, InputOption

models_app = typer.Typer(
    help="List the model zoo (params and MACs of the deployed, fused form at 224x224) or show one model.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")


def _count(value, digits: int) -> str:
    """A params/MACs cell: ``None`` is a model file whose file does not tell ("not counted", never 0)."""
    return "not counted" if value is None else f"{value:.{digits}f}"


def _rows(names: list[str], counts: bool, resolution: int | None) -> list[dict]:
    from ..models import model_info
    from ..models.complexity import model_complexity
    from .progress import progress_bar

    rows = []
    with progress_bar(transient=True, disable=not counts) as progress:
        task = progress.add_task("counting params and MACs (cached after the first time)", total=len(names))
        for name in names:
            info = model_info(name)
            row = {
                "name": info.name,
                "family": info.family,
                "kind": info.kind,
                "source": info.source,
                "reparameterizable": info.reparameterizable,
                "aliases": list(info.aliases),
            }
            if counts:
                c = model_complexity(name, resolution)
                row["params_m"] = c["params_m"]
                row["macs_m"] = c["macs_m"]
            rows.append(row)
            progress.advance(task)
    return rows


@models_app.callback()
def list_cmd(
    ctx: typer.Context,
    pattern: str = typer.Option(
        "*", "--pattern", "-p", help="fnmatch pattern on names, e.g. 'mobileone*' (plug-in models included)."
    ),
    preset: str | None = typer.Option(
        None,
        "--preset",
        help="Only the models of a preset: mobileone, quick, figure2, paper, or a preset file my.toml.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (a list of objects) instead of a table."),
    counts: bool = typer.Option(
        True, "--counts/--no-counts", help="Count params and MACs (slow the first time, then cached)."
    ),
    resolution: int | None = typer.Option(
        None,
        "--resolution",
        min=32,
        max=1024,
        help="Input size for the MAC count (default: the model's, 224 for the zoo).",
    ),
) -> None:
    """List every registered model: name, family, source, params (M) and MACs (M).

    Examples:

      mobench models

      mobench models --pattern 'mobileone*' --json

      mobench models show s0
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table

    from ..core.errors import UsageError
    from ..models import list_models, resolve_models

    names = resolve_models(preset=preset) if preset else list_models(pattern)
    if preset and pattern != "*":
        import fnmatch

        names = [n for n in names if fnmatch.fnmatch(n, pattern)]
    if not names:
        raise UsageError(f"no model matches {pattern!r}")
    rows = _rows(names, counts, resolution)
    if as_json:
        typer.echo(dumps(rows, indent=2))
        return
    at = f"{resolution}x{resolution}" if resolution else "its input size"
    table = Table(title=f"mobench models ({len(rows)}; params and MACs of the fused model at {at})")
    table.add_column("name", no_wrap=True)
    table.add_column("family")
    table.add_column("kind")
    table.add_column("source", overflow="fold")
    if counts:
        table.add_column("params (M)", justify="right")
        table.add_column("MACs (M)", justify="right")
    table.add_column("reparam", justify="center")
    for r in rows:
        cells = [
            r["name"] + (f" ({', '.join(r['aliases'])})" if r["aliases"] else ""),
            r["family"],
            r["kind"],
            r["source"],
        ]
        if counts:
            cells += [_count(r["params_m"], 2), _count(r["macs_m"], 0)]
        cells.append("yes" if r["reparameterizable"] else "")
        table.add_row(*cells)
    Console().print(table)


@models_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="Model name or alias, e.g. s0, mobileone_s0, timm:resnet18, m.onnx."),
    inputs: InputOption = None,
    input_data: InputDataOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    counts: bool = typer.Option(True, "--counts/--no-counts", help="Include params and MACs."),
) -> None:
    """Show one model's registry entry, its inputs and configuration; params and MACs at the chosen inputs."""
    from rich.console import Console
    from rich.pretty import Pretty
    from rich.table import Table

    from ..models import model_info, resolve_models
    from ..models.user import is_user_key
    from .options import apply_inputs

    (name,) = resolve_models([name])
    if is_user_key(name) or inputs or input_data is not None:
        (name,) = apply_inputs([name], inputs, input_data)
    info = model_info(name)
    data = {
        "name": info.name,
        "aliases": list(info.aliases),
        "family": info.family,
        "kind": info.kind,
        "source": info.source,
        "reparameterizable": info.reparameterizable,
        "paper_name": info.paper_name,
        "description": info.description,
        "input_size": info.input_size,
        "config": (
            dataclasses.asdict(info.config)
            if dataclasses.is_dataclass(info.config) and not isinstance(info.config, type)
            else info.config
        ),
    }
    if is_user_key(name):
        from ..models.chosen_inputs import declared, inputs_of

        data["inputs"] = [s.describe() for s in declared(name)]
        data["chosen_inputs"] = [s.describe() for s in inputs_of(name).specs]
        data["input_notes"] = list(inputs_of(name).notes)
    if counts:
        from ..models.complexity import model_complexity

        cx = model_complexity(info.name)
        data.update({k: v for k, v in cx.items() if k in ("params_m", "macs_m")})
        for k in ("params", "macs"):
            if cx.get(f"{k}_m") is None:
                data[f"{k}_note"] = "not counted: " + (cx.get(f"{k}_note") or "this model kind is not counted")
    if as_json:
        typer.echo(dumps(data, indent=2))
        return
    table = Table(show_header=False, title=info.name)
    table.add_column("field", style="bold")
    table.add_column("value")
    for k, v in data.items():
        table.add_row(k, Pretty(v) if isinstance(v, (dict, list)) else str(v))
    Console().print(table)
