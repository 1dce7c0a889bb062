"""`mobench ios ingest` and ingest_report: valid, malformed, truncated, duplicate and wrong-version reports."""

from __future__ import annotations

import json

import pytest

from mobench.core.errors import SchemaError
from mobench.devices.remote.ingest import ingest_report, read_report_file
from mobench.results import Store


def _count(db) -> int:
    if not db.exists():
        return 0
    with Store(db, readonly=True) as s:
        return len(s.find_by_extra())


def test_golden_report_is_stored_with_every_value(tmp_path, golden_report):
    db = tmp_path / "r.sqlite"
    res = ingest_report(golden_report, db)
    assert res.summary() == {"stored": 3, "duplicates": 0}
    with Store(db, readonly=True) as s:
        recs = [s.get_run(i) for i in res.stored]
    ok, ane, failed = recs
    src = golden_report["runs"][0]
    assert ok.device == "iphone" and ok.model == "mobileone_s0" and ok.status == "ok"
    assert ok.samples_ms == src["samples_ms"] and ok.warmup_ms == src["warmup_ms"]
    assert ok.load_ms == src["load_ms"] and ok.first_inference_ms == src["first_prediction_ms"]
    assert ok.compile_ms == src["compile_ms"]
    assert ok.memory["peak_footprint_mb"] == src["memory"]["peak_footprint_mb"]
    assert ok.rounds_info == src["rounds"]
    assert ok.device_info["device_model"] == "iPhone13,2"
    assert ok.device_info["os_version"] == "17.5.1"
    assert ok.device_info["compute_units"] == "all" and ane.device_info["compute_units"] == "cpuAndNeuralEngine"
    assert ok.device_info["app_version"] == "1.0 (1)" and ok.device_info["protocol_version"] == 1
    assert ok.extra["compute_plan"]["cpu_fallback_with_ane_allowed"] is True
    assert ok.artifact_format == "coreml" and ok.artifact_sha256 == src["sha256"]
    assert ok.config["trim"] == 1 and ok.config["rounds"] == 2 and ok.config["input_kind"] == "image"
    assert failed.status == "failed" and "ios18.sdpa" in failed.error and failed.samples_ms == []


def test_same_report_twice_is_stored_once(tmp_path, golden_report):
    db = tmp_path / "r.sqlite"
    first = ingest_report(golden_report, db)
    again = ingest_report(json.loads(json.dumps(golden_report)), db)
    assert again.summary() == {"stored": 0, "duplicates": 3}
    assert again.duplicates == first.stored
    assert _count(db) == 3


def test_a_new_measurement_of_the_same_plan_is_a_new_run(tmp_path, golden_report, mutate):
    db = tmp_path / "r.sqlite"
    ingest_report(golden_report, db)
    rerun = mutate(golden_report, lambda r: r["runs"][0]["samples_ms"][0].__setitem__(0, 0.88))
    res = ingest_report(rerun, db)
    assert res.summary() == {"stored": 1, "duplicates": 2}
    assert _count(db) == 4


def test_cli_ingest_valid_then_duplicate(tmp_path, golden_report, cli):
    db, path = tmp_path / "r.sqlite", tmp_path / "report.json"
    path.write_text(json.dumps(golden_report))
    code, out, err = cli("ios", "ingest", path, "--db", db)
    assert code == 0, err
    assert "stored 3 run(s), 0 already stored" in out
    assert "iPhone13,2" in out and "cpuAndNeuralEngine" in out
    code, out, _ = cli("ios", "ingest", path, "--db", db)
    assert code == 0 and "stored 0 run(s), 3 already stored" in out
    assert _count(db) == 3


@pytest.mark.parametrize("case", ["malformed", "truncated", "wrong_version", "empty", "not_an_object", "bad_sample"])
def test_cli_bad_reports_store_nothing(case, tmp_path, golden_report, cli):
    db, path = tmp_path / "r.sqlite", tmp_path / "report.json"
    text = json.dumps(golden_report, indent=1)
    content = {
        "malformed": "{'schema_version': 1}",
        "truncated": text[: len(text) // 2],
        "wrong_version": json.dumps({**golden_report, "schema_version": 99}),
        "empty": "",
        "not_an_object": "[1, 2, 3]",
        "bad_sample": json.dumps(
            {**golden_report, "runs": [{**golden_report["runs"][0], "samples_ms": [["fast"] * 5] * 2}]}
        ),
    }[case]
    path.write_text(content)
    code, out, err = cli("ios", "ingest", path, "--db", db)
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err  # one line, no traceback
    assert {
        "malformed": "not valid JSON",
        "truncated": "truncated",
        "wrong_version": "unsupported schema_version 99",
        "empty": "no mobench run lines",
        "not_an_object": "expected a JSON object",
        "bad_sample": "samples_ms/0/0",
    }[case] in err
    assert _count(db) == 0


def test_cli_one_bad_file_among_several_stores_nothing(tmp_path, golden_report, cli):
    db = tmp_path / "r.sqlite"
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(golden_report))
    bad.write_text(json.dumps({**golden_report, "schema_version": 2}))
    code, _, err = cli("ios", "ingest", good, bad, "--db", db)
    assert code == 2 and "bad.json" in err
    assert _count(db) == 0


def test_cli_ingest_checks_against_the_plan(tmp_path, golden_report, golden_plan, cli):
    db, rp, pp = tmp_path / "r.sqlite", tmp_path / "report.json", tmp_path / "plan.json"
    rp.write_text(json.dumps(golden_report))
    pp.write_text(json.dumps({**golden_plan, "plan_id": "another-plan"}))
    code, _, err = cli("ios", "ingest", rp, "--plan", pp, "--db", db)
    assert code == 2 and "not 'another-plan'" in err
    assert _count(db) == 0


def test_ingest_a_device_farm_log(tmp_path, golden_report, cli):
    lines = ["Test Suite 'All tests' started at 2026-05-21 10:16:00.000"]
    for run in golden_report["runs"]:
        lines.append(
            json.dumps(
                {
                    "mobench_run": 1,
                    "schema_version": 1,
                    "plan_id": golden_report["plan_id"],
                    "app_version": golden_report["app_version"],
                    "protocol_version": 1,
                    "clock": golden_report["clock"],
                    "device": golden_report["device"],
                    "protocol": golden_report["protocol"],
                    "input_kind": golden_report["input_kind"],
                    "run": run,
                }
            )
        )
    lines.append("Test Suite 'All tests' passed")
    log = tmp_path / "farm.log"
    log.write_text("\n".join(lines) + "\n")
    rebuilt = read_report_file(log)
    assert len(rebuilt["runs"]) == 3
    db = tmp_path / "r.sqlite"
    code, out, err = cli("ios", "ingest", log, "--db", db)
    assert code == 0, err
    assert _count(db) == 3
    # the same runs from the report file are duplicates of the log's
    rp = tmp_path / "report.json"
    rp.write_text(json.dumps(golden_report))
    assert ingest_report(read_report_file(rp), db).summary() == {"stored": 0, "duplicates": 3}


def test_read_report_file_single_run_line(tmp_path, golden_report):
    line = {
        "mobench_run": 1,
        "schema_version": 1,
        "plan_id": golden_report["plan_id"],
        "app_version": "1",
        "protocol_version": 1,
        "clock": "ContinuousClock",
        "device": golden_report["device"],
        "protocol": golden_report["protocol"],
        "input_kind": "image",
        "run": golden_report["runs"][0],
    }
    p = tmp_path / "one.json"
    p.write_text(json.dumps(line))
    assert [r["run_id"] for r in read_report_file(p)["runs"]] == ["r001-mobileone_s0-all"]
    p.write_text(json.dumps({**line, "run": {**line["run"], "samples_ms": [[1.0]]}}))
    with pytest.raises(SchemaError):
        read_report_file(p)


def test_what_the_plan_knows_is_added(tmp_path, golden_report, golden_plan):
    plan = {
        **golden_plan,
        "host": {"artifacts": {"mobileone_s0.mlpackage": {"precision": "fp16", "reparameterized": True}}},
    }
    res = ingest_report(golden_report, tmp_path / "r.sqlite", plan=plan)
    with Store(tmp_path / "r.sqlite", readonly=True) as s:
        first, _, vit = (s.get_run(i) for i in res.stored)
    assert (first.recipe, first.reparameterized) == ("fp16", True)  # a plan written before the rename
    assert (vit.recipe, vit.reparameterized) == (None, None)


def test_known_cost_runs_are_never_stored_as_iphone(tmp_path, golden_report, mutate):
    """A report of the harness's synthetic engine is stored under its own device name."""
    db = tmp_path / "r.sqlite"
    synthetic = mutate(golden_report, lambda r: r.update(engine="known-cost"))
    res = ingest_report(synthetic, db)
    assert res.summary() == {"stored": 3, "duplicates": 0}
    with Store(db, readonly=True) as s:
        recs = [s.get_run(i) for i in res.stored]
    assert {r.device for r in recs} == {"harness-known-cost"}
    assert recs[0].device_info["engine"] == "known-cost" and "Core ML" not in recs[0].device_info["runtime"]
    assert recs[0].extra["cold_load_ms"] == golden_report["runs"][0]["cold_load_ms"]
    assert recs[1].extra["compile_reused"] is True
    # The Core ML report with the same plan and run ids is a different measurement: stored too.
    assert ingest_report(golden_report, db).summary() == {"stored": 3, "duplicates": 0}
    assert ingest_report(synthetic, db).summary() == {"stored": 0, "duplicates": 3}
    with Store(db, readonly=True) as s:
        assert (
            sorted(r.device for r in (s.get_run(i) for i in range(1, 7))) == ["harness-known-cost"] * 3 + ["iphone"] * 3
        )


def test_a_report_without_engine_is_core_ml(tmp_path, golden_report, mutate):
    older = mutate(golden_report, lambda r: r.pop("engine"))
    res = ingest_report(older, tmp_path / "r.sqlite")
    assert {r.device for r in res.records} == {"iphone"}
