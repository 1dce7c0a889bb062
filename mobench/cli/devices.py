"""``mobench devices``: every backend, whether it is usable here, and why not."""

from __future__ import annotations

import typer

from ..core.jsonout import dumps

HELP = """List the device backends, whether each is usable on this machine, and why not.

Examples:

  mobench devices

  mobench devices --json
"""


def devices(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from ..devices import list_devices

    statuses = list_devices()
    if as_json:
        typer.echo(dumps([asdict(s) for s in statuses], indent=1))
        return
    table = Table(title="mobench devices")
    for col in ("device", "usable here", "description", "options (--device-option KEY=VALUE)", "why not"):
        table.add_column(col)
    for s in statuses:
        table.add_row(s.name, "[green]yes[/]" if s.available else "[red]no[/]", s.description, s.options, s.reason)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("devices", help=HELP)(devices)
