"""``mobench compare``: A vs B in interleaved ABAB rounds, with a ratio, its CI and a verdict."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .options import DEVICE_HELP, DeviceOptions, DeviceOptionsDep, InputDataOption, InputOption

HELP = """Is A faster than B? Times both in interleaved ABAB rounds and reports the ratio A/B with a bootstrap CI.

A side is MODEL\\[:VARIANT...]\\[@DEVICE]: a model name (`mobench models`), optional variants unfused (the train-time graph) and an export recipe (fp32, fp16, int8 ...), and optional @DEVICE (default --device, else cpu). Both sides are loaded, then round i of A and round i of B run back to back, so a slow period of a busy machine hits both alike; the figure is the ratio of their robust latencies (lower quartile of the round medians) with a paired bootstrap CI. Verdict: faster (CI below 1), slower (CI above 1) or no detectable difference. The result, both runs and the round order are stored in one transaction; bad input stores nothing.

Examples:

  mobench compare mobileone_s0 mobileone_s0:unfused

  mobench compare s0 s0 --device cpu                      (refused: the same measurement)

  mobench compare s0@cpu s0@torch --json                  (runtimes: ONNX Runtime vs eager torch)

  mobench compare s1:fp16@coreml s1@coreml                (recipes, on a Mac)

  mobench compare old.onnx new.onnx --input x=1x3x640x640   (a regression check for your CI)
"""


def compare(
    a: str = typer.Argument(..., help="Side A: MODEL\\[:unfused]\\[:fp16]\\[@DEVICE], e.g. mobileone_s0."),
    b: str = typer.Argument(..., help="Side B, e.g. mobileone_s0:unfused."),
    device: str | None = typer.Option(
        None, "--device", "-d", help="Device of a side without @DEVICE (default cpu). " + DEVICE_HELP
    ),
    device_options: DeviceOptionsDep = DeviceOptions(),
    inputs: InputOption = None,
    input_data: InputDataOption = None,
    rounds: int | None = typer.Option(None, "--rounds", help="Most round pairs (default 60)."),
    inferences: int | None = typer.Option(None, "--inferences", help="Timed inferences per round (default 10)."),
    time_budget: float | None = typer.Option(
        None, "--time-budget", help="Stop once a side has had this many seconds of timing (default 5)."
    ),
    db: Path | None = typer.Option(None, "--db", help="Results database (default results/mobench.sqlite)."),
    as_json: bool = typer.Option(False, "--json", help="Print ratio, CI and verdict as JSON on stdout."),
) -> None:
    from rich.console import Console

    from ..workflows.compare import COMPARE_CONFIG, run_compare, side_device
    from .progress import RichReporter

    overrides = {
        k: v for k, v in dict(rounds=rounds, inferences=inferences, time_budget_s=time_budget).items() if v is not None
    }
    config = COMPARE_CONFIG.with_(**overrides)
    console = Console(stderr=True)
    from ..core.inputs import InputChoice

    choice = InputChoice.parse(inputs, input_data)
    opts = device_options.for_devices([side_device(s, device or "cpu") for s in (a, b)])
    res = run_compare(
        a, b, device=device, config=config, db=db, device_options=opts, progress=RichReporter(console), inputs=choice
    )
    from .options import say_input_notes

    say_input_notes([res.a.model, res.b.model], console)
    if as_json:
        typer.echo(json.dumps(res.to_dict(), indent=1))
        return
    out = Console()
    out.print(
        f"A = {res.a.label}: robust {res.a_ms:.3f} ms; B = {res.b.label}: robust {res.b_ms:.3f} ms "
        f"({res.pairs} ABAB round pairs)"
    )
    colour = {"faster": "green", "slower": "red"}.get(res.verdict, "yellow")
    out.print(f"[bold {colour}]{res.verdict}[/]: {res.sentence()}")
    out.print(f"stored as compare {res.compare_id} (runs {res.run_ids[0]} and {res.run_ids[1]})")


def register(app: typer.Typer) -> None:
    app.command("compare", help=HELP)(compare)
