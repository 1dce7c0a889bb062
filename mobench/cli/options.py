"""Options shared by several commands: one definition, one help text each.

Use them as annotations, e.g. ``db: DbOption = None``. Names and help texts are
static so ``mobench --help`` imports no model or device code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DB_HELP = "Results database (default results/mobench.sqlite)."
PRESET_HELP = (
    "A model set: quick, mobileone, figure2, paper, a plug-in preset, or a preset file my.toml (models = [...])."
)
PROTOCOL_HELP = (
    "Timing protocol: modelbench (20 x 50, reload per round, trim 10), paper (1 x 1000, min), "
    "quick (3 x 10), study (rounds of 20 within a time budget)."
)

DbOption = Annotated[Path | None, typer.Option("--db", help=DB_HELP)]
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

# --input / --input-data: one pair for every command that times, counts, plans or exports a model
INPUT_HELP = (
    "Fix a model input's dims (repeatable): NAME=DIMS, e.g. x=1x3x640x640 (sr=scalar for rank 0). "
    "Needed for every free dim but a leading batch (set to 1). Model files and factories."
)
INPUT_DATA_HELP = (
    "A .npz file of named arrays fed exactly as given (every model input, its dtype; shapes checked). "
    "Its sha256 is stored with the run."
)
InputOption = Annotated[list[str] | None, typer.Option("--input", "-i", help=INPUT_HELP, metavar="NAME=DIMS")]
InputDataOption = Annotated[Path | None, typer.Option("--input-data", help=INPUT_DATA_HELP, metavar="FILE.npz")]


def apply_inputs(names: list[str], inputs: list[str] | None, input_data: Path | None) -> list[str]:
    """The measured names of ``names`` with the chosen inputs (one-line UsageError for bad input)."""
    from ..core.inputs import InputChoice
    from ..models.chosen_inputs import choose_all

    return choose_all(names, InputChoice.parse(inputs, input_data))[0]


def say_input_notes(names: list[str], console=None) -> None:
    """Print what a rule fixed in the inputs of ``names`` (a free batch set to 1), after the command's output."""
    from ..models.chosen_inputs import input_notes

    for note in input_notes(names):
        if console is not None:
            console.print(f"note: {note}", markup=False, highlight=False)
        else:
            typer.echo(f"note: {note}", err=True)
