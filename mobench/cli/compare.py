"""``mobench compare``: A vs B in counterbalanced ABBA rounds, with a ratio, its CI and a verdict."""

from __future__ import annotations

import json

import typer

from .options import (
    DEVICE_HELP,
    DbOption,
    DeviceOptions,
    DeviceOptionsDep,
    InputDataOption,
    InputOption,
    MaxTimeOption,
    MinTimeOption,
    TargetCiOption,
)

HELP = """Is A faster than B? Times both in counterbalanced ABBA rounds and reports the ratio A/B with a 95% CI.

A side is MODEL\\[:VARIANT...]\\[@DEVICE]: a model name (`mobench models`), optional variants unfused (the train-time graph) and an export recipe (fp32, fp16, int8 ...), and optional @DEVICE (default --device, else cpu). Both sides are loaded, then timed in short rounds, pairs A B then B A, so a slow period of a busy machine hits both alike and neither side always goes first; the figure is exp(median) of the pairs' log ratios (an AB and a BA pair averaged) with its sign-test CI. Timing stops once the CI is within +-2% (--target-ci), after 2 s and before 20 s per side. Verdict: faster or slower (the whole CI beyond 3%), no detectable difference (CI within +-5%) or too busy to tell (wider: run again on a quieter machine). The result, both runs and the round order are stored in one transaction; bad input stores nothing.

Examples:

  mobench compare mobileone_s0 mobileone_s0:unfused

  mobench compare s0 s0                                   (the noise floor: S0 loaded twice, against itself)

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
    rounds: int | None = typer.Option(None, "--rounds", help="Most round pairs (default 4000; at least 12)."),
    inferences: int | None = typer.Option(None, "--inferences", help="Timed inferences per round (default 5)."),
    target_ci: TargetCiOption = None,
    min_time: MinTimeOption = None,
    max_time: MaxTimeOption = None,
    db: DbOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print ratio, CI and verdict as JSON on stdout."),
) -> None:
    from rich.console import Console

    from ..workflows.compare import COMPARE_CONFIG, run_compare, side_device
    from .progress import RichReporter

    overrides = {
        k: v
        for k, v in dict(
            rounds=rounds, inferences=inferences, target_ci_pct=target_ci, min_time_s=min_time, time_budget_s=max_time
        ).items()
        if v is not None
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
        f"({res.pairs} ABBA round pairs)"
    )
    colour = {"faster": "green", "slower": "red"}.get(res.verdict, "yellow")
    out.print(f"[bold {colour}]{res.verdict}[/]: {res.sentence()}")
    if res.precision_note():
        out.print(f"[yellow]note:[/] {res.precision_note()}")
    out.print(f"stored as compare {res.compare_id} (runs {res.run_ids[0]} and {res.run_ids[1]})")


def register(app: typer.Typer) -> None:
    app.command("compare", help=HELP)(compare)
