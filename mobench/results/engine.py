"""Connections to a results store: SQLite files (WAL, busy timeout) and PostgreSQL (psycopg).

SQLAlchemy is imported here, when a store opens, never by ``mobench --help``.

SQLite: every connection waits up to 30 s for a lock (``busy_timeout``), runs in WAL mode so
readers never block the writer, and enforces foreign keys. A writing transaction begins
``IMMEDIATE`` (it takes the write lock at BEGIN, so two writers queue instead of one failing
half-way); a reading one is a plain deferred ``BEGIN``. PostgreSQL: READ COMMITTED transactions;
a run's rows are one transaction, and ids come from the tables' sequences.
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

from .location import StoreLocation

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_S = 30


def _wal(c: sqlite3.Connection) -> None:
    """WAL mode, which the file keeps once set. Switching can answer "database is locked" without
    waiting for the busy timeout while another process opens the same new store (seen with five
    writers starting together), so it is retried until that timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if str(c.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                c.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_creator(loc: StoreLocation, readonly: bool):
    path = loc.path
    assert path is not None

    def connect() -> sqlite3.Connection:
        if readonly:
            c = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
        else:
            c = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        c.isolation_level = None  # transactions are begun explicitly (see the "begin" listener)
        c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        c.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            _wal(c)
            c.execute("PRAGMA synchronous = NORMAL")
        return c

    return connect


def server_url(loc: StoreLocation):
    from sqlalchemy.engine import make_url

    url = make_url(loc.url or "")
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def make_engine(loc: StoreLocation, *, readonly: bool = False) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    if loc.path is not None:
        engine = create_engine("sqlite://", creator=_sqlite_creator(loc, readonly), poolclass=NullPool)

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

        return engine
    return create_engine(
        server_url(loc),
        poolclass=NullPool,
        connect_args={"connect_timeout": 10, "application_name": "mobench"},
        execution_options={"postgresql_readonly": readonly} if readonly else {},
    )
