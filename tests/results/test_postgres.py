"""The same store on PostgreSQL: same schema, same values, merges both ways, one-line errors."""

from __future__ import annotations

import shutil

import pytest
from legacy_stores import legacy_file

from mobench.core.errors import StoreError
from mobench.results import SCHEMA_VERSION, Store, merge_stores


def _by_uuid(db):
    with Store(db, readonly=True) as st:
        runs = {r["id"]: dict(r) for r in st._query("SELECT * FROM runs")}
        out = {}
        for rid, run in runs.items():
            samples = [
                (s["round"], s["idx"], s["latency_ms"])
                for s in st._query(
                    "SELECT round, idx, latency_ms FROM samples WHERE run_id = ? ORDER BY round, idx", (rid,)
                )
            ]
            stats = st.get_stats(rid)
            keep = {k: v for k, v in run.items() if k not in ("id", "sweep_id", "extra_json")}
            out[run["uuid"]] = (keep, samples, stats)
        return out


def test_sqlite_to_postgresql_and_back_keeps_every_value(pg_url, tmp_path, run_cli):
    src = tmp_path / "lab.sqlite"
    shutil.copyfile(legacy_file(3), src)
    with Store(src, quiet=True):
        pass
    code, out, err = run_cli(["results", "merge", str(src), "--db", pg_url])
    assert code == 0 and "6 run(s) added" in out, err
    code, out, _ = run_cli(["results", "merge", str(src), "--db", pg_url])
    assert code == 0 and "0 run(s) added, 6 already present" in out
    back = tmp_path / "back.sqlite"
    [res] = merge_stores(back, [pg_url])
    assert len(res.added) == 6
    original, through_pg = _by_uuid(src), _by_uuid(back)
    assert original == through_pg  # floats compared with ==: bit for bit
    with Store(pg_url, readonly=True) as st:
        assert st.dialect == "postgresql" and st.schema_version == SCHEMA_VERSION
        assert st.integrity_problems() == []
        assert len(st.find_by_extra(device="cpu")) == 4


def test_postgresql_store_commands_and_refusals(pg_url, run_cli):
    code, out, err = run_cli(["results", "list", "--db", pg_url])
    assert code == 2 and "holds no mobench results yet" in err  # reading creates nothing
    code, out, _ = run_cli(["results", "upgrade", "--db", pg_url])  # creates the schema
    assert code == 0
    code, out, _ = run_cli(["results", "list", "--db", pg_url])
    assert code == 0 and "no runs stored" in out
    code, out, _ = run_cli(["results", "upgrade", "--db", pg_url])
    assert code == 0 and "nothing to do" in out
    with Store(pg_url) as st, st._transaction() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": f"{SCHEMA_VERSION + 1:04d}"})
    code, _, err = run_cli(["results", "list", "--db", pg_url])
    assert code == 2 and f"schema version {SCHEMA_VERSION + 1}" in err and len(err.strip().splitlines()) == 1


def test_an_unreachable_server_is_one_line(tmp_path, run_cli):
    url = f"postgresql://nobody@/nodb?host={tmp_path}"  # no server listens on a socket in an empty folder
    code, _, err = run_cli(["results", "list", "--db", url])
    assert code == 2 and "unusable" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(StoreError, match="unreachable"):
        Store(url)
    assert list(tmp_path.iterdir()) == []
