"""``run_main_job``: the main job behind ``mobench run``, end to end and resumable.

build -> export -> time on the local device -> store (with raw samples) -> count
metrics -> analyse against the paper's numbers -> plot -> HTML report, all under
one output folder::

    OUT/mobench.sqlite   the results store (every run, raw samples, provenance)
    OUT/exports/         the exported artifacts with their manifests
    OUT/plots/           PNG + SVG figures
    OUT/report.html      the self-contained report

A second run reuses stored runs, exports and cached metrics, so it only does
what is missing. A model that fails to export or run is stored as a failed run
and the job goes on.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.analyze import analyze
from ..analysis.metrics import metrics_table
from ..analysis.plots import PlotData, make_plots
from ..analysis.profiles_view import stored_sections
from ..analysis.report import write_report
from ..analysis.tables import load_runs
from ..core.configs import customize, protocol
from ..core.errors import UsageError
from ..core.progress import Reporter, reporter_or_null
from ..devices import device_class
from ..exporters import ExportConfig
from ..models import model_info, resolve_models
from ..results import Store, StoreLocation, load_samples, locate
from ..results.location import ENV_VAR
from ..studies import stored_study_sections
from .schedule import check_schedule
from .sweep import run_sweep

# --preset -> default --protocol. ``quick`` is the smoke test (30 samples per model);
# everything else uses ``study``: rounds of 20 until the headline's 95% CI is within +-2%,
# between 1 s and 10 s of timing per model (RepVGG-B1, ~0.2 s per run here, costs seconds).
PRESET_PROTOCOL = {"quick": "quick"}
DEFAULT_PROTOCOL = "study"
# Metrics analysed by ``mobench run`` and the ones drawn as latency-vs-metric figures.
RUN_METRICS = ["macs", "params", "memory", "activations", "layers", "branches", "depth"]
PLOT_METRICS = ["macs", "params", "memory"]
# The protocol's headline -> the per-run latency the analysis correlates (robust for ``study``).
HEADLINE_STAT = {"robust": "robust", "min": "min", "median": "median", "trimmed_mean": "trimmed_mean", "mean": "mean"}


@dataclass
class MainJobResult:
    out: Path
    db: StoreLocation
    report: Path | None
    plots: dict[str, list[Path]]
    skipped_plots: dict[str, str]
    records: list[Any]  # RunRecords of the deployed graphs
    unfused_records: list[Any]
    analysis: Any
    protocol: str
    models: list[str]
    metric_errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[Any]:
        return [r for r in self.records + self.unfused_records if r.status != "ok"]


def protocol_for(preset: str | None, protocol_name: str | None) -> str:
    return protocol_name or PRESET_PROTOCOL.get(preset or "", DEFAULT_PROTOCOL)


# Families whose unfused (train-time) graph ``mobench run`` also times. MobileOne only: it is
# the paper's subject, and RepVGG's unfused B1 alone would cost more than a minute of the budget.
UNFUSED_FAMILIES = ("mobileone",)


def _reparameterizable(names: list[str]) -> list[str]:
    out = []
    for n in names:
        try:
            info = model_info(n)
            if info.reparameterizable and info.family in UNFUSED_FAMILIES:
                out.append(n)
        except Exception:
            continue
    return out


def run_main_job(
    *,
    preset: str | None = "quick",
    models: list[str] | None = None,
    protocol_name: str | None = None,
    device: str = "cpu",
    out: str | Path = "results",
    force: bool = False,
    unfused: bool = True,
    threads: int | None = None,
    progress: Reporter | None = None,
    device_options: dict[str, Any] | None = None,
    schedule: str = "interleaved",
    recipe: str | None = None,
    db: str | None = None,
    precision: dict[str, Any] | None = None,
) -> MainJobResult:
    """Run the main job; see the module docstring. Raises only for bad input.

    ``db`` is the results store (a path or a database URL); default ``$MOBENCH_DB``, else
    ``OUT/mobench.sqlite``.

    ``recipe`` picks the export recipe of the device's format (default: the format's
    default); the analysis then covers that device's runs of that recipe only.
    ``precision``: overrides of the protocol's stop rule (``target_ci_pct``,
    ``min_time_s``, ``time_budget_s``; ``None`` values keep the protocol's).
    """

    if device.startswith("paper:"):
        raise UsageError(
            f"{device} is a reference device (published numbers); run on a local device, e.g. --device cpu"
        )
    device_class(device)  # an unknown device name fails before the output folder is created
    check_schedule(schedule)
    names = resolve_models(models, preset)
    proto = protocol_for(preset, protocol_name)
    config = customize(protocol(proto), **(precision or {}))
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output folder {out}: {exc.strerror or exc}") from exc
    store = locate(db if db is not None else os.environ.get(ENV_VAR) or out / "mobench.sqlite")
    seconds: dict[str, float] = {}
    opts = {**({"threads": threads} if threads else {}), **(device_options or {})}
    ec = ExportConfig(out_dir=out / "exports", input_kind=config.input_kind, recipe=recipe)
    fmt = device_class(device).artifact_format
    run_recipe = ec.recipe_for(fmt) if fmt else "fp32"

    # One sweep: every model, and the MobileOne models once more as their unfused graphs, all
    # loaded together with their rounds interleaved (mobench.workflows.schedule), so a slow
    # period of a shared machine spreads over every model instead of landing on a few.
    rep = _reparameterizable(names) if unfused else []
    t0 = time.perf_counter()
    swept = run_sweep(
        names,
        device,
        config,
        db=store,
        export_config=ec,
        force=force,
        device_options=opts,
        progress=progress,
        schedule=schedule,
        also_unfused=rep,
    )
    records, unfused_records = swept[: len(names)], swept[len(names) :]
    seconds["benchmark"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    counted, metric_errors = _metrics_with_progress(names, progress)
    seconds["metrics"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    runs = load_runs(store)
    # this job's runs only: the same folder may hold runs of other presets or protocols
    runs = runs[
        (runs["device"] == device)
        & (runs["protocol"] == config.name)
        & runs["model"].isin(names)
        & (runs["recipe"].fillna("fp32") == run_recipe)
    ]
    result = analyze(
        [device, "paper:iphone12", "paper:cpu"],
        RUN_METRICS,
        runs=runs,
        counted=counted,
        count_missing=False,
        models=None,
        stat=HEADLINE_STAT.get(config.headline, "median"),
    )
    result.notes.append(f"{device}: protocol {config.name!r} ({_describe(config)})")
    seconds["analysis"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    samples = load_samples(store)
    samples = samples[samples["run_id"].isin(runs["run_id"])]
    plots, skipped = _plots_with_progress(PlotData(result, runs, samples), out / "plots", progress)
    seconds["plots"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_ok = sum(r.status == "ok" for r in records)
    summary = (
        f"mobench run: preset {preset or '-'}, {len(names)} models, device {device} ({run_recipe}), "
        f"protocol {config.name} ({_describe(config)}); {n_ok}/{len(records)} models timed."
    )
    with Store(store) as st:  # profiles and latency studies kept in the same store get their sections
        extra = stored_sections(st) + stored_study_sections(st)
    report = write_report(
        out / "report.html", result, runs, plots, title="mobench report", summary=summary, extra_sections=extra
    )
    seconds["report"] = time.perf_counter() - t0
    return MainJobResult(
        out=out,
        db=store,
        report=report,
        plots=plots,
        skipped_plots=skipped,
        records=records,
        unfused_records=unfused_records,
        analysis=result,
        protocol=config.name,
        models=names,
        metric_errors=metric_errors,
        seconds=seconds,
    )


def _describe(config) -> str:
    if config.time_budget_s and config.target_ci_pct is not None:
        return (
            f"up to {config.rounds} rounds x {config.inferences} inferences, stopping once the headline's "
            f"95% CI is within +-{config.target_ci_pct:g}% (after {config.min_time_s:g} s of timing and "
            f">= {config.min_inferences} samples) or at {config.time_budget_s:g} s; "
            f"{config.warmup} warm-up per round; headline {config.headline}"
        )
    if config.time_budget_s:
        return (
            f"up to {config.rounds} rounds x {config.inferences} inferences, stopping after "
            f"{config.time_budget_s:g} s of timing once >= {config.min_inferences} samples; "
            f"{config.warmup} warm-up per round; headline {config.headline}"
        )
    return (
        f"{config.rounds} rounds x {config.inferences} inferences, {config.warmup} warm-up per round"
        f"{', reload per round' if config.reload_per_round else ''}; headline {config.headline}"
    )


def _metrics_with_progress(names: list[str], progress: Reporter | None):
    with reporter_or_null(progress).phase("metrics", total=len(names)) as tick:
        seen: list[str] = []

        def cb(model: str) -> None:
            if seen:
                tick(seen[-1], "counted", True)
            seen.append(model)
            tick(model, "counting")

        df, errors = metrics_table(names, progress=cb)
        if seen:
            tick(seen[-1], "counted", True)
    return df, errors


def _plots_with_progress(data, out_dir: Path, progress: Reporter | None):
    with reporter_or_null(progress).phase("plots") as tick:
        return make_plots(data, out_dir, metrics=PLOT_METRICS, progress=lambda stem: tick(stem, "plotting"))
