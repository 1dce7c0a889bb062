"""Reports from a remote device's harness app -> :class:`~mobench.core.records.RunRecord` -> results store.

Every ingest validates first (schema + cross-field rules, and against the plan
when the host has it), so a malformed, truncated or wrong-version report stores
nothing. Each run of a report becomes one stored run on the device its engine
names in the :class:`~mobench.devices.remote.RemoteKind` (for an iPhone:
``device="iphone"`` for Core ML runs, ``engine`` "coreml" or none in reports of
older apps, and ``device="harness-known-cost"`` for the harness package's
synthetic known-cost engine, so those never pass for an iPhone measurement;
:func:`device_name`);
the same report ingested twice is stored once: every run carries
``extra.report_key`` (plan_id/run_id) and ``extra.report_run_sha256`` (hash of
the run's canonical JSON), and a run whose key and hash are already in the
store is skipped. A run with the same key but different content (e.g. the plan
was run again) is stored as a new run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...core.configs import PROTOCOLS, BenchConfig
from ...core.errors import SchemaError, UsageError
from ...core.records import RunRecord
from ...core.target import Target, short_compute_units, udid_hash
from ...core.util import host_provenance
from ...results import Store
from . import RemoteKind, remote_kind, reuse_key
from .constants import STDOUT_LINE_KEY
from .schema import loads_json, report_from_lines, validate_report


def device_name(report: dict[str, Any], kind: RemoteKind | str | None = None) -> str:
    """The store's device for a report's runs (for an iPhone: ``iphone`` only for Core ML)."""
    return remote_kind(kind).engine(report)[1]


@dataclass
class IngestResult:
    stored: list[int] = field(default_factory=list)  # store run ids of newly stored runs
    duplicates: list[int] = field(default_factory=list)  # store run ids that already held a run
    records: list[RunRecord] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {"stored": len(self.stored), "duplicates": len(self.duplicates)}


def run_sha256(run: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(run, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def report_key(plan_id: str, run_id: str) -> str:
    return f"{plan_id}/{run_id}"


def phone_target(
    backend: str,
    *,
    model_identifier: str | None,
    udid: str | None,
    compute_units: str | None,
    runtime: str | None,
    runtime_version: str | None = None,
    recipe: str | None = None,
    udid_sha: str | None = None,
    kind: RemoteKind | str | None = None,
) -> Target:
    """A target on a phone (model identifier + UDID hash + compute units).

    Labelled by the phone, not the backend (``iphone13,2/ane``); a device name other
    than the kind's own (the harness's synthetic engine) leads the label, so its runs
    never read as the phone's."""
    parts = [(model_identifier or "unknown-phone").lower()]
    if backend != remote_kind(kind).name:
        parts.insert(0, backend)
    if compute_units:
        parts.append(str(compute_units))
    return Target(
        backend=backend,
        hardware=model_identifier,
        hardware_id=udid_sha or udid_hash(udid),
        runtime=runtime,
        runtime_version=runtime_version,
        recipe=recipe,
        options={"compute_units": compute_units} if compute_units else {},
        label_parts=tuple(parts),
    )


def _config(report: dict[str, Any]) -> dict[str, Any]:

    proto = report["protocol"]
    fields = {k: proto[k] for k in ("warmup", "rounds", "inferences", "trim", "reload_per_round")}
    name = proto.get("name") or "custom"
    base = PROTOCOLS.get(name) if name in PROTOCOLS else None
    try:
        if base is not None and all(getattr(base, k) == v for k, v in fields.items()):
            cfg = replace(base, input_kind=report["input_kind"])
        else:
            cfg = BenchConfig(
                name=name if base is None else f"{name}+custom", input_kind=report["input_kind"], **fields
            )
    except UsageError as exc:
        raise SchemaError(f"report protocol is not usable: {exc}") from exc
    return cfg.to_dict()


def to_records(
    report: dict[str, Any],
    *,
    source: str | None = None,
    plan: dict[str, Any] | None = None,
    udid: str | None = None,
    kind: RemoteKind | str | None = None,
    config: Any = None,
) -> list[RunRecord]:
    """One RunRecord per run of a validated report (``plan`` adds what the host knows: recipe, ...).

    Each run's target is the phone (model identifier, and a hash of its UDID when the host
    knows it: ``udid`` or the plan's ``host.udid_sha256``), the engine as runtime with the OS
    version (Core ML ships with iOS), the compute units and the model's recipe.

    ``config`` (the :class:`~mobench.core.configs.BenchConfig` the plan was made from) gives
    each run the reuse key ``mobench bench --device`` uses for the same measurement
    (config + compute units + UDID), so either command reuses the other's runs.
    """
    dev = report["device"]
    udid_sha = udid_hash(udid) or ((plan or {}).get("host") or {}).get("udid_sha256")
    bench_config = config
    config = bench_config.to_dict() if bench_config is not None else _config(report)
    engine, device, runtime = remote_kind(kind).engine(report)
    prov = host_provenance()
    prov["measured_on"] = {"device": device, "engine": engine, **dev}
    artifacts = ((plan or {}).get("host") or {}).get("artifacts") or {}
    plan_runs = {r.get("run_id"): r for r in (plan or {}).get("runs") or []}
    records = []
    for run in report["runs"]:
        art = artifacts.get(run["file"]) or {}
        recipe = (plan_runs.get(run["run_id"]) or {}).get("recipe") or art.get("recipe") or art.get("precision")
        mem = dict(run.get("memory") or {})
        if mem:
            mem["method"] = "task_vm_info.phys_footprint (MiB)"
        extra: dict[str, Any] = {
            "report_key": report_key(report["plan_id"], run["run_id"]),
            "report_run_sha256": run_sha256(run),
            "plan_id": report["plan_id"],
            "plan_run_id": run["run_id"],
            "file": run["file"],
            "sha256_verified": run.get("sha256_verified"),
            "clock": report["clock"],
            "report_started": report["started"],
            "report_finished": report["finished"],
            "engine": engine,
        }
        if recipe:
            extra["recipe"] = recipe
        for key in (
            "compute_plan",
            "inputs",
            "started",
            "finished",
            "compile_reused",
            "cold_load_ms",
            "warm_load_ms",
            "thermal_wait",
        ):
            if key in run:
                extra[key] = run[key]
        if source:
            extra["report_source"] = source
        key = reuse_key(bench_config, run["compute_units"], udid) if bench_config is not None else None
        target = phone_target(
            device,
            model_identifier=dev["model_identifier"],
            udid=None,
            udid_sha=udid_sha,
            compute_units=short_compute_units(run["compute_units"]),
            runtime=engine,
            runtime_version=f"{dev['os_name']} {dev['os_version']}",
            recipe=recipe,
            kind=kind,
        )
        records.append(
            RunRecord(
                model=run["model"],
                device=device,
                status=run["status"],
                error=run["error"],
                artifact_format=remote_kind(kind).artifact_format,
                artifact_sha256=run["sha256"],
                artifact_path=run["file"],
                recipe=recipe,
                reparameterized=art.get("reparameterized"),
                protocol=config["name"],
                config=config,
                device_info={
                    "device_model": dev["model_identifier"],
                    "os_name": dev["os_name"],
                    "os_version": dev["os_version"],
                    "os_build": dev.get("os_build"),
                    "compute_units": run["compute_units"],
                    "app_version": report["app_version"],
                    "protocol_version": report["protocol_version"],
                    "runtime": runtime,
                    "engine": engine,
                    "udid_sha256": udid_sha,
                    "low_power_mode": dev["low_power_mode"],
                    "thermal_state": dev["thermal_state"],
                    "physical_memory_mb": dev.get("physical_memory_mb"),
                    "processor_count": dev.get("processor_count"),
                },
                provenance=prov,
                compile_ms=run["compile_ms"],
                load_ms=list(run["load_ms"]),
                first_inference_ms=list(run["first_prediction_ms"]),
                warmup_ms=[list(r) for r in run["warmup_ms"]],
                samples_ms=[list(r) for r in run["samples_ms"]],
                memory=mem,
                rounds_info=[dict(r) for r in run["rounds"]],
                extra=extra,
                config_key=key,
                created=run.get("finished") or report["finished"],
                target=target.to_dict(),
            )
        )
    return records


def ingest_report(
    report: Any,
    db: str | os.PathLike | None = None,
    *,
    plan: dict[str, Any] | None = None,
    source: str | None = None,
    store=None,
    udid: str | None = None,
    kind: RemoteKind | str | None = None,
    config: Any = None,
) -> IngestResult:
    """Validate ``report`` (against ``plan`` if given) and store its runs once."""
    validate_report(report, plan)
    records = to_records(report, source=source, plan=plan, udid=udid, kind=kind, config=config)
    result = IngestResult(records=records)
    own = store is None
    store = Store(db) if own else store
    try:
        for rec in records:
            dups = store.find_by_extra(
                rec.device, report_key=rec.extra["report_key"], report_run_sha256=rec.extra["report_run_sha256"]
            )
            if dups:
                result.duplicates.append(dups[0])
                continue
            result.stored.append(store.add_run(rec))
    finally:
        if own:
            store.close()
    return result


def read_report_file(path: str | os.PathLike) -> Any:
    """A report JSON file, or a console/farm log holding the app's run lines."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        obj = None
    else:
        if not (isinstance(obj, dict) and STDOUT_LINE_KEY in obj):
            return obj  # a report (or something else the validation will name)
    first_line = data.lstrip().split(b"\n", 1)[0]
    if obj is None and data.lstrip().startswith(b"{") and f'"{STDOUT_LINE_KEY}"'.encode() not in first_line:
        return loads_json(data, str(path))  # raises SchemaError: truncated / malformed report
    return report_from_lines(_lines(data), what=str(path))


def _lines(data: bytes) -> Iterable[str]:
    return data.decode("utf-8", errors="replace").splitlines()
