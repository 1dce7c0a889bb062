"""Options shared by several commands: one definition, one help text each.

Use them as annotations, e.g. ``db: DbOption = None``. Names and help texts are
static so ``mobench --help`` imports no model or device code.
"""

from __future__ import annotations

from typing import Annotated

import typer

DB_HELP = (
    "Results database: an SQLite file (default $MOBENCH_DB, else results/mobench.sqlite) or a database URL "
    "(postgresql://user@host/db) that several hosts share."
)
PRESET_HELP = (
    "A model set: quick, mobileone, figure2, paper, a plug-in preset, or a preset file my.toml (models = [...])."
)
PROTOCOL_HELP = (
    "Timing protocol: modelbench (20 x 50, reload per round, trim 10), paper (1 x 1000, min), "
    "quick (3 x 10), study (rounds of 20 within a time budget)."
)

DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
ModelsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        "-m",
        help="Model (repeatable): a name or alias (mobileone_s0, s0, timm:resnet18), a factory "
        "(net.py:build, pkg.mod:build) or a model file (m.onnx, m.mlpackage, m.pte).",
    ),
]
PresetOption = Annotated[str | None, typer.Option("--preset", help=PRESET_HELP)]
ProtocolOption = Annotated[str, typer.Option("--protocol", "-p", help=PROTOCOL_HELP)]
RoundsOption = Annotated[
    int | None, typer.Option("--rounds", help="Override the protocol's rounds (the run is then named PROTOCOL+custom).")
]
InferencesOption = Annotated[
    int | None,
    typer.Option(
        "--inferences",
        help="Override the timed inferences per round (the protocol's trim is scaled down to fit "
        "unless --trim is given).",
    ),
]
WarmupOption = Annotated[
    int | None, typer.Option("--warmup", help="Override the discarded warm-up inferences per round.")
]
TrimOption = Annotated[
    int | None,
    typer.Option("--trim", help="Override how many lowest and highest samples per round the trimmed mean drops."),
]
StatOption = Annotated[
    str,
    typer.Option(
        "--stat", help="Per-run statistic used as a measured device's latency: median, min, mean, trimmed_mean, p90."
    ),
]
