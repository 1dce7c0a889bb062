"""Stores written by every earlier schema version open, upgraded in place, with nothing lost.

The fixtures ``legacy/schema-N.sqlite`` were written by the store code of version N itself
(``legacy/make_stores.py`` takes it from git history).
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from legacy_stores import LEGACY_VERSIONS, legacy_file

from mobench.core.errors import StoreError
from mobench.results import SCHEMA_VERSION, Store, load, upgrade
from mobench.results.location import locate


def _content(path):
    """Every stored value of the tables a run lives in: runs (the columns kept across versions),
    samples, statistics and the other tables, as SQLite returns them (floats bit for bit)."""
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        out = {}
        for table in ("runs", "samples", "stats", "sweeps", "compares", "profiles", "studies"):
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            if not cols:
                continue
            if table == "runs":
                # dropped by schema 2 (their values live on in runtime_version and provenance) and
                # schema 5 (precision became recipe; checked below)
                cols = [
                    c for c in cols if c not in ("torch_version", "ort_version", "coremltools_version", "precision")
                ]
            out[table] = (cols, con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY 1, 2, 3").fetchall())
        return out
    finally:
        con.close()


def _same_or_grown(before, after):
    for table, (cols, rows) in before.items():
        cols_after, rows_after = after[table]
        assert set(cols) <= set(cols_after), table
        idx = [cols_after.index(c) for c in cols]
        assert [tuple(r[i] for i in idx) for r in rows_after] == rows, table  # == on floats: bit for bit


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
def test_every_older_store_opens_in_results_list_with_a_backup(version, tmp_path, run_cli):
    db = tmp_path / "mobench.sqlite"
    shutil.copyfile(legacy_file(version), db)
    before = _content(db)
    assert before["runs"][1] and before["samples"][1] and before["stats"][1]

    code, out, err = run_cli(["results", "list", "--db", str(db)])
    assert code == 0, err
    assert "mobileone_s0" in out and "resnet18" in out  # ok runs and the failed one
    bak = tmp_path / f"mobench.sqlite.bak-{version}"
    if version < SCHEMA_VERSION:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines == [
            f"upgraded results database {db} from schema {version} to {SCHEMA_VERSION}; the old store is kept as {bak}"
        ]
        assert _content(bak) == before  # the backup is the old store, whole
        assert sqlite3.connect(bak).execute("PRAGMA user_version").fetchone()[0] == version
    else:
        assert not bak.exists() and "upgraded" not in err
    after = _content(db)
    _same_or_grown(before, after)
    con = sqlite3.connect(bak if version < SCHEMA_VERSION else db)
    old_cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")]
    recipe_was = "precision" if "precision" in old_cols else "recipe"
    old_recipes = [r[0] for r in con.execute(f"SELECT {recipe_was} FROM runs ORDER BY id")]
    con.close()
    con = sqlite3.connect(db)
    assert [r[0] for r in con.execute("SELECT recipe FROM runs ORDER BY id")] == old_recipes  # precision -> recipe
    con.close()
    with Store(db, readonly=True) as st:
        assert st.schema_version == SCHEMA_VERSION and st.integrity_problems() == []
        if version >= 2:  # uuids are kept; schema-1 runs get content-derived ones
            assert [r["uuid"] for r in st._query("SELECT uuid FROM runs ORDER BY id")] == [
                r[before["runs"][0].index("uuid")] for r in before["runs"][1]
            ]
        else:
            assert all(r["uuid"].startswith("v1-") for r in st._query("SELECT uuid FROM runs"))
    # a second command finds it current: no second backup, no message
    code, out, err = run_cli(["results", "list", "--db", str(db), "--status", "failed"])
    assert code == 0 and "upgraded" not in err
    assert "resnet18" in out and "mobileone_s0" not in out  # the failed run kept its status


def test_an_older_store_opens_in_analyze_and_report(tmp_path, run_cli):
    import json

    db1 = tmp_path / "one.sqlite"
    shutil.copyfile(legacy_file(1), db1)
    code, out, err = run_cli(["analyze", "--db", str(db1), "--device", "cpu", "--json", "--bootstrap", "100"])
    assert code == 0, err
    assert "upgraded results database" in err and (tmp_path / "one.sqlite.bak-1").exists()
    [device] = json.loads(out)["devices"]  # the schema-1 runs' target, derived on upgrade
    assert device.startswith("cpu/") and device.endswith("/2t")

    db3 = tmp_path / "three.sqlite"
    shutil.copyfile(legacy_file(3), db3)
    before = _content(db3)
    code, out, err = run_cli(["report", "--db", str(db3), "--device", "cpu", "--out", str(tmp_path / "rep")])
    assert code == 0, err
    assert (tmp_path / "rep" / "report.html").exists() and (tmp_path / "three.sqlite.bak-3").exists()
    _same_or_grown(before, _content(db3))


def test_results_upgrade_command(tmp_path, run_cli):
    db = tmp_path / "s.sqlite"
    shutil.copyfile(legacy_file(2), db)
    code, out, err = run_cli(["results", "upgrade", "--db", str(db)])
    assert code == 0 and out.strip() == (
        f"upgraded results database {db} from schema 2 to {SCHEMA_VERSION}; the old store is kept as {db}.bak-2"
    )
    code, out, _ = run_cli(["results", "upgrade", "--db", str(db)])
    assert code == 0 and "nothing to do" in out
    code, _, err = run_cli(["results", "upgrade", "--db", str(tmp_path / "none.sqlite")])
    assert code == 2 and "no results database" in err and not (tmp_path / "none.sqlite").exists()
    assert upgrade(db).old_version == SCHEMA_VERSION


def test_a_read_only_older_store_says_how_to_upgrade_it(tmp_path):
    db = tmp_path / "ro.sqlite"
    shutil.copyfile(legacy_file(1), db)
    db.chmod(0o444)
    try:
        with pytest.raises(StoreError, match="old schema and is read-only"):
            load(db)
    finally:
        db.chmod(0o644)


def test_a_newer_store_is_refused_naming_the_version_it_needs(tmp_path, run_cli):
    db = tmp_path / "new.sqlite"
    shutil.copyfile(legacy_file(4), db)
    with Store(db, quiet=True):
        pass
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = ?", (f"{SCHEMA_VERSION + 3:04d}",))
    con.execute("UPDATE runs SET mobench_version = '9.1.0'")
    con.commit()
    con.close()
    before = db.read_bytes()
    for argv in (
        ["results", "list"],
        ["bench", "--model", "timm:test_vit", "--device", "torch", "--protocol", "quick"],
    ):
        code, _, err = run_cli([*argv, "--db", str(db)])
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1, err
        assert f"schema version {SCHEMA_VERSION + 3}" in lines[0] and "mobench 9.1.0" in lines[0]
        assert f"reads up to {SCHEMA_VERSION}" in lines[0] and "upgrade mobench" in lines[0]
    assert db.read_bytes() == before


def test_revisions_build_exactly_the_tables(tmp_path):
    """A new store (all revisions from nothing) and an upgraded schema-1 store both match tables.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mobench.results.tables import metadata

    fresh = tmp_path / "fresh.sqlite"
    old = tmp_path / "old.sqlite"
    shutil.copyfile(legacy_file(1), old)
    for db in (fresh, old):
        with Store(db, quiet=True) as st:
            conn = st._conn
            with conn.begin():
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
            # SQLAlchemy reads an inline foreign key's ON DELETE back from SQLite's table SQL only
            # when the table was created with it; foreign keys are compared through SQLite below.
            # A primary key written INTEGER PRIMARY KEY without NOT NULL (the schema-1 SQL) reads back
            # as nullable, though SQLite never stores NULL there.
            flat = [d for d in diff for d in (d if isinstance(d, list) else [d])]
            pk = {(t.name, c.name) for t in metadata.sorted_tables for c in t.primary_key.columns}
            real = [d for d in flat if d[0] not in ("add_fk", "remove_fk")]
            real = [d for d in real if not (d[0] == "modify_nullable" and (d[2], d[3]) in pk)]
            assert real == [], (db.name, diff)
            for table in metadata.sorted_tables:  # same columns in the same order, same foreign keys
                cols = [r["name"] for r in st._query(f"PRAGMA table_info({table.name})")]
                assert cols == [c.name for c in table.columns], table.name
                fks = {
                    (r["from"], r["table"], r["to"], r["on_delete"])
                    for r in st._query(f"PRAGMA foreign_key_list({table.name})")
                }
                assert fks == {
                    (fk.parent.name, fk.column.table.name, fk.column.name, fk.ondelete or "NO ACTION")
                    for fk in table.foreign_keys
                }, table.name


@pytest.mark.parametrize(
    "db",
    ["postgresql://lab@dbhost/mobench", "postgres://u:pw@h:5433/x", "postgresql+psycopg://u@/db?host=/tmp"],
)
def test_a_url_is_never_a_file(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loc = locate(db)
    assert loc.path is None and loc.url == db and "pw" not in str(loc)


@pytest.mark.parametrize(
    ("db", "message"),
    [
        ("postgresql:/dbhost/mobench", "looks like a database URL"),
        ("mysql://u@h/db", "unsupported database URL scheme"),
        ("postgresql+psycopg2://u@h/db", "psycopg"),
    ],
)
def test_a_bad_url_is_one_line_and_creates_nothing(db, message, tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["results", "list", "--db", db])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_mobench_db_sets_the_default(tmp_path, monkeypatch, run_cli):
    db = tmp_path / "env.sqlite"
    shutil.copyfile(legacy_file(4), db)
    monkeypatch.setenv("MOBENCH_DB", str(db))
    code, out, _ = run_cli(["results", "list"])
    assert code == 0 and "mobileone_s1" in out and str(db) in out.replace("\n", "")
    assert locate(None).path == db and locate("other.sqlite").path.name == "other.sqlite"


@pytest.mark.parametrize("version", [v for v in LEGACY_VERSIONS if v >= 6])
def test_inputs_and_precision_of_hand_kept_stores_read_back(version, tmp_path):
    """Stores written by the hand-kept schema 6 and 7 code are stamped, not rebuilt: a run's input
    spec (schema 6) and its precision statistics and a "too busy to tell" compare (schema 7) read
    back as they were written."""
    db = tmp_path / "mobench.sqlite"
    shutil.copyfile(legacy_file(version), db)
    con = sqlite3.connect(db)
    stats_before = con.execute("SELECT run_id, headline_ms, robust_ms FROM stats ORDER BY run_id").fetchall()
    con.close()
    df = load(db).set_index("run_id")
    assert df.loc[2, "inputs"] == "x: [1, 3, 256, 256] float32 image"
    assert df.loc[2, "input_data_sha256"] == "ab" * 32
    with Store(db, readonly=True) as st:
        assert st.get_run(2).inputs["label"] == "x=1x3x256x256+data=ababababab"
        assert st.get_run(1).inputs == {}
        verdicts = [c["verdict"] for c in st.list_compares()]
        stats_after = [tuple(r.values()) for r in st._query("SELECT run_id, headline_ms, robust_ms FROM stats")]
        limits = [r["round_spread_limit"] for r in st._query("SELECT round_spread_limit FROM stats")]
    assert sorted(stats_after) == stats_before
    if version >= 7:  # written by the schema-7 code: precision kept
        assert "too busy to tell" in verdicts and None not in limits
        assert df["ci_half_width"].notna().sum() == len(stats_after)
    else:  # runs timed before precision was stored keep NULL there
        assert set(limits) == {None} and df["ci_half_width"].isna().all()
