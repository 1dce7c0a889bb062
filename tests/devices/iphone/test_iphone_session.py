"""The host side end to end against the Python stand-in app (folder transport): plan -> run -> report -> store.

The stand-in reads the plan from the folder standing in for the app's
Documents, times the model for real with ONNX Runtime and writes the report,
progress and stdout lines of PROTOCOL.md; only the transport differs from a
phone.
"""

from __future__ import annotations

import json
import sys

import pytest
from iphone_helpers import STANDIN_CMD, make_plan_dir

from mobench.core.errors import DeviceError, SchemaError
from mobench.devices.iphone.transport import FolderTransport
from mobench.devices.remote.schema import validate_report
from mobench.devices.remote.session import run_session
from mobench.results import Store, load


def test_stand_in_run_is_validated_and_stored(tmp_path, plan_dir):
    db = tmp_path / "r.sqlite"
    seen = []
    t = FolderTransport(tmp_path / "docs", STANDIN_CMD)
    res = run_session(
        plan_dir, t, db=db, reports_dir=tmp_path / "reports", poll=0.1, timeout=300, on_progress=seen.append
    )
    rep = res.report
    plan = json.loads((plan_dir / "plan.json").read_text())
    validate_report(rep, plan)
    assert rep["plan_id"] == plan["plan_id"] and len(rep["runs"]) == 2
    for run in rep["runs"]:
        assert run["status"] == "ok", run["error"]
        assert run["sha256_verified"] is True
        assert [len(r) for r in run["samples_ms"]] == [5, 5]
        assert all(v > 0 for r in run["samples_ms"] for v in r)  # real timings, not placeholders
        assert len(set(v for r in run["samples_ms"] for v in r)) > 1
        assert len(run["load_ms"]) == 1 and run["compile_ms"] > 0
        assert run["warmup_ms"][0] == [run["first_prediction_ms"][0]]  # first prediction = first warm-up
        assert run["inputs"][0]["shape"] == [1, 3, 16, 16]
    assert seen[-1]["state"] == "finished" and seen[-1]["done"] == 2
    # raw report kept next to the store, stdout run lines in the console capture
    assert json.loads(res.report_path.read_text()) == rep
    lines = [json.loads(ln) for ln in t.console().splitlines() if ln.startswith('{"mobench_run"')]
    assert [ln["run"]["run_id"] for ln in lines] == [r["run_id"] for r in rep["runs"]]
    # stored as device iphone with the phone-side fields
    assert res.ingest.summary() == {"stored": 2, "duplicates": 0}
    df = load(db)
    assert list(df["device"]) == ["iphone", "iphone"]
    assert sorted(df["compute_units"]) == ["all", "cpuAndNeuralEngine"]
    assert df["device_model"].str.startswith("PythonStandIn").all()
    assert (df["n_samples"] == 10).all() and (df["median_ms"] > 0).all()
    with Store(db, readonly=True) as s:
        rec = s.get_run(res.ingest.stored[0])
    assert rec.samples_ms == rep["runs"][0]["samples_ms"]


def test_running_the_same_plan_again_stores_new_runs(tmp_path, plan_dir):
    db = tmp_path / "r.sqlite"
    for _ in range(2):
        t = FolderTransport(tmp_path / "docs", STANDIN_CMD)
        res = run_session(plan_dir, t, db=db, reports_dir=tmp_path / "reports", poll=0.1, timeout=300)
    assert res.ingest.summary()["stored"] == 2  # new measurements (different samples), not duplicates
    assert len(load(db)) == 4


def test_a_model_that_fails_is_a_failed_entry_not_a_crash(tmp_path, tiny_onnx):
    plan_dir = make_plan_dir(tmp_path, tiny_onnx.path, compute_units=("all",))
    (plan_dir / "tiny.onnx").write_bytes(b"not an onnx model")  # the app cannot load it
    db = tmp_path / "r.sqlite"
    res = run_session(
        plan_dir,
        FolderTransport(tmp_path / "docs", STANDIN_CMD),
        db=db,
        reports_dir=tmp_path / "reports",
        poll=0.1,
        timeout=300,
    )
    (run,) = res.report["runs"]
    assert run["status"] == "failed" and run["error"]
    with Store(db, readonly=True) as s:
        assert s.get_run(res.ingest.stored[0]).status == "failed"


def test_app_that_exits_without_a_report(tmp_path, plan_dir):
    t = FolderTransport(tmp_path / "docs", [sys.executable, "-c", "print('crashed while loading')"])
    with pytest.raises(DeviceError, match="finished without writing report.json .app output: crashed while loading"):
        run_session(plan_dir, t, db=tmp_path / "r.sqlite", reports_dir=tmp_path / "rep", poll=0.1, timeout=60)
    assert not (tmp_path / "r.sqlite").exists()


def test_timeout_names_the_next_step(tmp_path, plan_dir):
    t = FolderTransport(tmp_path / "docs", [sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(
        DeviceError,
        match="no finished report after 1 s .no progress.json from the app yet.; check that the app is in the foreground",
    ):
        run_session(plan_dir, t, db=tmp_path / "r.sqlite", reports_dir=tmp_path / "rep", poll=0.1, timeout=1)
    assert t.app_exited() is True  # the session stops what it started


def test_stale_report_of_another_plan_is_refused(tmp_path, plan_dir, golden_report):
    """An old report.json left in Documents is never taken for the new plan's result."""
    code = f"import json; open('report.json','w').write({json.dumps(json.dumps(golden_report))})"
    t = FolderTransport(tmp_path / "docs", [sys.executable, "-c", code])
    with pytest.raises(SchemaError, match="an old report.json may still be in the app's Documents"):
        run_session(plan_dir, t, db=tmp_path / "r.sqlite", reports_dir=tmp_path / "rep", poll=0.1, timeout=60)
    assert not (tmp_path / "r.sqlite").exists()


def test_partial_report_is_kept_not_stored(tmp_path, plan_dir):
    """The app stopped after the first run: the session says so and keeps the report for ingest."""
    # the stand-in runs in a scratch copy; only its truncated report appears in "Documents"
    code = (
        "import json, os, shutil, subprocess, sys\n"
        "shutil.copytree('.', '../scratch', dirs_exist_ok=True)\n"
        f"subprocess.run([sys.executable, {STANDIN_CMD[1]!r}, '--autostart', '--documents', '../scratch'], check=True)\n"
        "r = json.load(open('../scratch/report.json')); r['runs'] = r['runs'][:1]\n"
        "json.dump(r, open('report.json', 'w'))\n"
    )
    t = FolderTransport(tmp_path / "docs", [sys.executable, "-c", code])
    with pytest.raises(DeviceError, match=r"the report has 1 of 2 runs .*`mobench ios ingest` stores it"):
        run_session(plan_dir, t, db=tmp_path / "r.sqlite", reports_dir=tmp_path / "rep", poll=0.1, timeout=300)
    kept = list((tmp_path / "rep").glob("*.json"))
    assert len(kept) == 1 and len(json.loads(kept[0].read_text())["runs"]) == 1
    assert not (tmp_path / "r.sqlite").exists()
