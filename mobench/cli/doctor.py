"""``mobench doctor``: is this machine fit to time on? The host check a sweep runs, alone."""

from __future__ import annotations

import json

import typer

HELP = """Check the host before timing: CPU governor and turbo, load and the busiest other processes, thermal throttling, memory pressure (Linux and macOS).

Each check says ok, warn (with the command that fixes it where there is one) or unknown (the OS does not tell here, e.g. a container without cpufreq). Every sweep runs the same check, prints its one line before timing and stores it with the sweep; the report shows it.

Examples:

  mobench doctor

  mobench doctor --json
"""


def doctor(as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON on stdout.")) -> None:
    from rich.console import Console

    from ..core.hostcheck import OK, WARN, check_host

    check = check_host()
    if as_json:
        typer.echo(json.dumps(check.to_dict(), indent=1))
        return
    out = Console()
    colour = {OK: "green", WARN: "yellow"}
    for f in check.findings:
        c = colour.get(f.status, "dim")
        out.print(f"[{c}]{f.status:7s}[/] {f.check:10s} {f.message}" + (f"\n{'':19s}fix: {f.fix}" if f.fix else ""))
    out.print(check.line())


def register(app: typer.Typer) -> None:
    app.command("doctor", help=HELP)(doctor)
