"""``mobench run``: the main job (build, export, time, store, analyse, plot, report)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.util import fmt_number
from ..exporters.config import recipes_help
from .options import (
    DEVICE_HELP,
    PROTOCOL_HELP,
    DbOption,
    DeviceOptions,
    DeviceOptionsDep,
    InputDataOption,
    InputOption,
    MaxTimeOption,
    MinTimeOption,
    TargetCiOption,
)

HELP = """The main job: every step on this machine, end to end, into one folder.

Builds the models, exports them (ONNX for the cpu device), times them, stores every run with its raw samples, counts complexity metrics, correlates latency with FLOPs/params beside the paper's published numbers (reference devices paper:iphone12 and paper:cpu), draws the plots and writes one HTML report.

--preset picks the model set and a matching timing protocol: quick -> protocol quick (3 x 10 inferences, a smoke run); paper, figure2, mobileone -> protocol study (rounds of 20 inferences until the 95% CI of each model's headline is within +-2% (--target-ci), between 1 s and 10 s of timing per model, the rounds of all models interleaved; headline = robust, the lower quartile of the per-round medians, which holds on a busy machine; RepVGG-B1 alone takes ~0.2 s a run). --protocol overrides it. MobileOne models are also timed unfused (the fused-vs-unfused figure).

Resumable: a second run reuses stored runs, exports and cached metrics (--force re-times). A model that fails is stored as failed and the job goes on.

Output (--out, default results/): mobench.sqlite (or the store --db / $MOBENCH_DB names, e.g. a lab's postgresql:// one), exports/, plots/*.png|svg, report.html.

Examples:

  mobench run

  mobench run --preset paper

  mobench run --preset mobileone --protocol modelbench --out results/s

  mobench run -m s0 -m mobilenet_v3_large --threads 1     (or --device-option threads=1)

  mobench run -m s0 --device cpu --device executorch --recipe fp32 --recipe int8   (runtime x recipe axis)

The first is the quick preset on the cpu device into results/ (measured on 2 shared cores: 97 s from scratch, 150 s when the machine was busy; 10 s resumed); the second the paper's 30 models (9.6 minutes from scratch, exports and metric counting included; 20 minutes under heavy load from other jobs).
"""


def run(
    preset: str | None = typer.Option(
        None, "--preset", help="Model set: quick (default when no --model), mobileone, figure2, paper."
    ),
    model: list[str] | None = typer.Option(
        None, "--model", "-m", help="Model name (repeatable); with --preset, added to the set."
    ),
    protocol_name: str | None = typer.Option(None, "--protocol", "-p", help=PROTOCOL_HELP + " Default: from --preset."),
    inputs: InputOption = None,
    input_data: InputDataOption = None,
    devices: list[str] | None = typer.Option(
        None,
        "--device",
        "-d",
        help="Local device (repeatable: a runtime axis; default cpu). " + DEVICE_HELP,
    ),
    recipes: list[str] | None = typer.Option(
        None,
        "--recipe",
        "-r",
        help=f"Export recipe (repeatable: a recipe axis): {recipes_help()}.",
    ),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder (store, exports, plots, report)."),
    db: DbOption = None,
    device_options: DeviceOptionsDep = DeviceOptions(),
    no_unfused: bool = typer.Option(False, "--no-unfused", help="Skip timing the unfused MobileOne graphs."),
    force: bool = typer.Option(False, "--force", help="Time again even if the same runs are stored."),
    schedule: str = typer.Option(
        "interleaved",
        "--schedule",
        help="interleaved (default: rounds of all models in a seeded shuffled order) or contiguous.",
    ),
    target_ci: TargetCiOption = None,
    min_time: MinTimeOption = None,
    max_time: MaxTimeOption = None,
) -> None:
    import time

    from rich.console import Console

    from ..workflows.main_job import run_main_job
    from .progress import RichReporter

    if preset is None and not model:
        preset = "quick"
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    from .bench import check_device_recipe

    if model or inputs or input_data:  # --input applies to the models given with --model
        from ..models import resolve_models
        from .options import apply_inputs

        model = apply_inputs(resolve_models(model or []), inputs, input_data) if model else model
        if not model:
            from ..core.errors import UsageError

            raise UsageError("--input / --input-data apply to the models given with --model (files and factories)")

    axis = [(d, r) for d in (devices or ["cpu"]) for r in (recipes or [None])]
    for d, r in axis:  # bad names fail before anything runs
        check_device_recipe(d, r)
    options = device_options.for_devices([d for d, _ in axis])
    t0 = time.perf_counter()
    results = []
    for d, r in axis:
        results.append(
            run_main_job(
                preset=preset,
                models=model,
                protocol_name=protocol_name,
                device=d,
                out=out,
                force=force,
                unfused=not no_unfused and r in (None, "fp32", "fp16"),
                device_options=options[d],
                progress=RichReporter(console),
                recipe=r,
                precision=dict(target_ci_pct=target_ci, min_time_s=min_time, time_budget_s=max_time),
                schedule=schedule,
                db=db,
            )
        )
        _print_study(console, results[-1], d)
    total = time.perf_counter() - t0
    if len(axis) > 1:
        from ..analysis.tables import load_runs

        print_speedups(console, load_runs(results[-1].db))
    ok = [r for res in results for r in res.records if r.status == "ok"]
    console.print(f"took {total:.0f} s in all")
    if not ok:
        raise typer.Exit(1)


def print_speedups(console, runs, only_if_several: bool = False) -> None:
    """Runtime x recipe: the speed-up of each recipe over fp32 on the same device (stored runs)."""
    from rich.table import Table

    from ..analysis.recipes import speedup_table

    df = speedup_table(runs)
    if df.empty or (only_if_several and df["recipe"].nunique() < 2):
        return
    t = Table(title="runtime x recipe: median latency and speed-up over fp32 on the same device")
    for c in ("model", "device", "recipe", "median (ms)", "fp32 (ms)", "speed-up"):
        t.add_column(c, justify="left" if c in ("model", "device", "recipe") else "right")
    for row in df.itertuples():
        t.add_row(
            row.model,
            row.device,
            row.recipe,
            fmt_number(row.median_ms, 3),
            fmt_number(row.fp32_median_ms, 3),
            "-" if row.speedup != row.speedup else f"{row.speedup:.2f}x",
        )
    console.print(t)


def _print_study(console, res, device: str) -> None:
    from rich.table import Table

    from ..results import Store
    from .tables import HEADLINE_LABEL

    total = sum(res.seconds.values())
    with Store(res.db, readonly=True) as store:  # each run's headline, as the store computed it
        stats = {r.run_id: store.get_stats(r.run_id) or {} for r in res.records if r.run_id is not None}
    heads = sorted({s["headline"] for s in stats.values() if s.get("headline")}) or ["median"]
    head = heads[0] if len(heads) == 1 else "headline"
    head_col = f"{HEADLINE_LABEL.get(head, head)} (ms)"
    targets = ", ".join(dict.fromkeys(str(r.target.get("label")) for r in res.records if r.target.get("label")))
    t = Table(title=f"{targets or device}: protocol {res.protocol}, {head_col} per run; paper columns are reference")
    for c in ("model", "target", "status", "n", head_col, "paper CPU (ms)", "paper iPhone 12 (ms)"):
        t.add_column(c, justify="left" if c in ("model", "target", "status") else "right")
    from ..analysis.reference import reference_latencies

    pc, pi = reference_latencies("paper:cpu"), reference_latencies("paper:iphone12")
    for r in res.records:
        st = stats.get(r.run_id, {}) if r.status == "ok" else {}
        status = ("reused" if r.reused else "ok") if r.status == "ok" else f"[red]failed[/]: {r.error}"
        t.add_row(
            r.model,
            str(r.target.get("label") or device),
            status,
            str(r.n_samples or "-"),
            fmt_number(st.get("headline_ms"), 3),
            fmt_number(pc.get(r.model), 2),
            fmt_number(pi.get(r.model), 2),
        )
    console.print(t)
    for row in res.analysis.rows:
        if row.metric in ("macs", "params"):
            console.print(
                f"Spearman rho latency vs {row.metric:<6} on {row.device:<15} = "
                f"{row.spearman_rho:.2f} (p {row.spearman_p:.3f}, n {row.n}, source {row.source})"
            )
    from ..analysis.correlation import TABLE1_TOLERANCE

    for c in res.analysis.comparisons:
        console.print(
            f"  paper's Table 1 {c.device} {c.metric}: {c.paper_rho:.2f}; recomputed from its Table 9: "
            f"{c.rho:.3f} ({'within' if c.within else 'outside'} +/-{TABLE1_TOLERANCE})"
        )
    if res.skipped_plots:
        for k, why in res.skipped_plots.items():
            console.print(f"[yellow]plot {k} skipped:[/] {why}")
    if res.metric_errors:
        console.print(f"[yellow]metrics not counted for:[/] {', '.join(res.metric_errors)}")
    times = ", ".join(f"{k} {v:.0f} s" for k, v in res.seconds.items())
    console.print(
        f"\nstore   {res.db}\nexports {res.out / 'exports'}\nplots   {res.out / 'plots'} "
        f"({len(res.plots)} figures)\nreport  {res.report}\n"
        f"took {total:.0f} s ({times}); {len(res.failed)} failed run(s)"
    )


def register(app: typer.Typer) -> None:
    app.command("run", help=HELP)(run)
