"""RunRecord's control state is typed fields; the store keeps them under the extra keys runs were
always stored with, so old stored runs read back with their fields set."""

from __future__ import annotations

import json
import sqlite3

from mobench.core import protocol
from mobench.core.records import RunRecord
from mobench.results import Store


def _record(**kw) -> RunRecord:
    cfg = protocol("quick").with_(rounds=1, inferences=3)
    base = dict(model="m", device="cpu", protocol=cfg.name, config=cfg.to_dict(), samples_ms=[[1.0, 2.0, 3.0]])
    return RunRecord(**{**base, **kw})


def test_fields_are_stored_under_their_old_extra_keys_and_read_back(tmp_path):
    rec = _record(
        schedule="interleaved",
        round_slots=[0, 2],
        variant="unfused",
        stopped_by_budget=True,
        config_key="k1",
        extra={"pid": 7, "report_key": "p/r"},
    )
    assert rec.stored_extra() == {
        "pid": 7,
        "report_key": "p/r",
        "schedule": "interleaved",
        "round_slots": [0, 2],
        "variant": "unfused",
        "stopped_by_budget": True,
        "config_key": "k1",
    }
    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        run_id = st.add_run(rec)
        back = st.get_run(run_id)
    assert back.run_id == run_id and back.config_key == "k1" and back.schedule == "interleaved"
    assert back.round_slots == [0, 2] and back.variant == "unfused" and back.stopped_by_budget is True
    assert back.extra == {"pid": 7, "report_key": "p/r"} and not back.reused
    extra = json.loads(sqlite3.connect(db).execute("SELECT extra_json FROM runs").fetchone()[0])
    assert extra["variant"] == "unfused" and "run_id" not in extra and "reused" not in extra


def test_a_run_stored_with_control_keys_in_extra_reads_as_fields(tmp_path):
    """What earlier versions wrote: stage, traceback and the rest inside extra_json."""
    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        run_id = st.add_run(_record(status="failed", error="export: boom", samples_ms=[]))
    con = sqlite3.connect(db)
    old = {"stage": "export", "traceback": "Traceback ...", "model_source": {"kind": "factory"}, "stored": True}
    con.execute("UPDATE runs SET extra_json = ? WHERE id = ?", (json.dumps(old), run_id))
    con.commit()
    con.close()
    with Store(db, readonly=True) as st:
        rec = st.get_run(run_id)
    assert rec.failed_at == "export" and rec.traceback == "Traceback ..." and rec.model_source == {"kind": "factory"}
    assert rec.extra == {}  # the control keys became fields; "stored" meant nothing once read back


def test_from_dict_round_trips_to_dict():
    rec = _record(run_id=3, reused=True, failed_at="run", sweep_id=2, extra={"note": "x"})
    assert RunRecord.from_dict(rec.to_dict()) == rec
    legacy = RunRecord.from_dict({"model": "m", "device": "cpu", "extra": {"run_id": 9, "reused": True, "note": 1}})
    assert legacy.run_id == 9 and legacy.reused and legacy.extra == {"note": 1}
