"""``mobench bench``: time models on a device with a named protocol and store the runs."""

from __future__ import annotations

import typer

from ..core.jsonout import dumps
from ..exporters.config import recipes_help
from .options import (
    PROTOCOL_HELP,
    DbOption,
    DeviceNameOption,
    DeviceOptions,
    DeviceOptionsDep,
    InferencesOption,
    InputDataOption,
    InputOption,
    MaxTimeOption,
    MinTimeOption,
    ModelsOption,
    PresetOption,
    ProtocolOption,
    RoundsOption,
    TargetCiOption,
    TrimOption,
    WarmupOption,
)

HELP = f"""Time models on a device, print a table, and store every run (raw samples + provenance).

--preset names a MODEL SET (quick, mobileone, figure2, paper); --protocol names a TIMING PROTOCOL. {PROTOCOL_HELP}

Several models are loaded together and their rounds interleaved in a seeded, shuffled order (--schedule interleaved, the default), so a slow period of a busy machine spreads over all of them (the cpu device then turns ONNX Runtime's thread spinning off, since one model's spinning threads slow the next: its label says spin-off); --schedule contiguous times one model after another. The round order is stored with the runs.

What the device needs is exported first (an export whose manifest matches is reused); a run already stored for the same model, artifact and config is skipped unless --force. A model that fails to export or run is stored as failed and the sweep goes on.

Examples:

  mobench bench --model mobileone_s0 --device cpu --protocol quick

  mobench bench --preset mobileone --protocol modelbench --threads 1 --db results/s.sqlite

  mobench bench -m s0 -m mobilenet_v3_small --device torch --unfused --json

  mobench bench -m s0 --protocol paper --inferences 200     (stored as protocol paper+custom)

  mobench bench -m s0 -O threads=1 -O graph_optimization=basic   (one more cpu target)

  mobench bench -m s0 --device executorch --device-option threads=1   (ExecuTorch XNNPACK on one thread)

  mobench bench -m mynet.py:build -m model.onnx --protocol quick     (your own factory and model file)

  mobench bench -m s0 --device executorch --recipe int8      (ExecuTorch XNNPACK, PT2E int8)

  mobench bench -m s0 --device cpu --recipe int8             (ONNX Runtime, static QDQ int8)

  mobench bench -m det.onnx --input x=1x3x640x640              (a detector with free height and width)

  mobench bench -m vad.onnx --input-data vad_inputs.npz        (several inputs, values from a file)
"""


def bench(
    model: ModelsOption = None,
    preset: PresetOption = None,
    inputs: InputOption = None,
    input_data: InputDataOption = None,
    device: DeviceNameOption = "cpu",
    device_options: DeviceOptionsDep = DeviceOptions(),
    protocol_name: ProtocolOption = "modelbench",
    unfused: bool = typer.Option(False, "--unfused", help="Time the train-time (not reparameterized) graph."),
    recipe: str | None = typer.Option(
        None,
        "--recipe",
        "-r",
        help=f"Export recipe of the device's format: {recipes_help()}.",
    ),
    db: DbOption = None,
    force: bool = typer.Option(False, "--force", help="Time again even if the same run is stored."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the runs as JSON on stdout (table and progress go to stderr)."
    ),
    rounds: RoundsOption = None,
    inferences: InferencesOption = None,
    warmup: WarmupOption = None,
    trim: TrimOption = None,
    time_budget: float | None = typer.Option(
        None, "--time-budget", help="Stop after this many seconds of timing (once --min-inferences are in)."
    ),
    min_inferences: int | None = typer.Option(
        None, "--min-inferences", help="Samples to collect before a time budget may stop the run."
    ),
    target_ci: TargetCiOption = None,
    min_time: MinTimeOption = None,
    max_time: MaxTimeOption = None,
    schedule: str = typer.Option(
        "interleaved",
        "--schedule",
        help="interleaved (default: all models loaded, rounds in a seeded shuffled order) or contiguous (one model after another).",
    ),
    memory_budget: float | None = typer.Option(
        None,
        "--memory-budget",
        help="MB the models of an interleaved sweep may take loaded together (default: half the available memory); beyond it they are timed in groups.",
    ),
) -> None:
    from rich.console import Console

    from ..core.configs import customize, protocol
    from ..core.errors import DeviceError, UsageError
    from ..models import resolve_models
    from ..results import Store, locate
    from ..workflows import run_sweep
    from ..workflows.schedule import check_schedule
    from .progress import RichReporter
    from .tables import record_row, runs_table

    check_schedule(schedule)
    if memory_budget is not None and memory_budget <= 0:
        raise UsageError("--memory-budget must be > 0 (MB)")
    config = customize(
        protocol(protocol_name),
        rounds=rounds,
        inferences=inferences,
        warmup=warmup,
        trim=trim,
        time_budget_s=max_time if max_time is not None else time_budget,
        min_inferences=min_inferences,
        target_ci_pct=target_ci,
        min_time_s=min_time,
    )
    from .options import apply_inputs

    names = apply_inputs(resolve_models(model, preset), inputs, input_data)
    options = device_options.for_device(device)
    export_config = None
    chosen = check_device_recipe(device, recipe)
    if unfused or chosen:  # a device without artifacts takes the fused form from it (DeviceOption.from_export)
        from ..exporters import ExportConfig

        export_config = ExportConfig(recipe=chosen, input_kind=config.input_kind, reparameterize=not unfused)
    console = Console(stderr=as_json)
    if not console.is_terminal:  # logs and pipes get the whole table, not ellipses
        console = Console(stderr=as_json, width=160)
    records = run_sweep(
        names,
        device,
        config,
        db=db,
        export_config=export_config,
        force=force,
        device_options=options,
        progress=RichReporter(console),
        schedule=schedule,
        memory_budget_mb=memory_budget,
    )
    bad = [r for r in records if r.failed_at == "artifact"]  # bad input: not stored
    if bad and len(bad) == len(records):
        raise DeviceError((bad[0].error or "").split(": ", 1)[-1])
    with Store(db, readonly=True) as store:  # the statistics add_run computed and stored with each run
        rows = [record_row(rec, store.get_stats(rec.run_id) if rec.run_id else None) for rec in records]
    where = ", ".join(dict.fromkeys(str(r.target["label"]) for r in records if r.target.get("label"))) or device
    title = f"{where} - protocol {config.name} - {len(records)} run(s) stored in {locate(db)}"
    console.print(runs_table(rows, title=title))
    from .tables import disagree_note

    note = disagree_note(rows)
    if note:
        console.print(note)
    busy = _busy(records)
    if busy:
        console.print(
            f"[yellow]note:[/] the 1-minute load average reached {busy[0]:.1f} on {busy[1]} cores while "
            "timing: other processes shared the CPU, so expect noisy figures (compare mins and CIs)."
        )
    from .options import say_input_notes

    say_input_notes(names, console)
    if as_json:
        typer.echo(dumps(rows, indent=1))
    if bad:
        raise DeviceError(
            f"{len(bad)} artifact(s) missing or corrupt, nothing stored for them: "
            + (bad[0].error or "").split(": ", 1)[-1]
        )
    failed = [r for r in records if r.status != "ok"]
    if failed and len(failed) == len(records):
        raise typer.Exit(1)


def check_device_recipe(device: str, recipe: str | None) -> str | None:
    """The recipe for ``device`` (``--recipe``), checked against the device's format.

    A one-line :class:`UsageError` lists the valid recipes when the name is unknown or
    the device's format lacks it; the eager ``torch`` device runs fp32 only.
    """
    from ..core.errors import UsageError
    from ..devices import DEVICES, device_class
    from ..exporters import ExportConfig, check_recipe

    chosen = recipe
    if chosen is None:
        return None
    ExportConfig(recipe=chosen).validate()  # unknown recipe: lists every recipe
    DEVICES.check(device)
    fmt = device_class(device).artifact_format
    if fmt is None:
        if chosen != "fp32":
            raise UsageError(f"the {device} device runs eager PyTorch fp32 only; valid recipes: fp32")
        return chosen
    return check_recipe(fmt, chosen)


def _busy(records) -> tuple[float, int] | None:
    """(max load average, cores) if the machine was busier than its core count during timing."""
    import os

    loads = [
        float(r["loadavg_1m"])
        for rec in records
        if not rec.reused
        for r in rec.rounds_info
        if isinstance(r, dict) and r.get("loadavg_1m") is not None
    ]
    cores = os.cpu_count() or 1
    return (max(loads), cores) if loads and max(loads) > cores else None


def register(app: typer.Typer) -> None:
    app.command("bench", help=HELP)(bench)
