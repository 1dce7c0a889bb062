"""``run_ios``: a plan on an iPhone through the harness app, end to end (``mobench ios run``).

Given a plan folder, or models to make one from (Core ML exports, one run per model and
compute-units setting), it leaves out the runs the store already holds under the iPhone's
reuse key (:func:`mobench.devices.remote.reuse_key`, the same key ``mobench bench --device
iphone`` and ingest use), pushes the plan, launches the app, follows its progress, pulls the
report, validates it and stores every run (:func:`mobench.devices.remote.session.run_session`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..core.configs import BenchConfig
from ..core.errors import UsageError
from ..core.inputs import InputChoice
from ..core.util import default_results_dir
from ..devices.iphone import make_transport
from ..devices.iphone.constants import IPHONE
from ..devices.remote import reuse_key
from ..devices.remote.plan import PlanResult, build_plan, parse_compute_units, without_runs
from ..devices.remote.schema import read_json
from ..devices.remote.session import SessionResult, run_session
from ..models import resolve_models
from ..models.chosen_inputs import choose_all
from ..results import Store, locate


@dataclass(frozen=True)
class IosRunConfig:
    """What ``mobench ios run`` was asked: a plan (or models to plan), the phone and how to reach it."""

    plan: Path | None = None  # a plan folder from `mobench ios plan`; else one is made from models/preset
    models: tuple[str, ...] = ()
    preset: str | None = None
    compute_units: str = "all"  # comma-separated, for a plan made here
    config: BenchConfig | None = None  # the protocol of a plan made here
    thermal_wait: float = 0.0
    out: Path | None = None  # where a plan made here goes (default results/ios_plans/<time>)
    recipe: str | None = None
    udid: str | None = None
    transport: str = "pymobiledevice3"
    tunnel: str | None = None
    launcher: str = "dvt"
    documents: Path | None = None  # folder transport
    app_command: tuple[str, ...] = ()  # folder transport
    bundle_id: str | None = None
    timeout: float = 3600.0
    poll: float = 2.0
    db: str | None = None  # a store path or URL (default: $MOBENCH_DB or results/mobench.sqlite)
    force: bool = False
    inputs: tuple[str, ...] = ()  # --input NAME=SHAPE choices for a plan made here
    input_data: Path | None = None


@dataclass
class IosRunResult:
    plan_dir: Path
    built: PlanResult | None = None  # the plan made here (None: a given plan)
    reused: list[tuple[str, int]] = field(default_factory=list)  # (plan run id, stored run id)
    session: SessionResult | None = None  # None when the store already held every run

    @property
    def skipped(self) -> dict[str, str]:
        return self.built.skipped if self.built is not None else {}


def stored_plan_runs(plan_dir: Path, config: BenchConfig, udid: str | None, db: str | None) -> list[tuple[str, int]]:
    """``(plan run id, stored run id)`` of the plan's runs the store already holds (same model,
    artifact sha256 and reuse key: protocol config, compute units, UDID)."""
    if not locate(db).exists():
        return []
    plan = read_json(plan_dir / "plan.json")
    out = []
    with Store(db) as store:
        for r in plan["runs"]:
            found = store.find_run(r["model"], IPHONE.name, r["sha256"], reuse_key(config, r["compute_units"], udid))
            if found is not None:
                out.append((r["run_id"], found))
    return out


def make_ios_plan(
    models: list[str] | tuple[str, ...],
    preset: str | None,
    compute_units: str,
    config: BenchConfig,
    out: Path,
    *,
    with_onnx: bool = False,
    force: bool = False,
    thermal_wait: float | None = None,
    recipe: str | None = None,
    inputs: list[str] | None = None,
    input_data: Path | None = None,
    on_export: Callable[[str, int, int], None] | None = None,
) -> PlanResult:
    """Export the models for the iPhone and write the plan folder (``mobench ios plan``)."""
    units = parse_compute_units(compute_units)
    if recipe is not None:
        from ..exporters import ExportConfig, check_recipe

        ExportConfig(recipe=recipe).validate()
        check_recipe(IPHONE.artifact_format, recipe)
    names = choose_all(resolve_models(list(models), preset), InputChoice.parse(inputs, input_data))[0]
    return build_plan(
        names,
        out,
        compute_units=units,
        config=config,
        with_onnx=with_onnx,
        force=force,
        progress=on_export,
        thermal_wait_s=thermal_wait,
        recipe=recipe,
    )


def run_ios(
    cfg: IosRunConfig,
    *,
    on_export: Callable[[str, int, int], None] | None = None,
    on_file: Callable[[str], None] | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> IosRunResult:
    """Run ``cfg`` (see the module docstring); bad input raises before the phone is reached."""
    config = cfg.config
    if cfg.plan is None:
        if not cfg.models and not cfg.preset:
            raise UsageError("give --plan DIR or --model NAME (see `mobench ios run --help`)")
        if config is None:
            raise UsageError("a plan made here needs a protocol")
        out = cfg.out or default_results_dir() / "ios_plans" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        built = make_ios_plan(
            cfg.models,
            cfg.preset,
            cfg.compute_units,
            config,
            out,
            with_onnx=cfg.transport == "folder",
            thermal_wait=cfg.thermal_wait,
            recipe=cfg.recipe,
            inputs=list(cfg.inputs),
            input_data=cfg.input_data,
            on_export=on_export,
        )
        result = IosRunResult(plan_dir=built.path, built=built)
        result.reused = [] if cfg.force else stored_plan_runs(built.path, config, cfg.udid, cfg.db)
        if result.reused:
            done = {run_id for run_id, _ in result.reused}
            if len(done) == len(read_json(built.path / "plan.json")["runs"]):
                return result
            without_runs(built.path, done)
    elif cfg.models or cfg.preset:
        raise UsageError("give either --plan or --model/--preset, not both")
    else:
        result = IosRunResult(plan_dir=cfg.plan)
    transport = make_transport(
        cfg.transport,
        udid=cfg.udid,
        tunnel=cfg.tunnel,
        documents=str(cfg.documents) if cfg.documents else None,
        app_command=list(cfg.app_command) or None,
        bundle_id=cfg.bundle_id,
        launcher=cfg.launcher,
    )
    result.session = run_session(
        result.plan_dir,
        transport,
        db=cfg.db,
        timeout=cfg.timeout,
        poll=cfg.poll,
        on_progress=on_progress,
        on_file=on_file,
        config=config,
    )
    return result
