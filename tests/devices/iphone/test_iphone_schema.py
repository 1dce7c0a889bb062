"""The plan/report/progress JSON Schemas, the golden examples, and the cross-field rules."""

from __future__ import annotations

import json

import jsonschema
import pytest

from mobench.core.errors import SchemaError
from mobench.devices.iphone.constants import EXAMPLES_DIR, SCHEMA_DIR, SCHEMA_VERSION
from mobench.devices.remote.schema import (
    load_schema,
    report_from_lines,
    validate_plan,
    validate_progress,
    validate_report,
    validate_run_line,
)


@pytest.mark.parametrize("kind", ["plan", "report", "progress"])
def test_schemas_are_valid_draft_2020_12(kind):
    schema = load_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_files_are_packaged_where_pyproject_says():
    names = sorted(p.name for p in SCHEMA_DIR.glob("*.json"))
    assert names == ["plan.schema.json", "progress.schema.json", "report.schema.json"]
    assert sorted(p.name for p in EXAMPLES_DIR.glob("*.json")) == ["plan.json", "report.json"]


def test_schema_version_is_a_constant_in_both_schemas():
    assert load_schema("plan")["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    assert load_schema("report")["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


def test_protocol_and_compute_units_definitions_do_not_drift():
    plan, report = load_schema("plan")["$defs"], load_schema("report")["$defs"]
    strip = lambda d: json.loads(json.dumps(d, sort_keys=True).replace('"description"', '"_d"'))  # noqa: E731

    def no_desc(d):
        if isinstance(d, dict):
            return {k: no_desc(v) for k, v in d.items() if k != "description"}
        return d

    assert no_desc(plan["protocol"]) == no_desc(report["protocol"])
    assert plan["compute_units"]["enum"] == report["compute_units"]["enum"]
    assert strip(plan["identifier"]) == strip(report["identifier"])


def test_golden_examples_validate_and_match(golden_plan, golden_report):
    validate_plan(golden_plan)
    validate_report(golden_report, golden_plan)
    statuses = {r["status"] for r in golden_report["runs"]}
    assert statuses == {"ok", "failed"}  # the golden report shows both shapes to the Swift side


def _all_keys(schema_obj: dict) -> set[str]:
    return set(schema_obj.get("properties", {}))


def test_golden_report_exercises_every_schema_key(golden_report):
    """The Swift side learns the shape from the golden file: it must use every key."""
    defs = load_schema("report")["$defs"]
    assert set(golden_report) == _all_keys(load_schema("report"))
    assert set(golden_report["device"]) == _all_keys(defs["device"])
    run_keys = set().union(*(set(r) for r in golden_report["runs"]))
    assert run_keys == _all_keys(defs["run"])
    ok = golden_report["runs"][0]
    assert set(ok["memory"]) == _all_keys(defs["memory"])
    assert set(ok["rounds"][0]) == _all_keys(defs["round"])
    assert set(ok["compute_plan"]) == _all_keys(defs["compute_plan"])
    assert set(ok["compute_plan"]["ops_by_device"]) == _all_keys(defs["compute_plan"]["properties"]["ops_by_device"])
    assert all(set(op) == _all_keys(defs["plan_op"]) for op in ok["compute_plan"]["ops"])
    assert set(ok["inputs"][0]) == _all_keys(defs["input"])


def test_golden_plan_exercises_every_schema_key(golden_plan):
    schema = load_schema("plan")
    assert set(golden_plan) | {"host"} == _all_keys(schema)
    assert set(golden_plan["runs"][0]) == _all_keys(schema["$defs"]["plan_run"])
    assert set(golden_plan["protocol"]) | {"cooldown_s"} == _all_keys(schema["$defs"]["protocol"])


# -- rejections: each mutation must be refused with a message that names the problem ---------------
def _set(path, value):
    def fn(obj):
        *head, last = path
        for k in head:
            obj = obj[k]
        obj[last] = value

    return fn


def _del(path):
    def fn(obj):
        *head, last = path
        for k in head:
            obj = obj[k]
        del obj[last]

    return fn


REPORT_MUTATIONS = {
    "unknown schema version": (_set(["schema_version"], 2), "unsupported schema_version 2"),
    "missing schema version": (_del(["schema_version"]), "unsupported schema_version None"),
    "missing device": (_del(["device"]), "'device' is a required property"),
    "unknown top-level key": (_set(["extra"], 1), "Additional properties"),
    "bad compute units": (_set(["runs", 0, "compute_units"], "neural"), "compute_units"),
    "bad thermal state": (_set(["runs", 0, "rounds", 0, "thermal_state_after"], "hot"), "thermal_state_after"),
    "negative sample": (_set(["runs", 0, "samples_ms", 0, 0], -1.0), "samples_ms/0/0"),
    "string sample": (_set(["runs", 0, "samples_ms", 0, 0], "0.9"), "samples_ms/0/0"),
    "ok run with an error": (_set(["runs", 0, "error"], "boom"), "runs/0/error"),
    "ok run without samples": (_set(["runs", 0, "samples_ms"], []), "runs/0/samples_ms"),
    "failed run without error": (_set(["runs", 2, "error"], None), "runs/2/error"),
    "bad date": (_set(["started"], "yesterday"), "started"),
    "impossible date": (_set(["finished"], "2026-13-01T00:00:00Z"), "finished"),
    "date without zone": (_set(["runs", 0, "started"], "2026-05-21T10:16:02"), "runs/0/started"),
    "short round": (_set(["runs", 0, "samples_ms", 1], [0.9, 0.9]), "round 1 has 2 samples"),
    "missing round": (_set(["runs", 0, "samples_ms"], [[0.9] * 5]), "1 rounds of samples"),
    "round records": (_set(["runs", 0, "rounds"], []), "0 round records"),
    "loads vs reload_per_round": (_set(["runs", 0, "load_ms"], [1.0]), "expected 2 (reload_per_round=True)"),
    "duplicate run id": (_set(["runs", 1, "run_id"], "r001-mobileone_s0-all"), "duplicate run_id"),
}


@pytest.mark.parametrize("name", sorted(REPORT_MUTATIONS))
def test_bad_reports_are_rejected(name, golden_report, mutate):
    fn, expected = REPORT_MUTATIONS[name]
    with pytest.raises(SchemaError) as err:
        validate_report(mutate(golden_report, fn))
    assert expected in str(err.value)


def test_report_must_answer_its_plan(golden_report, golden_plan, mutate):
    with pytest.raises(SchemaError, match="not 'other'"):
        validate_report(golden_report, mutate(golden_plan, _set(["plan_id"], "other")))
    with pytest.raises(SchemaError, match="sha256="):
        validate_report(mutate(golden_report, _set(["runs", 0, "sha256"], "0" * 64)), golden_plan)
    with pytest.raises(SchemaError, match="not in the plan"):
        validate_report(mutate(golden_report, _set(["runs", 0, "run_id"], "r999")), golden_plan)


PLAN_MUTATIONS = {
    "path in file name": (_set(["runs", 0, "file"], "../evil.mlpackage"), "runs/0/file"),
    "not a model file": (_set(["runs", 0, "file"], "plan.json"), "runs/0/file"),
    "bad sha": (_set(["runs", 0, "sha256"], "XYZ"), "runs/0/sha256"),
    "no runs": (_set(["runs"], []), "runs"),
    "zero rounds": (_set(["protocol", "rounds"], 0), "protocol/rounds"),
    "trim too large": (_set(["protocol", "trim"], 3), "leaves no samples"),
    "short token": (_set(["token"], "abc"), "token"),
    "ftp report url": (_set(["report_url"], "ftp://x/report"), "report_url"),
    "duplicate run id": (_set(["runs", 1, "run_id"], "r001-mobileone_s0-all"), "duplicate run_id"),
}


@pytest.mark.parametrize("name", sorted(PLAN_MUTATIONS))
def test_bad_plans_are_rejected(name, golden_plan, mutate):
    fn, expected = PLAN_MUTATIONS[name]
    with pytest.raises(SchemaError) as err:
        validate_plan(mutate(golden_plan, fn))
    assert expected in str(err.value)


def test_non_objects_are_rejected():
    for bad in ([], "x", 3, None):
        with pytest.raises(SchemaError, match="expected a JSON object"):
            validate_report(bad)


def test_progress_schema():
    validate_progress(
        {"plan_id": "p", "done": 1, "total": 2, "current": "r1", "round": 0, "state": "running", "error": None}
    )
    with pytest.raises(SchemaError, match="state"):
        validate_progress({"plan_id": "p", "done": 1, "total": 2, "state": "halfway"})


def _lines(report):
    for run in report["runs"]:
        yield json.dumps(
            {
                "mobench_run": 1,
                "schema_version": 1,
                "plan_id": report["plan_id"],
                "app_version": report["app_version"],
                "protocol_version": report["protocol_version"],
                "clock": report["clock"],
                "device": report["device"],
                "protocol": report["protocol"],
                "input_kind": report["input_kind"],
                "run": run,
            },
            separators=(",", ":"),
        )


def test_report_is_rebuilt_from_console_lines(golden_report):
    log = ["2026-05-21 10:16:01 MobenchHarness[412:9912] starting plan"]
    log += [f"2026-05-21 10:16:0{i} MobenchHarness[412:9912] {line}" for i, line in enumerate(_lines(golden_report))]
    rebuilt = report_from_lines(log)
    assert [r["run_id"] for r in rebuilt["runs"]] == [r["run_id"] for r in golden_report["runs"]]
    assert rebuilt["runs"][0]["samples_ms"] == golden_report["runs"][0]["samples_ms"]
    assert rebuilt["device"] == golden_report["device"]
    validate_run_line(json.loads(next(_lines(golden_report))))


def test_console_lines_errors(golden_report, mutate):
    lines = list(_lines(golden_report))
    with pytest.raises(SchemaError, match="line 2: a mobench run line that is not valid JSON"):
        report_from_lines([lines[0], lines[1][:200]])
    with pytest.raises(SchemaError, match="no mobench run lines"):
        report_from_lines(["hello", "world"])
    other = list(_lines(mutate(golden_report, _set(["plan_id"], "other-plan"))))
    with pytest.raises(SchemaError, match="from 2 plans"):
        report_from_lines([lines[0], other[1]])


def test_plan_inputs_of_a_core_ml_image_input_are_uint8_pixels(tmp_path):
    """A Core ML export with an image input (its manifest's dtype reads "uint8 image") is planned as
    an 8-bit image of the exported shape: a dtype the plan schema allows."""
    from types import SimpleNamespace

    from mobench.devices.remote.plan import plan_inputs

    art = SimpleNamespace(
        manifest={
            "input": {
                "name": "image",
                "shape": [1, 3, 224, 224],
                "dtype": "uint8 image",
                "layout": "RGB image (H x W)",
                "kind": "image",
            }
        }
    )
    (entry,) = plan_inputs(art, "mobilenet_v3_small", tmp_path, "m")
    assert entry == {"name": "image", "shape": [1, 3, 224, 224], "dtype": "uint8", "kind": "image"}
