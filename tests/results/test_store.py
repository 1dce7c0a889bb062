import os
import sqlite3

import pytest

from mobench.core import protocol
from mobench.core.errors import StoreError
from mobench.core.records import RunRecord
from mobench.results import RUN_COLUMNS, SCHEMA_VERSION, Store, export, load, load_samples

PROMISED = [
    "run_id",
    "created",
    "status",
    "error",
    "model",
    "device",
    "format",
    "recipe",
    "reparameterized",
    "protocol",
    "n_samples",
    "min_ms",
    "mean_ms",
    "median_ms",
    "p90_ms",
    "p99_ms",
    "std_ms",
    "cv",
    "trimmed_mean_ms",
    "low_ms",
    "high_ms",
    "median_ci_low_ms",
    "median_ci_high_ms",
    "outlier_fraction",
    "load_ms",
    "first_inference_ms",
    "host",
    "cpu",
    "os",
    "threads",
    "compute_units",
    "device_model",
]


def record(model="m0", samples=((1.0, 2.0, 3.0, 4.0), (2.0, 3.0, 4.0, 5.0)), status="ok", **kw):
    cfg = protocol("quick").with_(rounds=2, inferences=4)
    return RunRecord(
        model=model,
        device="cpu",
        status=status,
        protocol=cfg.name,
        config=cfg.to_dict(),
        artifact_format="onnx",
        artifact_sha256="ab" * 32,
        recipe="fp32",
        reparameterized=True,
        device_info={"threads": 2, "runtime": "onnxruntime"},
        provenance={
            "host": "h",
            "cpu": "c",
            "os": "Linux",
            "versions": {"python": "3.11", "onnxruntime": "1.2"},
            "git_commit": "deadbeef",
        },
        load_ms=[10.0, 12.0, 14.0],
        first_inference_ms=[3.0],
        samples_ms=[list(s) for s in samples],
        memory={"load_peak_rss_delta_mb": 5.0, "inference_peak_rss_delta_mb": 0.5},
        **kw,
    )


def test_roundtrip_find_delete(tmp_path, store_problems):
    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        assert st.schema_version == SCHEMA_VERSION
        rid = st.add_run(record(), config_key="k1")
        back = st.get_run(rid)
        assert back.samples_ms == [[1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0]]
        assert back.provenance["git_commit"] == "deadbeef" and back.reparameterized is True
        assert st.find_run("m0", "cpu", "ab" * 32, "k1") == rid
        assert st.find_run("m0", "cpu", "ab" * 32, "k2") is None
        assert st.find_run("m0", "torch", "ab" * 32, "k1") is None
        stats = st.get_stats(rid)
        assert stats["n"] == 8 and stats["median_ms"] == 3.0 and stats["headline"] == "median"
        fid = st.add_run(record(model="m1", samples=(), status="failed", error="export: boom"), config_key="k1")
        assert st.find_run("m1", "cpu", "ab" * 32, "k1") is None  # failures are never reused
        assert store_problems(st.path) == []
        tagged = st.add_run(record(extra={"report_key": "p1/r1", "report_run_sha256": "f00"}))
        assert st.find_by_extra("cpu", report_key="p1/r1", report_run_sha256="f00") == [tagged]
        assert st.find_by_extra("iphone", report_key="p1/r1") == [] and st.find_by_extra(report_key="x") == []
        with pytest.raises(StoreError):
            st.find_by_extra(**{"a') OR 1=1 --": 1})
        st.delete_run(tagged)
        st.delete_run(rid)
        with pytest.raises(StoreError, match="no run"):
            st.get_run(rid)
        n = st._query("SELECT COUNT(*) AS n FROM samples")[0]["n"]
        assert n == 0 and st.get_stats(rid) is None
        with pytest.raises(StoreError):
            st.delete_run(rid)
        assert st.get_run(fid).error == "export: boom"
    assert st._conn is not None
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ok_run_without_samples_is_refused(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        with pytest.raises(StoreError, match="no samples"):
            st.add_run(record(samples=()))
        assert st.find_by_extra() == []


def test_failure_inside_the_transaction_leaves_nothing(tmp_path, monkeypatch):
    import mobench.results.store as store_mod

    real = store_mod.compute_stats
    monkeypatch.setattr(store_mod, "compute_stats", lambda *a, **k: {**real(*a, **k), "no_such_column": 1})
    with Store(tmp_path / "r.sqlite") as st:
        with pytest.raises(StoreError, match="nothing of this run was stored"):
            st.add_run(record())
        assert st._query("SELECT COUNT(*) AS n FROM runs")[0]["n"] == 0
        assert st._query("SELECT COUNT(*) AS n FROM samples")[0]["n"] == 0


def test_load_frames_and_export(tmp_path):
    import pandas as pd

    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        st.add_run(record())
        st.add_run(record(model="bad", samples=(), status="failed", error="run: x"))
    df = load(db)
    assert set(PROMISED) <= set(df.columns) and list(df.columns) == RUN_COLUMNS
    assert list(df["status"]) == ["ok", "failed"]
    ok = df.iloc[0]
    assert ok["load_ms"] == 12.0 and ok["threads"] == 2 and ok["median_ms"] == 3.0 and ok["n_samples"] == 8
    assert ok["host"] == "h" and ok["runtime"] == "onnxruntime" and ok["runtime_version"] == "1.2"
    assert df.iloc[1]["error"] == "run: x" and pd.isna(df.iloc[1]["median_ms"])
    smp = load_samples(db)
    assert list(smp.columns)[:3] == ["run_id", "model", "device"]
    assert {"round", "index", "latency_ms"} <= set(smp.columns) and len(smp) == 8
    for fmt in ("csv", "json", "parquet"):
        out = export(db, tmp_path / f"runs.{fmt}", fmt)
        back = {"csv": pd.read_csv, "json": pd.read_json, "parquet": pd.read_parquet}[fmt](out)
        assert len(back) == 2 and "median_ms" in back.columns
    out = export(db, tmp_path / "s.csv", "csv", samples=True)
    assert len(pd.read_csv(out)) == 8


def _snapshot(path):
    """The database file's bytes (SQLite may add empty -wal/-shm companions when it opens a WAL file)."""
    return path.read_bytes()


def test_newer_schema_refused_and_unchanged(tmp_path):
    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        st.add_run(record())
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    before = _snapshot(db)
    with pytest.raises(StoreError, match="newer"):
        Store(db)
    with pytest.raises(StoreError, match="newer"):
        load(db)
    assert _snapshot(db) == before


def test_corrupt_foreign_and_readonly_files(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="corrupt"):
        Store(junk)
    assert junk.read_bytes() == b"this is not sqlite" * 100

    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a mobench results store"):
        Store(other)

    ro = tmp_path / "ro.sqlite"
    with Store(ro) as st:
        st.add_run(record())
    os.chmod(ro, 0o444)
    try:
        before = ro.read_bytes()
        with pytest.raises(StoreError, match="read-only"):
            Store(ro)
        assert ro.read_bytes() == before
        assert len(load(ro)) == 1  # reading still works
    finally:
        os.chmod(ro, 0o644)

    with pytest.raises(StoreError, match="no results database"):
        load(tmp_path / "none.sqlite")
    with pytest.raises(StoreError, match="folder"):
        Store(tmp_path)


NEW_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"


def upgrade():
    {body}
"""


def _with_revision(tmp_path, monkeypatch, body: str) -> int:
    """A copy of the migrations with one more revision (``body`` its upgrade), made current."""
    import shutil

    import mobench.results.schema as schema

    version = schema.SCHEMA_VERSION + 1
    mig = tmp_path / f"migrations{version}"
    if not mig.exists():
        shutil.copytree(schema.MIGRATIONS_DIR, mig, ignore=shutil.ignore_patterns("__pycache__"))
    (mig / "versions" / f"{version:04d}_test.py").write_text(
        NEW_REVISION.format(rev=f"{version:04d}", down=f"{version - 1:04d}", body=body)
    )
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", mig)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", version)
    return version


def test_a_new_column_is_one_revision_and_a_broken_one_rolls_back(tmp_path, monkeypatch):
    db = tmp_path / "r.sqlite"
    with Store(db) as st:
        rid = st.add_run(record())
    v = _with_revision(
        tmp_path,
        monkeypatch,
        'op.add_column("runs", sa.Column("note", sa.Text))\n    op.create_index("runs_note", "runs", ["note"])',
    )
    with Store(db) as st:
        assert st.schema_version == v and st.backup is not None and st.backup.name == f"r.sqlite.bak-{v - 1}"
        cols = [r["name"] for r in st._query("PRAGMA table_info(runs)")]
        assert "note" in cols and st.get_run(rid).samples_ms[0] == [1.0, 2.0, 3.0, 4.0]
    (tmp_path / f"migrations{v}").rename(tmp_path / f"migrations{v + 1}")
    monkeypatch.undo()
    import mobench.results.schema as schema

    monkeypatch.setattr(schema, "SCHEMA_VERSION", v)
    _with_revision(tmp_path, monkeypatch, 'op.execute("ALTER TABLE runs ADD COLUMN bad bad bad (")')  # broken
    with pytest.raises(StoreError, match="nothing was changed"):
        Store(db)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", v)
    with Store(db) as st:  # rolled back: still at the last good version
        assert st.schema_version == v and len(st.find_by_extra()) == 1


def test_a_version_1_store_migrates_to_version_3(tmp_path):

    from legacy_stores import make_legacy_store

    from mobench.results.schema import SCHEMA_VERSION

    db = make_legacy_store(tmp_path / "old.sqlite", 1)
    with Store(db) as st:
        assert st.schema_version == SCHEMA_VERSION >= 3
        cols = {r["name"] for r in st._query("PRAGMA table_info(runs)")}
        assert {"schedule", "sweep_id"} <= cols
        assert {r["name"] for r in st._query("PRAGMA table_info(stats)")} >= {
            "robust_ms",
            "round_spread",
            "rounds_disagree",
        }
        assert st.list_compares() == []


def test_version_4_store_migrates_to_precision_columns_and_too_busy_verdicts(tmp_path):
    """A store written before runs stated their precision keeps its compares, gains the new
    columns, and then takes a "too busy to tell" comparison."""
    from legacy_stores import make_legacy_store

    db = make_legacy_store(tmp_path / "v4.sqlite", 4, with_runs=True)
    con = sqlite3.connect(db)
    compares_before = con.execute("SELECT * FROM compares ORDER BY id").fetchall()
    con.close()
    assert compares_before
    with Store(db, quiet=True) as st:
        cols = {r["name"] for r in st._query("PRAGMA table_info(stats)")}
        assert {"ci_half_width", "headline_ci_low_ms", "round_spread_limit", "target_ci", "target_ci_met"} <= cols
        sql = st._query("SELECT sql FROM sqlite_master WHERE name = 'compares'")[0]["sql"]
        assert "too busy to tell" in sql
        assert [tuple(r.values()) for r in st._query("SELECT * FROM compares ORDER BY id")] == compares_before
        sweep = dict(schedule="abab", seed=1, labels=["a", "b"], round_order=[0, 1], groups=[[0, 1]])
        result = dict(
            a_spec="cpu:a",
            b_spec="cpu:b",
            statistic="robust_ms",
            ratio=1.0,
            ci_low=0.9,
            ci_high=1.1,
            confidence=0.95,
            verdict="too busy to tell",
            pairs=12,
        )
        cid = st.add_compare(record("a"), record("b"), sweep, result)
        assert st._query("SELECT verdict FROM compares WHERE id = ?", (cid,))[0]["verdict"] == "too busy to tell"
        with pytest.raises(StoreError, match="CHECK constraint"):  # still refuses a verdict nobody gives
            st.add_compare(record("a"), record("b"), sweep, dict(result, verdict="maybe"))


def test_merge_brings_each_run_with_its_sweep(tmp_path):
    """A merged run keeps its sweep (schedule and the host check shown with it), copied once for
    the runs that share it; a run of no sweep stays without one."""
    from mobench.results import merge_stores

    src, dst = tmp_path / "src.sqlite", tmp_path / "dst.sqlite"
    with Store(dst, quiet=True) as st:  # the target already has a sweep: the ids differ
        st.add_sweep("interleaved", 1, ["x"], [0], [[0]])
    with Store(src, quiet=True) as st:
        sid = st.add_sweep("abab", 7, ["a", "b"], [0, 1, 1, 0], [[0, 1]], {"host_check": {"line": "host: quiet"}})
        for name in ("a", "b"):
            st.add_run(record(name, sweep_id=sid, schedule="abab"))
        st.add_run(record("c"))
    [res] = merge_stores(dst, [src])
    assert len(res.added) == 3
    df = load(dst).set_index("model")
    assert list(df.loc[["a", "b"], "host_check"]) == ["host: quiet", "host: quiet"]
    assert df["host_check"].isna()["c"]
    with Store(dst, readonly=True) as st:
        rows = st._query("SELECT schedule, seed, extra_json FROM sweeps ORDER BY id")
        assert [(r["schedule"], r["seed"]) for r in rows] == [("interleaved", 1), ("abab", 7)]
        sweep_of = {r["model"]: r["sweep_id"] for r in st._query("SELECT model, sweep_id FROM runs")}
    assert sweep_of["a"] == sweep_of["b"] == 2 and sweep_of["c"] is None
