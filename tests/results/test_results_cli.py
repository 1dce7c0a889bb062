"""`mobench bench / devices / results` through the real entry point: one-line errors, exit codes."""

import json
import sqlite3

import pytest

from mobench.core.records import RunRecord
from mobench.results import SCHEMA_VERSION, Store


def seed_db(path):
    with Store(path) as st:
        return st.add_run(
            RunRecord(
                model="mobileone_s0",
                device="cpu",
                protocol="quick",
                config={"name": "quick", "trim": 1, "rounds": 1, "inferences": 4},
                samples_ms=[[1.0, 2.0, 3.0, 4.0]],
                load_ms=[5.0],
                device_info={"threads": 2},
                provenance={"host": "h"},
            )
        )


def one_line_error(code, err):
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err


def test_devices_lists_all(run_cli):
    code, out, _ = run_cli(["devices", "--json"])
    assert code == 0
    names = {d["name"]: d for d in json.loads(out)}
    assert {"cpu", "torch", "coreml", "iphone"} <= set(names)
    assert names["cpu"]["available"] is True


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["bench", "--model", "mobileone_s9", "--device", "cpu"], "mobileone_s9"),
        (["bench", "--model", "mobileone_s0", "--device", "tpu"], "unknown device"),
        (["bench", "--model", "mobileone_s0", "--protocol", "fastest"], "unknown protocol"),
        (["bench", "--model", "mobileone_s0", "--device", "cpu", "-O", "compute_units=ane"], "has no option"),
        (["bench", "--model", "mobileone_s0", "--device", "coreml"], "needs macOS"),
        (["bench"], "no models given"),
    ],
)
def test_bench_bad_input(argv, needle, run_cli, tmp_path, monkeypatch):
    import platform

    if "coreml" in argv and platform.system() == "Darwin":
        pytest.skip("Core ML is usable on macOS")
    db = tmp_path / "r.sqlite"
    code, _, err = run_cli(argv + ["--db", str(db)])
    one_line_error(code, err)
    assert needle in err
    assert not db.exists()  # nothing created, nothing half-written


def test_bench_refuses_bad_databases(run_cli, tmp_path):
    newer = tmp_path / "newer.sqlite"
    seed_db(newer)
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    con.close()
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00garbage" * 64)
    ro = tmp_path / "ro.sqlite"
    seed_db(ro)
    ro.chmod(0o444)
    for db, needle in ((newer, "newer"), (junk, "corrupt"), (ro, "read-only")):
        before = db.read_bytes()
        code, _, err = run_cli(
            ["bench", "--model", "timm:test_vit", "--device", "torch", "--protocol", "quick", "--db", str(db)]
        )
        one_line_error(code, err)
        assert needle in err and db.read_bytes() == before


def test_results_list_show_export_delete(run_cli, tmp_path):
    db = tmp_path / "r.sqlite"
    rid = seed_db(db)
    code, out, _ = run_cli(["results", "list", "--db", str(db)])
    assert code == 0 and "mobileone_s0" in out and "median *" in out and "headline statistic: median" in out
    code, out, _ = run_cli(["results", "show", str(rid), "--db", str(db), "--json"])
    assert code == 0 and json.loads(out)["samples_ms"] == [[1.0, 2.0, 3.0, 4.0]]
    code, out, _ = run_cli(["results", "export", "--format", "csv", "--db", str(db)])
    header, row = out.strip().splitlines()
    assert code == 0 and header.startswith("run_id,created,status") and ",mobileone_s0," in row
    code, _, err = run_cli(["results", "export", "--format", "xlsx", "--db", str(db)])
    one_line_error(code, err)
    code, _, err = run_cli(["results", "show", "99", "--db", str(db)])
    one_line_error(code, err)
    assert "no run 99" in err
    code, out, _ = run_cli(["results", "delete", str(rid), "--yes", "--db", str(db)])
    assert code == 0 and Store(db).find_by_extra() == []
    code, _, err = run_cli(["results", "list", "--db", str(tmp_path / "missing.sqlite")])
    one_line_error(code, err)


def test_bench_corrupt_artifact_is_one_line_and_stores_nothing(run_cli, tmp_path, monkeypatch, tiny_onnx):
    from types import SimpleNamespace

    bad = tmp_path / "tiny.onnx"
    bad.write_bytes(tiny_onnx.path.read_bytes()[:-100])  # truncated after its manifest was written
    from mobench.workflows import sweep as sweep_mod

    monkeypatch.setattr(  # the cache hands back an artifact whose file changed after its manifest was written
        sweep_mod, "find_or_export", lambda m, f, c, progress=None: SimpleNamespace(**{**vars(tiny_onnx), "path": bad})
    )
    db = tmp_path / "r.sqlite"
    seed_db(db)
    before = len(Store(db).find_by_extra())
    code, _, err = run_cli(["bench", "-m", "timm:test_vit", "--device", "cpu", "--protocol", "quick", "--db", str(db)])
    one_line_error(code, err)
    assert "does not match the sha256" in err and "--force" in err
    assert len(Store(db).find_by_extra()) == before
