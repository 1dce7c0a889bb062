"""Results stores as earlier mobench versions wrote them (``tests/results/legacy/schema-N.sqlite``,
made by ``tests/results/legacy/make_stores.py`` with the store code of each version)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

LEGACY_DIR = Path(__file__).resolve().parent / "results" / "legacy"
LEGACY_VERSIONS = (1, 2, 3, 4, 5, 6, 7)


def legacy_file(version: int) -> Path:
    return LEGACY_DIR / f"schema-{version}.sqlite"


def legacy_schema_sql(version: int) -> str:
    """The DDL a schema-``version`` store was created with (read from the fixture that version wrote)."""
    con = sqlite3.connect(f"{legacy_file(version).as_uri()}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
    finally:
        con.close()
    return ";\n".join(r[0] for r in rows) + ";\n"


def make_legacy_store(path: Path, version: int, *, with_runs: bool = False) -> Path:
    """A schema-``version`` store at ``path``: the fixture itself, or empty tables of that version."""
    if with_runs:
        shutil.copyfile(legacy_file(version), path)
        return path
    con = sqlite3.connect(path)
    con.executescript(legacy_schema_sql(version))
    con.execute(f"PRAGMA user_version = {version}")
    con.commit()
    con.close()
    return path
