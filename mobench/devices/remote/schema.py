"""Validation of plans, reports, progress markers and stdout run lines against the JSON Schemas.

The schemas in ``schema/`` are the one source of truth (the Swift Codable types
mirror them). Validation here is JSON Schema (draft 2020-12, with format
checks) plus the cross-field rules a schema cannot express (sample counts per
round, unique run ids, a report matching its plan). Every problem raises
:class:`~mobench.core.errors.SchemaError` with where and what, so nothing invalid
reaches the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from ...core.errors import SchemaError
from .constants import SCHEMA_DIR, SCHEMA_VERSION, STDOUT_LINE_KEY

KINDS = ("plan", "report", "progress")


@cache
def load_schema(kind: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown schema {kind!r}")
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


@cache
def _validator(kind: str, ref: str | None = None):
    import jsonschema

    schema = load_schema(kind)
    if ref is not None:  # a sub-schema of the same document, e.g. the stdout run line
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{ref}"}
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=_format_checker())


@cache
def _format_checker():
    """jsonschema's checker, plus a dependency-free RFC 3339 ``date-time`` check.

    (jsonschema checks ``date-time`` only when the optional rfc3339-validator is
    installed; the host must reject a bad timestamp either way.)
    """
    import copy
    import re
    from datetime import datetime

    import jsonschema

    checker = copy.deepcopy(jsonschema.Draft202012Validator.FORMAT_CHECKER)
    rfc3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not rfc3339.match(value):
            return False
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # ValueError for e.g. month 13
        return True

    return checker


def _path(err) -> str:
    parts = [str(p) for p in err.absolute_path]
    return "/".join(parts) if parts else "(top level)"


def _check(kind: str, obj: Any, what: str, ref: str | None = None) -> None:
    if not isinstance(obj, dict):
        raise SchemaError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    version = obj.get("schema_version", SCHEMA_VERSION if kind == "progress" else None)
    if kind != "progress" and version != SCHEMA_VERSION:
        raise SchemaError(
            f"{what}: unsupported schema_version {version!r} (this mobench reads {SCHEMA_VERSION}); "
            "update mobench or the harness app so both speak the same version"
        )
    errors = sorted(_validator(kind, ref).iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SchemaError(f"{what} does not match the {kind} schema at {_path(e)}: {e.message}{more}")


def validate_plan(plan: Any, what: str = "plan") -> dict[str, Any]:
    _check("plan", plan, what)
    ids = [r["run_id"] for r in plan["runs"]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SchemaError(f"{what}: duplicate run_id {', '.join(dup)}")
    proto = plan["protocol"]
    if 2 * proto["trim"] >= proto["inferences"]:
        raise SchemaError(f"{what}: protocol.trim {proto['trim']} leaves no samples of {proto['inferences']}")
    return plan


def _check_run_shape(run: dict[str, Any], proto: dict[str, Any], where: str) -> None:
    """Cross-field rules for a finished (``ok``) run."""
    rounds, n = proto["rounds"], proto["inferences"]
    if len(run["samples_ms"]) != rounds:
        raise SchemaError(f"{where}: {len(run['samples_ms'])} rounds of samples, protocol says {rounds}")
    bad = [i for i, r in enumerate(run["samples_ms"]) if len(r) != n]
    if bad:
        raise SchemaError(f"{where}: round {bad[0]} has {len(run['samples_ms'][bad[0]])} samples, protocol says {n}")
    if len(run["rounds"]) != rounds:
        raise SchemaError(f"{where}: {len(run['rounds'])} round records, protocol says {rounds}")
    if [r["index"] for r in run["rounds"]] != list(range(rounds)):
        raise SchemaError(f"{where}: round indices must be 0..{rounds - 1} in order")
    if len(run["warmup_ms"]) != rounds:
        raise SchemaError(f"{where}: {len(run['warmup_ms'])} rounds of warm-up, protocol says {rounds}")
    loads = rounds if proto["reload_per_round"] else 1
    if len(run["load_ms"]) != loads or len(run["first_prediction_ms"]) != loads:
        raise SchemaError(
            f"{where}: {len(run['load_ms'])} load_ms / {len(run['first_prediction_ms'])} first_prediction_ms, "
            f"expected {loads} (reload_per_round={proto['reload_per_round']})"
        )


def validate_report(report: Any, plan: dict[str, Any] | None = None, what: str = "report") -> dict[str, Any]:
    """Validate ``report`` (and that it answers ``plan``, if given); return it."""
    _check("report", report, what)
    ids = [r["run_id"] for r in report["runs"]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SchemaError(f"{what}: duplicate run_id {', '.join(dup)}")
    for run in report["runs"]:
        if run["status"] == "ok":
            _check_run_shape(run, report["protocol"], f"{what}: run {run['run_id']}")
    if plan is not None:
        if report["plan_id"] != plan["plan_id"]:
            raise SchemaError(
                f"{what} is for plan {report['plan_id']!r}, not {plan['plan_id']!r}; "
                "an old report.json may still be in the app's Documents"
            )
        planned = {r["run_id"]: r for r in plan["runs"]}
        for run in report["runs"]:
            p = planned.get(run["run_id"])
            if p is None:
                raise SchemaError(f"{what}: run {run['run_id']!r} is not in the plan")
            for key in ("model", "file", "sha256", "compute_units"):
                if run[key] != p[key]:
                    raise SchemaError(f"{what}: run {run['run_id']!r} has {key}={run[key]!r}, plan says {p[key]!r}")
    return report


def validate_progress(progress: Any, what: str = "progress.json") -> dict[str, Any]:
    _check("progress", progress, what)
    return progress


def validate_run_line(line: Any, what: str = "run line") -> dict[str, Any]:
    _check("report", line, what, ref="run_line")
    if line["run"]["status"] == "ok":
        _check_run_shape(line["run"], line["protocol"], f"{what}: run {line['run']['run_id']}")
    return line


def loads_json(data: bytes | str, what: str) -> Any:
    """Parse JSON or raise SchemaError (truncated or malformed files)."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{what} is not valid JSON ({exc}); was it truncated while copying?") from exc


def read_json(path: str | Path, what: str | None = None) -> Any:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SchemaError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return loads_json(data, what or str(path))


def report_from_lines(lines: Iterable[str], what: str = "log") -> dict[str, Any]:
    """Rebuild a report from the app's stdout run lines in a console capture or farm log.

    Lines that are not run lines are ignored; all run lines must belong to one
    plan (the last line of a run_id wins if a run was printed twice).
    """
    found: list[dict[str, Any]] = []
    marker = f'"{STDOUT_LINE_KEY}"'
    for n, raw in enumerate(lines, 1):
        if marker not in raw:
            continue
        start = raw.find("{")
        if start < 0:
            continue
        try:
            obj = json.loads(raw[start:].strip())
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{what}, line {n}: a mobench run line that is not valid JSON (truncated log?)") from exc
        found.append(validate_run_line(obj, f"{what}, line {n}"))
    if not found:
        raise SchemaError(f'{what}: no mobench run lines (JSON objects with "{STDOUT_LINE_KEY}") found')
    plans = sorted({f["plan_id"] for f in found})
    if len(plans) > 1:
        raise SchemaError(f"{what}: run lines from {len(plans)} plans ({', '.join(plans)}); split the log per plan")
    runs: dict[str, dict[str, Any]] = {}
    for f in found:
        runs[f["run"]["run_id"]] = f["run"]
    first, last = found[0], found[-1]
    starts = [s for r in runs.values() if (s := r.get("started"))]
    ends = [e for r in runs.values() if (e := r.get("finished"))]
    report = {
        "schema_version": SCHEMA_VERSION,
        "plan_id": first["plan_id"],
        "app_version": last["app_version"],
        "protocol_version": last["protocol_version"],
        "clock": last["clock"],
        "started": min(starts) if starts else "1970-01-01T00:00:00Z",
        "finished": max(ends) if ends else "1970-01-01T00:00:00Z",
        "device": first["device"],
        "protocol": first["protocol"],
        "input_kind": first["input_kind"],
        "runs": list(runs.values()),
    }
    engines = sorted({f.get("engine", "coreml") for f in found})
    if len(engines) > 1:
        raise SchemaError(
            f"{what}: run lines from {len(engines)} engines ({', '.join(engines)}); split the log per engine"
        )
    if "engine" in first:
        report["engine"] = first["engine"]
    return validate_report(report, what=what)
