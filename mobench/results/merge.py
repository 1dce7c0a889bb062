"""``results merge``: bring the runs of other stores into one, in one transaction.

A source is an SQLite file (checked and upgraded on a private copy, never written) or a server
database (read as it is; it must be at this mobench's schema). Sources and target may be of
different kinds: SQLite -> PostgreSQL and back keep every value (see ``tables.py``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..core.errors import StoreError
from .location import StoreLocation, locate
from .store import Store, _j


@dataclass
class MergeResult:
    source: str
    added: list[int] = field(default_factory=list)  # new run ids in this store
    duplicates: int = 0  # runs this store already held (same uuid)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "added": len(self.added),
            "already_present": self.duplicates,
            "run_ids": self.added,
        }


def _snapshot(other: Path, tmpdir: Path) -> Path:
    """A private, upgraded copy of the SQLite store ``other`` (which itself is never written)."""
    from .schema import SCHEMA_VERSION, copy_sqlite, open_read_only

    if not other.exists():
        raise StoreError(f"cannot merge {other}: no such file")
    if other.is_dir():
        raise StoreError(f"cannot merge {other}: it is a folder, not a results database")
    copy = tmpdir / "other.sqlite"
    try:
        src = open_read_only(other)
        try:
            tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = src.execute("PRAGMA user_version").fetchone()[0]
            if "alembic_version" in tables:
                rev = src.execute("SELECT version_num FROM alembic_version").fetchone()
                version = int(rev[0]) if rev and str(rev[0]).isdigit() else SCHEMA_VERSION + 1
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"cannot merge {other}: its schema version {version} is newer than this mobench "
                    f"understands ({SCHEMA_VERSION}); upgrade mobench first"
                )
            if version == 0:
                raise StoreError(f"cannot merge {other}: not a mobench results store (no mobench schema in it)")
            problems = [r[0] for r in src.execute("PRAGMA quick_check").fetchall() if r[0] != "ok"]
            if problems:
                raise StoreError(f"cannot merge {other}: the database is corrupt ({problems[0]})")
            copy_sqlite(src, copy)
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot merge {other}: not a readable SQLite database ({exc})") from None
    return copy


def _open_source(other: StoreLocation, tmpdir: Path) -> tuple[str, Store]:
    """The checked source store (its display name, an open read-only Store)."""
    if other.path is not None:
        copy = _snapshot(other.path, tmpdir)
        try:
            with Store(copy, quiet=True):  # upgrades the copy quietly; refuses a database that is not a mobench store
                pass
            src = Store(copy, readonly=True)
        except StoreError as exc:
            raise StoreError(f"cannot merge {other.path}: {str(exc).replace(str(copy), str(other.path))}") from None
        name = str(other.path.resolve())
    else:
        try:
            src = Store(other, readonly=True, upgrade=False)
        except StoreError as exc:
            raise StoreError(f"cannot merge {other}: {exc}") from None
        name = str(other)
    problems = src.integrity_problems()
    if problems:
        src.close()
        raise StoreError(f"cannot merge {other}: {problems[0]}")
    return name, src


def _same(a: StoreLocation, b: StoreLocation) -> bool:
    if a.path is not None and b.path is not None:
        return a.path.exists() and b.path.exists() and a.path.resolve() == b.path.resolve()
    return a.url is not None and a.url == b.url


def merge_stores(
    store: Store | str | os.PathLike | StoreLocation | None, others: list[str | os.PathLike | StoreLocation]
) -> list[MergeResult]:
    """Bring the runs of ``others`` into ``store`` in one transaction.

    ``store`` is an open :class:`Store`, or a ``--db`` (path or URL; ``None``: the default)
    that is opened, or created, only once every source has passed its checks. Every source is
    checked first (readable, a mobench store, not newer than this mobench, integrity and
    samples-vs-statistics checks; an SQLite file on a private copy), so a refused source leaves
    ``store`` untouched (and creates no database). A run whose ``uuid`` is already in ``store``
    is not stored again; a merged run keeps its provenance (host, CPU, versions, target) and
    records where it came from in ``extra.merged_from``.
    """
    if not others:
        raise StoreError("nothing to merge: name one or more results databases")
    target = store.location if isinstance(store, Store) else locate(store)
    with tempfile.TemporaryDirectory(prefix="mobench-merge-") as tmp:
        sources: list[tuple[str, str, Store]] = []
        try:
            for i, other in enumerate(others):  # every source is checked before the target is opened or created
                loc = locate(other)
                if _same(loc, target):
                    raise StoreError(f"cannot merge {loc} into itself")
                d = Path(tmp) / str(i)
                d.mkdir()
                name, src = _open_source(loc, d)
                sources.append((str(other), name, src))
            if not isinstance(store, Store):
                with Store(target) as opened:
                    return _merge(opened, sources)
            return _merge(store, sources)
        finally:
            for _, _, src in sources:
                src.close()


def _merge(store: Store, sources: list[tuple[str, str, Store]]) -> list[MergeResult]:
    """Insert the runs of the checked ``sources`` (shown as, recorded as, store) in one transaction."""
    from sqlalchemy import select

    from .tables import runs, samples, stats, sweeps

    results: list[MergeResult] = []
    cols = [c.name for c in runs.columns if c.name not in ("id", "sweep_id")]  # sweep ids are per store
    merged_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with store._transaction() as conn:
        for shown, name, src in sources:
            res = MergeResult(source=shown)
            sweep_ids: dict[int, int] = {}  # the source's sweep id -> its copy here
            for row in src._select(select(runs).order_by(runs.c.id)):
                if conn.execute(select(runs.c.id).where(runs.c.uuid == row["uuid"])).first() is not None:
                    res.duplicates += 1
                    continue
                values = {c: row[c] for c in cols}
                extra = json.loads(values.get("extra_json") or "{}")
                extra.setdefault("merged_from", {"path": name, "run_id": row["id"], "merged": merged_at})
                values["extra_json"] = _j(extra)
                old_sweep = row["sweep_id"]
                if old_sweep is not None:  # the run's sweep comes along (its schedule, host check)
                    if old_sweep not in sweep_ids:
                        sw = src._select(select(sweeps).where(sweeps.c.id == old_sweep))
                        if sw:
                            sweep_ids[old_sweep] = store._insert(
                                conn, sweeps, {k: v for k, v in dict(sw[0]).items() if k != "id"}
                            )
                    values["sweep_id"] = sweep_ids.get(old_sweep)
                new_id = store._insert(conn, runs, values)
                xs = src._select(
                    select(samples.c.round, samples.c.idx, samples.c.latency_ms).where(samples.c.run_id == row["id"])
                )
                if xs:
                    conn.execute(samples.insert(), [{**dict(x), "run_id": new_id} for x in xs])
                st = src._select(select(stats).where(stats.c.run_id == row["id"]))
                if st:
                    conn.execute(stats.insert(), {**dict(st[0]), "run_id": new_id})
                res.added.append(new_id)
            results.append(res)
    return results
