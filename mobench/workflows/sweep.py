"""``run_sweep``: export what is needed, time every model, store every run.

For each model: find or make the artifact the device needs (reusing an export
whose manifest matches), check it against its manifest's sha256, skip the
model if the store already holds a successful run of the same measurement
(model, device, artifact sha256 and config key) unless ``force``. Then time
the models that are left, by default all loaded together and their rounds
interleaved in a seeded, shuffled order (``mobench.workflows.schedule``; the
device then takes its ``INTERLEAVED_OPTIONS``, e.g. ONNX Runtime's thread spinning
off), and store the sweep's round order once and every run in its own transaction. A failure of one model (export or
runtime) becomes a stored ``failed`` run and the sweep goes on; bad input
(unknown device or model, unusable store) raises before anything is done.
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from ..core.configs import BenchConfig, config_key, protocol
from ..core.errors import ArtifactExistsError, DeviceError, MobenchError, UsageError, one_line
from ..core.hostcheck import HostCheck, check_host
from ..core.progress import Reporter, Tick, note, reporter_or_null
from ..core.records import FailureStage, RunRecord
from ..core.util import host_provenance, sha256_path
from ..devices import LocalDevice, device_class, export_options, get_device
from ..devices.base import TimingSession
from ..exporters import ExportConfig, find_or_export
from ..exporters.config import DEFAULT_RESOLUTION
from ..exporters.model_file import as_artifact
from ..exporters.pipeline import check_inputs
from ..models import resolve_models
from ..models.chosen_inputs import inputs_of
from ..models.user import is_artifact, is_user_key, lookup
from ..results import Store
from .model_files import check_device
from .schedule import DEFAULT_SCHEDULE, check_schedule, default_budget_mb, estimate_mb, memory_groups, run_schedule


def _failed(model: str, device, config: BenchConfig, error: str, stage: FailureStage, **fields: Any) -> RunRecord:
    try:
        info = device.info()
    except Exception:  # the failure record must not fail
        info = {}
    rec = RunRecord(
        model=model,
        device=device.name,
        status="failed",
        error=f"{stage}: {error}",
        protocol=config.name,
        config=config.to_dict(),
        device_info=info,
        provenance=host_provenance(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    for k, v in fields.items():
        setattr(rec, k, v)
    try:
        target = device.target(None)
    except Exception:  # the failure record must not fail
        target = None
    if target is not None:
        rec.target = target.to_dict()
    rec.failed_at = stage
    return rec


class ArtifactIntegrityError(DeviceError):
    """An artifact on disk is missing or does not match its manifest: bad input, not a model failure.

    Not stored as a failed run (the model did nothing wrong); the sweep goes on
    and ``mobench bench`` exits non-zero with this message.
    """


def _artifact(model: str, device, config: BenchConfig, export_config: Any, step=None):
    """The verified artifact for ``model`` on ``device`` (exported if not found; a model file is itself)."""
    if is_artifact(model):
        try:
            return as_artifact(model)
        except DeviceError as exc:
            raise ArtifactIntegrityError(str(exc)) from None
    ec = export_config if export_config is not None else ExportConfig(input_kind=config.input_kind)
    if is_user_key(model) and ec.resolution == DEFAULT_RESOLUTION != lookup(model).input_size:
        ec = dataclasses.replace(ec, resolution=lookup(model).input_size)  # the size its factory declared
    fmt = device.artifact_format
    fix = f"re-export it: mobench export --model {model} --format {fmt} --force"
    try:
        art = find_or_export(model, fmt, ec, progress=step)  # one export however many processes ask at once
    except ArtifactExistsError as exc:
        # the file in place is not the artifact its manifest describes
        raise ArtifactIntegrityError(
            f"the {fmt} export of {model} on disk does not match its manifest (corrupt or changed); {fix}"
        ) from exc
    want = (art.manifest or {}).get("sha256")
    if not os.path.exists(art.path):
        raise ArtifactIntegrityError(f"artifact {art.path} of {model} is missing; {fix}")
    if want and sha256_path(art.path) != want:
        raise ArtifactIntegrityError(
            f"artifact {art.path} of {model} does not match the sha256 in its manifest (corrupt or changed); {fix}"
        )
    return art


class _WholeRun:
    """A device without rounds the host can drive (e.g. a tethered phone): the whole run is one step."""

    def __init__(self, dev, name, art, config) -> None:
        self.dev, self.name, self.art, self.config = dev, name, art, config
        self.record: RunRecord | None = None
        self.done = False
        self.rounds_done = 0

    def round(self) -> None:
        self.done = True
        rec = self.dev.run(self.name, self.art, self.config)
        self.record = rec
        self.rounds_done = len(rec.samples_ms)

    def close(self) -> None:
        self.done = True


@dataclass
class Unit:
    """One thing a sweep times: a model on a device, exported with ``export_config``."""

    label: str  # how tables and progress name it, e.g. mobileone_s0:unfused
    model: str
    device: Any  # a Device instance
    export_config: Any = None
    key: str = ""  # the run's reuse key (config + device options)
    unfused: bool = False


@dataclass
class TimedSweep:
    """What :func:`time_units` did: one record per unit, and how the rounds were scheduled."""

    records: list[RunRecord]
    schedule: str
    seed: int
    labels: list[str] = field(default_factory=list)  # the units that were timed
    round_order: list[int] = field(default_factory=list)  # index into labels of every round
    groups: list[list[int]] = field(default_factory=list)
    budget_mb: float | None = None
    host: HostCheck | None = None  # the host check before timing (local devices only)

    def sweep_row(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"memory_budget_mb": self.budget_mb}
        if self.host is not None:
            extra["host_check"] = self.host.to_dict()
        return dict(
            schedule=self.schedule,
            seed=self.seed,
            labels=self.labels,
            round_order=self.round_order,
            groups=self.groups,
            extra=extra,
        )


def make_device(device: str, options: dict[str, Any] | None):
    """The device instance, refusing one that is not usable here (bad input, raised before any work)."""
    dev = get_device(device, **dict(options or {}))
    ok, reason = dev.available()
    if not ok:
        raise DeviceError(f"device {device!r} is not usable here: {reason}")
    return dev


def _sweep_resolution(device: str, names: list[str]) -> int:
    """The one input size a device without artifacts feeds this sweep: 224, or the size a user factory declares."""
    sizes = {lookup(n).input_size if is_user_key(n) else DEFAULT_RESOLUTION for n in names}
    if len(sizes) > 1:
        raise UsageError(
            f"these models take different input sizes ({', '.join(map(str, sorted(sizes)))}); "
            f"the {device} device times one size per sweep: bench them separately"
        )
    return sizes.pop()


def sweep_device_options(device: str, names: list[str], export_config: Any, given: dict[str, Any]) -> dict[str, Any]:
    """A device's options for a sweep: the ones given, else (a device without artifacts) what the
    export config says (``DeviceOption.from_export``), else the models' own input size."""
    cls = device_class(device)
    opts = {k: v for k, v in given.items() if v is not None}
    if cls.artifact_format is None:
        for k, v in export_options(cls, export_config).items():
            opts.setdefault(k, v)
        res = cls.option("resolution")
        if res is not None and res.from_export and opts.get("resolution") in (None, DEFAULT_RESOLUTION):
            opts["resolution"] = _sweep_resolution(device, names)
    return opts


def run_sweep(
    models: Iterable[str],
    device: str = "cpu",
    config: BenchConfig | None = None,
    *,
    db: Any = None,
    export_config: Any = None,
    force: bool = False,
    device_options: dict[str, Any] | None = None,
    progress: Reporter | None = None,
    schedule: str = DEFAULT_SCHEDULE,
    memory_budget_mb: float | None = None,
    also_unfused: Iterable[str] = (),
) -> list[RunRecord]:
    """Time ``models`` on ``device`` with ``config`` and store every run (see module docstring).

    Returns one :class:`RunRecord` per model, in order, then one per model of
    ``also_unfused`` timed as its train-time (unfused) graph in the same sweep;
    reused runs come from the store with ``reused=True``; every stored record carries
    its ``run_id``. A missing or corrupt artifact is bad input, not a model failure: its
    record has ``status="failed"`` and ``failed_at="artifact"`` and is not stored.
    ``db`` is a path, a :class:`~mobench.results.Store` or ``None``
    (``results/mobench.sqlite``). ``schedule``: ``interleaved`` (default: the rounds of
    all models, loaded together within ``memory_budget_mb``, in a seeded shuffled order)
    or ``contiguous`` (one model after another); see ``mobench.workflows.schedule``.
    ``progress`` is told about every stage of every model.
    """
    config = config or protocol("modelbench")
    check_schedule(schedule)
    names = resolve_models(list(models))
    unfused_names = resolve_models(list(also_unfused)) if also_unfused else []
    given = dict(device_options or {})
    if schedule != "contiguous" and len(names) + len(unfused_names) > 1:  # rounds of several models take turns
        given = device_class(device).interleaved_options(given)
    dev = make_device(device, sweep_device_options(device, names, export_config, given))
    for name in names:
        if is_artifact(name):
            check_device(name, dev)  # a model file runs only where its format runs: bad input, before anything
        elif is_user_key(name) and dev.artifact_format is not None:
            # a quantized recipe of a factory of its own inputs: bad input, before anything
            ec = export_config if export_config is not None else ExportConfig(input_kind=config.input_kind)
            check_inputs(name, dev.artifact_format, ec.recipe_for(dev.artifact_format))
    units = [Unit(n, n, dev, export_config, config_key(config, **dev.options_key())) for n in names]
    if unfused_names:
        uec = replace(export_config or ExportConfig(input_kind=config.input_kind), reparameterize=False)
        if dev.artifact_format is None:  # no artifact: the unfused graph is a device option (from_export)
            udev = make_device(device, sweep_device_options(device, unfused_names, uec, given))
        else:
            udev = dev
        ukey = config_key(config, **udev.options_key())
        units += [Unit(f"{n}:unfused", n, udev, uec, ukey, unfused=True) for n in unfused_names]
    own_store = not isinstance(db, Store)
    store = Store(db) if own_store else db
    try:
        if dev.runs_batches and not any(u.unfused for u in units):
            return _batched(units, dev, config, store, force, progress)
        return time_units(
            units,
            config,
            store=store,
            force=force,
            progress=progress,
            schedule=schedule,
            memory_budget_mb=memory_budget_mb,
        ).records
    finally:
        if own_store:
            store.close()


def _batched(units: list[Unit], dev, config, store: Store, force: bool, progress: Reporter | None) -> list[RunRecord]:
    """A remote device times the whole sweep as one plan (one app launch): export and reuse checks
    per model first, then one ``dev.run_many`` for every model still to time, then one stored run each."""
    done: dict[str, RunRecord] = {}
    pending: list[tuple[Unit, Any]] = []
    with reporter_or_null(progress).phase("sweep", total=len(units)) as tick:
        for u in units:
            tick(u.label, "start")
            rec, art = _prepare(u, config, store, force, tick)
            if rec is not None:
                done[u.label] = rec
                tick(u.label, "reused" if rec.reused else rec.status, True)
            else:
                pending.append((u, art))
        if pending:
            for u, _ in pending:
                tick(u.label, "timing")
            try:
                timed = dev.run_many(
                    [(u.model, art) for u, art in pending], config, progress=lambda model, what: tick(model, what)
                )
            except Exception as exc:
                timed = {u.model: _run_failure(u, config, art, exc) for u, art in pending}
            for u, art in pending:
                rec = timed.get(u.model) or _failed(
                    u.model, dev, config, "the device returned no run for this model", "run", **dev.artifact_fields(art)
                )
                done[u.label] = _store(rec, u, store)
                tick(u.label, rec.status, True)
    return [done[u.label] for u in units]


def time_units(
    units: list[Unit],
    config: BenchConfig,
    *,
    store: Store | None,
    force: bool = False,
    progress: Reporter | None = None,
    schedule: str = DEFAULT_SCHEDULE,
    memory_budget_mb: float | None = None,
    stop: Any = None,
    pause_s: float = 0.0,
) -> TimedSweep:
    """Export, time (in ``schedule`` order) and, with a ``store``, store every unit.

    Without a store nothing is stored or reused and a failed unit's record has
    ``status="failed"`` (the caller decides what to keep). ``stop(sessions)`` and
    ``pause_s`` go to :func:`~mobench.workflows.schedule.run_schedule` (``stop`` is
    given the timing sessions).
    """
    records: list[RunRecord | None] = [None] * len(units)
    sessions: list[Any] = []
    timed: list[int] = []
    estimates: list[float] = []
    with reporter_or_null(progress).phase("sweep", total=len(units)) as tick:
        for u_i, u in enumerate(units):
            tick(u.label, "start")
            rec, art = _prepare(u, config, store, force, tick)
            if rec is not None:
                records[u_i] = rec
                tick(u.label, "reused" if rec.reused else rec.status, True)
                continue
            try:
                sess = (
                    u.device.session(u.model, art, config)
                    if isinstance(u.device, LocalDevice)
                    else _WholeRun(u.device, u.model, art, config)
                )
            except Exception as exc:
                records[u_i] = _store(_run_failure(u, config, art, exc), u, store)
                tick(u.label, "failed", True)
                continue
            sessions.append(sess)
            timed.append(u_i)
            estimates.append(estimate_mb(art))
        seed = int(config.seed)
        budget = (
            memory_budget_mb
            if memory_budget_mb is not None
            else (default_budget_mb() if schedule != "contiguous" and len(sessions) > 1 else None)
        )
        groups = (
            memory_groups(estimates, budget)
            if budget is not None and schedule != "contiguous"
            else [list(range(len(sessions)))]
        )
        if len(groups) > 1:
            tick(
                "sweep",
                f"{len(sessions)} models need ~{sum(estimates):.0f} MB loaded together, over the "
                f"memory budget of {budget:.0f} MB: interleaving in {len(groups)} groups, one after another",
            )
        labels = [units[i].label for i in timed]
        # The host is looked at before timing on this machine (a tethered phone's run is not timed here);
        # the line goes to the progress and is stored with the sweep.
        host = check_host() if any(isinstance(s, TimingSession) for s in sessions) else None
        if host is not None:
            note(progress, host.line())
        result = TimedSweep(
            records=[], schedule=schedule, seed=seed, labels=labels, groups=groups, budget_mb=budget, host=host
        )
        # The sweep row goes in first and every run is stored as soon as its timing ends, so an
        # interrupted sweep keeps its finished runs (a second run resumes from them).
        sweep_id = store.add_sweep(**result.sweep_row()) if store is not None and sessions else None
        order: list[int] = []
        errors: dict[int, tuple[str, str | None]] = {}

        def finish(k: int) -> None:
            u_i = timed[k]
            if records[u_i] is not None:
                return
            u, sess = units[u_i], sessions[k]
            if k in errors or sess.record is None:
                msg, tb = errors.get(k, ("the device returned no record", None))
                art = sess.art if isinstance(sess, _WholeRun) else sess.artifact
                rec = _failed(u.model, u.device, config, msg, "run", **u.device.artifact_fields(art))
                rec.traceback = tb
            else:
                rec = sess.record
            rec.schedule = schedule
            rec.sweep_id = sweep_id
            rec.round_slots = [j for j, x in enumerate(order) if x == k]
            if u.unfused:
                rec.variant = "unfused"
            records[u_i] = _store(rec, u, store)
            tick(labels[k], "timed" if rec.status == "ok" else "failed", True)

        def on_round(k: int) -> None:
            tick(labels[k], f"round {sessions[k].rounds_done}/{config.rounds}")

        try:
            run_schedule(
                sessions,
                schedule,
                seed=seed,
                groups=groups,
                on_round=on_round,
                on_done=finish,
                round_order=order,
                errors=errors,
                stop=None if stop is None else (lambda: stop(sessions)),
                pause_s=pause_s,
            )
        finally:
            if sweep_id is not None and store is not None:
                store.set_sweep_order(sweep_id, order)
        for k in range(len(sessions)):
            finish(k)
        result.round_order = order
    result.records = [r for r in records if r is not None]
    return result


def _store(rec: RunRecord, u: Unit, store: Store | None) -> RunRecord:
    rec.config_key = u.key
    if is_user_key(u.model):
        rec.model_source = lookup(u.model).to_dict()
        if not rec.inputs:
            try:
                rec.inputs = inputs_of(u.model).to_dict()
            except MobenchError:  # a failed record of a model whose inputs do not resolve
                pass
    if store is not None:
        rec.run_id = store.add_run(rec, config_key=u.key)
    return rec


def _run_failure(u: Unit, config, art, exc: Exception) -> RunRecord:
    rec = _failed(u.model, u.device, config, one_line(exc), "run", **u.device.artifact_fields(art))
    if not isinstance(exc, MobenchError):
        rec.traceback = traceback.format_exc(limit=8)
    return rec


def _prepare(u: Unit, config, store: Store | None, force: bool, tick: Tick):
    """``(record, None)`` when the unit is settled before timing (failed export, reused run), else ``(None, artifact)``."""
    name, dev, export_config = u.model, u.device, u.export_config
    art = None
    if dev.artifact_format is not None:
        tick(u.label, "export")
        try:
            art = _artifact(name, dev, config, export_config, step=lambda what: tick(u.label, f"export: {what}"))
        except ArtifactIntegrityError as exc:
            return _failed(name, dev, config, str(exc), "artifact", artifact_format=dev.artifact_format), None
        except Exception as exc:
            rec = _failed(
                name,
                dev,
                config,
                one_line(exc),
                "export",
                artifact_format=dev.artifact_format,
                reparameterized=getattr(export_config, "reparameterize", True),
            )
            rec.traceback = traceback.format_exc(limit=8) if not isinstance(exc, MobenchError) else None
            return _store(rec, u, store), None
    sha = (art.manifest or {}).get("sha256") if art is not None else None
    if not force and store is not None:
        planned = dev.target(art)
        found = store.find_run(name, dev.name, sha, u.key, planned.key if planned is not None else None)
        if found is not None:
            rec = store.get_run(found)
            rec.reused = True
            return rec, None
    return None, art
