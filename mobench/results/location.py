"""Where a results store lives: an SQLite file (the embedded default) or a database server.

``--db`` (and ``MOBENCH_DB``, its default) is a file path or a SQLAlchemy URL such as
``postgresql://user@host/db``. Anything of the form ``scheme://...`` is a URL and never a
file name, so a mistyped URL is an error rather than a new SQLite file in a folder named
``postgresql:``. This module imports no database library (``mobench --help`` stays light).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UsageError
from ..core.util import default_results_dir

DEFAULT_DB_NAME = "mobench.sqlite"
ENV_VAR = "MOBENCH_DB"
SERVER_SCHEMES = ("postgresql", "postgres")  # postgresql[+driver]://; the driver is psycopg (3)
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
_ALMOST_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{2,}):(?!//)")
_PASSWORD = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")


def default_db_path() -> Path:
    """``results/mobench.sqlite`` (under ``$MOBENCH_RESULTS`` when set)."""
    return default_results_dir() / DEFAULT_DB_NAME


@dataclass(frozen=True)
class StoreLocation:
    """A store's address: ``path`` for an SQLite file, else ``url`` for a database server."""

    path: Path | None = None
    url: str | None = None

    @property
    def is_file(self) -> bool:
        return self.path is not None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"

    @property
    def folder(self) -> Path:
        """Where outputs about this store go by default: the file's folder, else the results folder."""
        return self.path.parent if self.path is not None else default_results_dir()

    def exists(self) -> bool:
        """Whether the store is there to read: the file exists (a server database is assumed to)."""
        return self.path.exists() if self.path is not None else True

    def __str__(self) -> str:  # for messages: the path, or the URL without its password
        return str(self.path) if self.path is not None else _PASSWORD.sub(r"\1:***@", self.url or "")


def locate(db: str | os.PathLike | StoreLocation | None = None) -> StoreLocation:
    """The store ``db`` names; ``None`` is ``$MOBENCH_DB`` or ``results/mobench.sqlite``."""
    if isinstance(db, StoreLocation):
        return db
    if db is None:
        db = os.environ.get(ENV_VAR) or default_db_path()
    text = os.fspath(db)
    m = _URL.match(text)
    if m:
        scheme = m["scheme"].lower()
        base = scheme.split("+", 1)[0]
        if base == "sqlite":  # sqlite:///relative.sqlite, sqlite:////abs/path.sqlite
            rest = text[m.end() :]
            if not rest.startswith("/") or len(rest) == 1:
                raise UsageError(f"--db {text}: an SQLite URL is sqlite:///path/to/file.sqlite (or pass the path)")
            return StoreLocation(path=Path(rest[1:]))
        if base not in SERVER_SCHEMES:
            raise UsageError(
                f"--db {text}: unsupported database URL scheme {scheme!r}; use a file path (SQLite) "
                "or postgresql://user@host/db"
            )
        if "+" in scheme and scheme != "postgresql+psycopg":
            raise UsageError(f"--db {text}: mobench talks to PostgreSQL through psycopg; write postgresql://...")
        return StoreLocation(url=text)
    m = _ALMOST_URL.match(text)
    if m and m["scheme"].lower().split("+", 1)[0] in (*SERVER_SCHEMES, "sqlite"):
        raise UsageError(f"--db {text} looks like a database URL but is not one; write {m['scheme']}://user@host/db")
    return StoreLocation(path=Path(text))
