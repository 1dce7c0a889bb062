"""``mobench profile``: where the time of one inference goes, op by op."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .options import DbOption, DeviceNameOption, DeviceOptions, DeviceOptionsDep, InputDataOption, InputOption

HELP = """Time a model, profile it op by op, store the profile with its run, and show the top ops and op-type shares.

Each device profiles with its own profiler (`mobench devices` lists them): ONNX Runtime's profiler (kernel time per node, averaged over --runs inferences), torch.profiler (CPU time per leaf module), ExecuTorch's event tracer (ETDump, time per XNNPACK operator inside the delegate), or Core ML's compute plan (estimated cost per op x the measured median; a Mac, or a phone's stored runs). The profiling overhead is stated as the profiled total against the median of an ordinary run timed just before (stored too).

Examples:

  mobench profile --model s0 --device cpu

  mobench profile --model s0 --device cpu --unfused --plot results/plots

  mobench profile --model s0 --device torch --json
"""


def profile(
    model: str = typer.Option(..., "--model", "-m", help="Model name, e.g. mobileone_s0, s0, probe_act_relu."),
    device: DeviceNameOption = "cpu",
    device_options: DeviceOptionsDep = DeviceOptions(),
    inputs: InputOption = None,
    input_data: InputDataOption = None,
    unfused: bool = typer.Option(False, "--unfused", help="Profile the train-time (not reparameterized) graph."),
    runs: int | None = typer.Option(None, "--runs", help="Profiled inferences (default: the device's profiler's)."),
    protocol_name: str = typer.Option("quick", "--protocol", "-p", help="Protocol of the unprofiled reference run."),
    resolution: int | None = typer.Option(None, "--resolution", help="Input resolution (default 224)."),
    exports: Path | None = typer.Option(None, "--exports", help="Export folder (default results/exports)."),
    top: int = typer.Option(12, "--top", help="How many of the slowest ops to list."),
    db: DbOption = None,
    plot: Path | None = typer.Option(
        None, "--plot", help="Also draw the op-type shares of every stored profile on this device into this folder."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Also write an HTML report of the stored profiles on this device."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the profile as JSON on stdout (tables go to stderr)."),
) -> None:
    from rich.console import Console

    from ..core.errors import UsageError
    from ..exporters import ExportConfig
    from ..models import resolve_models
    from ..workflows.profile import check_profile_device, run_profile
    from .options import apply_inputs
    from .progress import RichReporter

    check_profile_device(device)
    (model,) = apply_inputs(resolve_models([model]), inputs, input_data)
    if top < 1:
        raise UsageError(f"--top must be a positive integer, not {top}")
    if runs is not None and runs < 1:
        raise UsageError(f"--runs must be a positive integer, not {runs}")
    console = Console(stderr=as_json)
    if not console.is_terminal:
        console = Console(stderr=as_json, width=160)
    opts = device_options.for_device(device) if device_options.items else {}
    ec_opts = {k: v for k, v in {"resolution": resolution, "out_dir": exports}.items() if v is not None}
    ec = ExportConfig(**ec_opts).validate() if ec_opts else None
    prof = run_profile(
        model,
        device,
        unfused=unfused,
        runs=runs,
        protocol_name=protocol_name,
        db=db,
        export_config=ec,
        device_options=opts,
        progress=RichReporter(console),
    )
    print_profile(console, prof, top)
    from .options import say_input_notes

    say_input_notes([model], console)
    if plot is not None or report is not None:
        _outputs(console, db, device, plot, report)
    if as_json:
        typer.echo(json.dumps(prof.to_dict(), indent=1, default=str))


def print_profile(console, prof, top: int) -> None:
    from rich.table import Table

    from ..core.profiles import op_type_shares, stage_times

    form = "unfused" if prof.unfused else "fused"
    head = Table(title=f"{prof.model} on {prof.device} ({form}) - {prof.source}, {prof.runs} profiled inference(s)")
    for c in ("op type", "ms", "share %"):
        head.add_column(c, justify="right" if c != "op type" else "left")
    for k, v, s in op_type_shares(prof):
        head.add_row(k, f"{v:.3f}", f"{100 * s:.1f}")
    console.print(head)
    stages = stage_times(prof)
    if len(stages) > 1:
        st = Table(title="per stage")
        for c in ("stage", "ms", "share %"):
            st.add_column(c, justify="right" if c != "stage" else "left")
        for k, v, s in stages:
            st.add_row(k, f"{v:.3f}", f"{100 * s:.1f}")
        console.print(st)
    t = Table(title=f"top {top} ops")
    for c in ("op", "type", "ms", "device"):
        t.add_column(c, justify="right" if c == "ms" else "left")
    for o in prof.top_ops(top):
        t.add_row(o.name, o.op_type, f"{o.ms:.3f}", o.device or "")
    console.print(t)
    cov = prof.coverage
    over = prof.overhead
    est = "estimated from compute-plan costs; " if prof.estimated else ""
    console.print(
        f"{est}ops add up to {prof.ops_total_ms:.3f} ms"
        + (f" = {100 * cov:.1f}% of the profiled total {prof.profiled_total_ms:.3f} ms" if cov is not None else "")
        + (
            f"; profiling overhead {100 * over:+.1f}% against the unprofiled median "
            f"{prof.unprofiled_median_ms:.3f} ms (run {prof.run_id})"
            if over is not None and not prof.estimated
            else ""
        )
        + f"; stored as profile {prof.extra.get('profile_id')}. Timings on a shared machine are noisy."
    )


def _outputs(console, db, device, plot, report) -> None:
    from ..analysis.profiles_view import (
        figure_html,
        plot_op_shares,
        profiles_section,
        write_sections_report,
    )
    from ..results import Store
    from ..results.profiles import list_profiles

    with Store(db, readonly=True) as store:
        profiles = list_profiles(store, device=device)
    paths = []
    if plot is not None:
        paths = plot_op_shares(profiles, plot)
        console.print(f"plot: {', '.join(str(p) for p in paths)}")
    if report is not None:
        secs = ["<h2>Profiles</h2>", profiles_section(profiles)]
        if paths:
            secs.append(figure_html(paths, "op-type shares per model, fused and unfused side by side"))
        console.print(f"report: {write_sections_report(report, f'mobench profiles ({device})', secs)}")


def register(app: typer.Typer) -> None:
    app.command("profile", help=HELP)(profile)
