"""Options shared by several commands: one definition, one help text each.

Use them as annotations, e.g. ``db: DbOption = None``. Names and help texts are
static so ``mobench --help`` imports no model or device code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer_injector import Depends

DB_HELP = (
    "Results database: an SQLite file (default $MOBENCH_DB, else results/mobench.sqlite) or a database URL "
    "(postgresql://user@host/db) that several hosts share."
)
PRESET_HELP = (
    "A model set: quick, mobileone, figure2, paper, a plug-in preset, or a preset file my.toml (models = [...])."
)
HEADLINE_NAMES = {"trimmed_mean": "trimmed mean", "robust": "robust (lower quartile of the round medians)"}


def describe_protocol(config: Any) -> str:
    """``20 x 50, reload each round, trim 10, headline trimmed mean``: a protocol in words, from its config."""
    parts = [f"{config.rounds} x {config.inferences}"]
    if config.reload_per_round:
        parts.append("reload each round")
    if config.trim:
        parts.append(f"trim {config.trim}")
    if config.time_budget_s is not None:
        parts.append(f"stop after {config.time_budget_s:g} s of timing once {config.min_inferences} samples are in")
    parts.append(f"headline {HEADLINE_NAMES.get(config.headline, config.headline)}")
    return ", ".join(parts)


def _protocols_help() -> str:
    from ..core.configs import PROTOCOLS

    parts = []
    for name in PROTOCOLS.names():
        try:
            parts.append(f"{name} ({describe_protocol(PROTOCOLS.get(name))})")
        except Exception:  # a plug-in protocol that cannot load is still listed by name
            parts.append(name)
    return "Timing protocol: " + "; ".join(parts) + "."


PROTOCOL_HELP = _protocols_help()

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


def _stats_help() -> str:
    from ..core.configs import STATISTICS

    return f"Per-run statistic used as a measured device's latency: {', '.join(STATISTICS)}."


StatOption = Annotated[str, typer.Option("--stat", help=_stats_help())]


# -- the device flags every timing command shares (bench, compare, profile, run, study) -------------
def _device_names() -> str:
    from ..devices import DEVICES  # names only: no device module is imported

    return ", ".join(DEVICES.names())


DEVICE_HELP = f"Device backend (see `mobench devices`): {_device_names()}."


def _reference_names() -> str:
    from ..analysis.reference import REFERENCE_DEVICES  # a table of the paper's columns: light

    return ", ".join(REFERENCE_DEVICES)


REFERENCE_NAMES = _reference_names()
#: ``--device`` of the analysis commands: stored backends, target labels or the paper's columns.
ANALYSIS_DEVICE_HELP = (
    f"Device (repeatable): a backend in the store ({_device_names()}: every target of it), one "
    f"target label (e.g. cpu/ort-1.23/2t, iphone13,2/ane), or {REFERENCE_NAMES}."
)
DEVICE_OPTION_HELP = (
    "A device option KEY=VALUE (repeatable), as the device declares it, e.g. threads=1, "
    "graph_optimization=basic, compute_units=ane; `mobench devices` lists each device's options."
)
THREADS_HELP = "CPU threads: short for --device-option threads=N (default: physical cores; recorded)."

DeviceNameOption = Annotated[str, typer.Option("--device", "-d", help=DEVICE_HELP)]


@dataclass(frozen=True)
class DeviceOptions:
    """What the shared device flags say: ``--device-option KEY=VALUE`` items (``--threads N`` is
    ``threads=N``), parsed per device by that device's own declaration (``Device.OPTIONS``)."""

    items: tuple[str, ...] = ()

    def for_device(self, name: str) -> dict[str, Any]:
        """The options of device ``name``; an option it does not declare is a UsageError."""
        if not self.items:
            return {}
        from ..devices import parse_device_options

        return parse_device_options(name, list(self.items))

    def for_devices(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Each device's options; an option none of ``names`` declares is a UsageError."""
        if not self.items:
            return {n: {} for n in names}
        from ..devices import device_options

        return device_options(names, list(self.items))


def device_options_dependency(
    device_option: Annotated[
        list[str] | None, typer.Option("--device-option", "-O", metavar="KEY=VALUE", help=DEVICE_OPTION_HELP)
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads", help=THREADS_HELP)] = None,
) -> DeviceOptions:
    items = list(device_option or [])
    if threads is not None:
        items.append(f"threads={threads}")
    return DeviceOptions(tuple(items))


#: ``device_options: DeviceOptionsDep`` adds ``--device-option/-O`` and ``--threads`` to a command
#: (typer-injector, as pymobiledevice3's ``ServiceProviderDep``) and hands it a :class:`DeviceOptions`.
DeviceOptionsDep = Annotated[DeviceOptions, Depends(device_options_dependency)]


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


TargetCiOption = Annotated[
    float | None,
    typer.Option(
        "--target-ci",
        metavar="PCT",
        help="Stop timing a model once the 95% CI of its headline is within +-PCT per cent (between "
        "--min-time and --max-time; default 2 for the study protocol and compare, none for the others).",
    ),
]
MinTimeOption = Annotated[
    float | None,
    typer.Option("--min-time", metavar="S", help="Least seconds of timing per model before --target-ci may stop it."),
]
MaxTimeOption = Annotated[
    float | None,
    typer.Option(
        "--max-time",
        metavar="S",
        help="Most seconds of timing per model (the protocol's time budget); a run that reaches it short of "
        "--target-ci says so.",
    ),
]
