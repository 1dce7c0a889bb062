"""The results store's schema version and its upgrade in place.

The tables are :mod:`mobench.results.tables`; every change to them is an Alembic revision in
``migrations/versions`` named ``NNNN_what.py`` with revision id ``"NNNN"``, and the schema
version is that number (``SCHEMA_VERSION`` is the newest file's). A new column is one
``Column`` in ``tables.py`` plus one revision with ``op.add_column``; an old revision is
never edited.

Stores written before the revisions existed (schema 1 to 7) kept their version in SQLite's
``PRAGMA user_version``; they are stamped with that revision and upgraded from there. After
an upgrade ``user_version`` is set too, so an older mobench refuses the store instead of
misreading it.

``ensure_current`` upgrades a store in one transaction under a lock (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock, its DDL is transactional), so
processes opening a new or old store at once create or migrate it exactly once. An SQLite
file is copied to ``<file>.bak-<old version>`` first, and one line on stderr says so.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import StoreError
from .location import StoreLocation

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS = sorted(int(p.name[:4]) for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
SCHEMA_VERSION = VERSIONS[-1]
assert VERSIONS == list(range(1, SCHEMA_VERSION + 1))  # one revision per version, none skipped
LEGACY_VERSIONS = range(1, 8)  # versions an SQLite store may carry in user_version only
_PG_LOCK = 0x6D6F62656E6368  # "mobench": the advisory lock that serialises schema changes


def revision_id(version: int) -> str:
    return f"{version:04d}"


def _tables(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def stored_version(conn: Connection, where: StoreLocation) -> int:
    """The store's schema version (0: an empty database); ``StoreError`` for a foreign database."""
    from sqlalchemy import text

    names = _tables(conn)
    # SQLite keeps the version in user_version too (the only place before the revisions, and
    # what an older mobench checks): the higher of the two counts
    legacy = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0) if conn.dialect.name == "sqlite" else 0
    if "alembic_version" in names:
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if rev is not None and str(rev).isdigit():
            return max(int(rev), legacy)
        raise StoreError(f"results database {where} has an unknown schema revision {rev!r}; upgrade mobench")
    if legacy:
        return legacy
    if names:
        raise StoreError(
            f"results database {where} is a database but not a mobench results store; pass --db with another one"
        )
    return 0


def _newer(conn: Connection, where: StoreLocation, version: int) -> StoreError:
    from sqlalchemy import text

    try:
        by = conn.execute(
            text("SELECT mobench_version FROM runs WHERE mobench_version IS NOT NULL ORDER BY id DESC LIMIT 1")
        ).scalar()
    except Exception:  # noqa: BLE001 - only decorates the message
        by = None
    written = f", last written by mobench {by}" if by else ""
    return StoreError(
        f"results database {where} has schema version {version}{written}: it needs a mobench that reads "
        f"schema {version} (this one reads up to {SCHEMA_VERSION}); upgrade mobench (pip install -U mobench)"
    )


def check_version(conn: Connection, where: StoreLocation) -> int:
    """The stored version, refusing a store newer than this mobench."""
    with conn.begin():
        version = stored_version(conn, where)
        if version > SCHEMA_VERSION:
            raise _newer(conn, where, version)
    return version


def _unstamped(conn: Connection) -> bool:
    """An SQLite store at a legacy version that has no Alembic revision recorded yet."""
    if conn.dialect.name != "sqlite":
        return False
    with conn.begin():
        return "alembic_version" not in _tables(conn)


def backup_path(path: Path, version: int) -> Path:
    return path.with_name(f"{path.name}.bak-{version}")


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the SQLite file ``path`` (it is never written through this)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def copy_sqlite(src: sqlite3.Connection, dest: Path) -> None:
    """A consistent copy of ``src``'s database (committed state, WAL included) into the file ``dest``."""
    dst = sqlite3.connect(str(dest))
    try:
        src.backup(dst)
    finally:
        dst.close()


def _backup(path: Path, version: int) -> Path:
    """A consistent copy of the SQLite store (committed state, WAL included), written aside and renamed."""
    bak = backup_path(path, version)
    tmp = bak.with_name(bak.name + f".tmp{os.getpid()}")
    try:
        src = open_read_only(path)
        try:
            copy_sqlite(src, tmp)
        finally:
            src.close()
        os.replace(tmp, bak)
    except (OSError, sqlite3.Error) as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(
            f"cannot back up results database {path} to {bak} before upgrading it ({exc}); nothing was changed"
        ) from exc
    return bak


def _alembic(conn: Connection, stamp: int | None) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    if stamp:
        command.stamp(cfg, revision_id(stamp))
    command.upgrade(cfg, "head")


def ensure_current(conn: Connection, where: StoreLocation, *, announce: bool = True) -> tuple[int, Path | None]:
    """Create or upgrade the store on ``conn`` to ``SCHEMA_VERSION``; returns (old version, backup).

    ``conn`` must be a writing connection (on SQLite its transactions begin IMMEDIATE).
    """
    from sqlalchemy import text

    version = check_version(conn, where)
    if version == SCHEMA_VERSION and not _unstamped(conn):
        return version, None
    bak = None
    conn.info["write"] = True
    try:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            version = stored_version(conn, where)  # another process may have done it meanwhile
            if version > SCHEMA_VERSION:
                raise _newer(conn, where, version)
            legacy = version in LEGACY_VERSIONS and "alembic_version" not in _tables(conn)
            if version == SCHEMA_VERSION:
                if legacy:  # a current store from before the revisions: record its revision, change nothing
                    _alembic(conn, version)
                return version, None
            if version and where.path is not None:
                bak = _backup(where.path, version)
            _alembic(conn, version if legacy else None)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(
            f"cannot upgrade results database {where} from schema {version} to {SCHEMA_VERSION} ({exc}); "
            "nothing was changed" + (f" (a backup is at {bak})" if bak else "")
        ) from exc
    finally:
        conn.info["write"] = False
    if version and announce:
        kept = f"; the old store is kept as {bak}" if bak else " (in one transaction)"
        print(f"upgraded results database {where} from schema {version} to {SCHEMA_VERSION}{kept}", file=sys.stderr)
    return version, bak
