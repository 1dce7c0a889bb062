"""The results store: SQLite (WAL), one transaction per run.

``Store(path)`` opens or creates the database and migrates it to the current
schema. ``add_run`` writes the run row, every raw sample and the statistics in
one transaction, so a crash or a ``kill -9`` in the middle of a sweep leaves
every finished run intact and no half-written one. Every failure to open, read
or write surfaces as one ``StoreError`` that says what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..core.configs import BenchConfig
from ..core.errors import StoreError
from ..core.records import RunRecord
from ..core.statistics import compute_stats
from ..core.target import Target
from ..core.util import default_results_dir
from .legacy import target_of
from .schema import MIGRATION_STEPS, MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB_NAME = "mobench.sqlite"


def default_db_path() -> Path:

    return default_results_dir() / DEFAULT_DB_NAME


def _j(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


class Store:
    """The results database. Use as a context manager or call :meth:`close`.

    ``readonly=True`` opens an existing database for reading only (for
    ``results list/show/export``), without creating or migrating anything.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.readonly = readonly
        self._conn = self._open()

    # -- opening --------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        p = self.path
        if p.exists() and p.is_dir():
            raise StoreError(f"results database {p} is a folder; pass --db with a file path")
        if self.readonly:
            if not p.exists():
                raise StoreError(f"no results database at {p}; run `mobench bench` first or pass --db")
            if not os.access(p, os.R_OK):
                raise StoreError(f"results database {p} is not readable; check its permissions")
        else:
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create folder {p.parent} for the results database: {exc.strerror or exc}"
                ) from exc
            if p.exists() and (not os.access(p, os.R_OK | os.W_OK) or not p.stat().st_mode & 0o222):
                raise StoreError(
                    f"results database {p} is read-only or unreadable; fix its permissions or pass --db PATH"
                )
            if not p.exists() and not os.access(p.parent, os.W_OK):
                raise StoreError(f"cannot create {p}: folder {p.parent} is not writable; pass --db PATH")
        try:
            if self.readonly:
                conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            else:
                conn = sqlite3.connect(str(p), timeout=30)
            conn.isolation_level = None  # explicit BEGIN/COMMIT
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                conn.close()
                raise StoreError(
                    f"results database {p} has schema version {version}, newer than this mobench "
                    f"understands ({SCHEMA_VERSION}); upgrade mobench or pass --db with another file"
                )
            if not self.readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate(conn, version)
            elif version < SCHEMA_VERSION:
                conn.close()
                raise StoreError(
                    f"results database {p} has an old schema ({version}); open it once with `mobench bench` to migrate"
                )
            return conn
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"results database {p} is unusable ({exc}); it may be corrupt or not a mobench database: pass --db with another file"
            ) from exc

    @staticmethod
    def _migrate(conn: sqlite3.Connection, version: int) -> None:
        if version == 0:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            if tables:
                raise StoreError("the file is an SQLite database but not a mobench results store")
        for v in sorted(k for k in MIGRATIONS if version < k <= SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for stmt in filter(None, (s.strip() for s in MIGRATIONS[v].split(";"))):
                    conn.execute(stmt)
                if v in MIGRATION_STEPS:
                    MIGRATION_STEPS[v](conn)
                conn.execute(f"PRAGMA user_version = {v}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- plumbing -------------------------------------------------------------------
    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read results database {self.path} ({exc})") from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise StoreError(f"results database {self.path} is open read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write results database {self.path} ({exc}); is it read-only or locked?") from exc
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._conn.execute("ROLLBACK")
            raise StoreError(
                f"cannot write results database {self.path} ({exc}); nothing of this run was stored"
            ) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._conn.execute("ROLLBACK")
            raise

    # -- writing --------------------------------------------------------------------
    def add_run(self, record: RunRecord, *, config_key: str | None = None) -> int:
        """Store ``record`` with its raw samples and statistics in one transaction; returns the run id.

        ``record.schedule`` and ``record.sweep_id`` (set by a sweep) fill the run's ``schedule``
        and ``sweep_id`` columns.
        """
        with self._transaction() as conn:
            return self._insert_run(conn, record, config_key)

    def add_sweep(
        self,
        schedule: str,
        seed: int | None,
        labels: list[str],
        round_order: list[int],
        groups: list[list[int]],
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Store how a sweep scheduled its rounds (one transaction); returns the sweep id."""
        with self._transaction() as conn:
            return self._insert_sweep(conn, schedule, seed, labels, round_order, groups, extra)

    def set_sweep_order(self, sweep_id: int, round_order: list[int]) -> None:
        """Record the round order of a sweep whose row was written before its timing."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE sweeps SET round_order_json = ? WHERE id = ?", (json.dumps(round_order), int(sweep_id))
            )

    def add_compare(
        self,
        a: RunRecord,
        b: RunRecord,
        sweep: dict[str, Any],
        result: dict[str, Any],
        *,
        config_key: str | None = None,
    ) -> int:
        """Store a comparison (its sweep, both runs and the result) in one transaction; returns its id.

        ``sweep`` has the keyword arguments of :meth:`add_sweep`; ``result`` has ``a_spec``,
        ``b_spec``, ``statistic``, ``ratio``, ``ci_low``, ``ci_high``, ``confidence``,
        ``verdict`` and ``pairs`` (anything else goes to ``extra_json``).
        """
        with self._transaction() as conn:
            sid = self._insert_sweep(conn, **sweep)
            ids = []
            for rec in (a, b):
                rec.sweep_id = sid
                ids.append(self._insert_run(conn, rec, config_key))
                rec.run_id = ids[-1]
            cols = ("a_spec", "b_spec", "statistic", "ratio", "ci_low", "ci_high", "confidence", "verdict", "pairs")
            row = {k: result[k] for k in cols}
            row.update(
                created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                a_run_id=ids[0],
                b_run_id=ids[1],
                sweep_id=sid,
                extra_json=_j({k: v for k, v in result.items() if k not in cols}),
            )
            cur = conn.execute(
                f"INSERT INTO compares ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values())
            )
            assert cur.lastrowid is not None  # set by every INSERT
            return int(cur.lastrowid)

    def list_compares(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Stored comparisons, newest first."""
        rows = self._query("SELECT * FROM compares ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else ""))
        out = []
        for r in rows:
            d = dict(r)
            d.update(json.loads(d.pop("extra_json") or "{}"))
            out.append(d)
        return out

    def get_sweep(self, sweep_id: int) -> dict[str, Any]:
        rows = self._query("SELECT * FROM sweeps WHERE id = ?", (int(sweep_id),))
        if not rows:
            raise StoreError(f"no sweep {sweep_id} in {self.path}")
        d = dict(rows[0])
        for k in ("labels", "round_order", "groups", "extra"):
            d[k] = json.loads(d.pop(f"{k}_json"))
        return d

    @staticmethod
    def _insert_sweep(
        conn: sqlite3.Connection,
        schedule: str,
        seed: int | None,
        labels: list[str],
        round_order: list[int],
        groups: list[list[int]],
        extra: dict[str, Any] | None = None,
    ) -> int:
        cur = conn.execute(
            "INSERT INTO sweeps (created, schedule, seed, labels_json, round_order_json, groups_json, extra_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
                schedule,
                seed,
                json.dumps(labels),
                json.dumps(round_order),
                json.dumps(groups),
                _j(extra or {}),
            ),
        )
        assert cur.lastrowid is not None  # set by every INSERT
        return int(cur.lastrowid)

    def _insert_run(self, conn: sqlite3.Connection, record: RunRecord, config_key: str | None) -> int:

        created = record.created or datetime.now(timezone.utc).isoformat(timespec="seconds")
        record.created = created
        stats = None
        if record.status == "ok":
            if not record.n_samples:
                raise StoreError(f"run of {record.model} has status ok but no samples; store it as failed")
            cfg = BenchConfig.from_dict(record.config) if record.config else None
            stats = compute_stats(record.samples_ms, cfg)
        elif record.status != "failed":
            raise StoreError(f"unknown run status {record.status!r} (ok or failed)")
        prov = record.provenance or {}
        versions = prov.get("versions") or {}
        key = config_key or record.config_key
        target = (
            Target.from_dict(record.target)
            if record.target
            else target_of(record.device, record.device_info, prov, record.recipe)
        )
        record.target = target.to_dict()
        record.uuid = record.uuid or uuid.uuid4().hex
        row = {
            "created": created,
            "status": record.status,
            "error": record.error,
            "model": record.model,
            "device": record.device,
            "artifact_format": record.artifact_format,
            "artifact_sha256": record.artifact_sha256,
            "artifact_path": record.artifact_path,
            "reparameterized": None if record.reparameterized is None else int(bool(record.reparameterized)),
            "protocol": record.protocol,
            "config_key": key,
            "config_json": _j(record.config),
            "device_info_json": _j(record.device_info),
            "provenance_json": _j(prov),
            "host": prov.get("host"),
            "cpu": prov.get("cpu"),
            "os": prov.get("os"),
            "python_version": versions.get("python"),
            "uuid": record.uuid,
            "backend": target.backend,
            "hardware": target.hardware,
            "hardware_id": target.hardware_id,
            "runtime": target.runtime,
            "runtime_version": target.runtime_version,
            "recipe": target.recipe if target.recipe is not None else record.recipe,
            "options_json": _j(target.options),
            "target_key": target.key,
            "target_label": target.label,
            "mobench_version": versions.get("mobench"),
            "git_commit": prov.get("git_commit"),
            "compile_ms": record.compile_ms,
            "load_ms_json": _j(record.load_ms),
            "first_inference_ms_json": _j(record.first_inference_ms),
            "warmup_ms_json": _j(record.warmup_ms),
            "memory_json": _j(record.memory),
            "rounds_info_json": _j(record.rounds_info),
            "extra_json": _j(record.stored_extra()),
            "n_samples": record.n_samples,
            "schedule": record.schedule,
            "sweep_id": record.sweep_id,
            # the inputs fed (schema version 5)
            "inputs_json": _j(record.inputs) if record.inputs else None,
            "input_label": (record.inputs or {}).get("label") or None,
            "input_data_sha256": ((record.inputs or {}).get("data") or {}).get("sha256"),
        }
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur = conn.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", tuple(row.values()))
        assert cur.lastrowid is not None  # set by every INSERT
        run_id = int(cur.lastrowid)
        conn.executemany(
            "INSERT INTO samples (run_id, round, idx, latency_ms) VALUES (?, ?, ?, ?)",
            ((run_id, r, i, float(v)) for r, vals in enumerate(record.samples_ms) for i, v in enumerate(vals)),
        )
        if stats is not None:
            s = {k: v for k, v in stats.items()}
            s["run_id"] = run_id
            conn.execute(
                f"INSERT INTO stats ({', '.join(s)}) VALUES ({', '.join('?' for _ in s)})",
                tuple(s.values()),
            )
        return run_id

    def delete_run(self, run_id: int) -> None:
        """Delete a run with its samples and statistics (``StoreError`` if there is no such run)."""
        with self._transaction() as conn:
            cur = conn.execute("DELETE FROM runs WHERE id = ?", (int(run_id),))
            if cur.rowcount == 0:
                raise StoreError(f"no run {run_id} in {self.path}; see `mobench results list`")

    # -- reading --------------------------------------------------------------------
    def find_run(
        self, model: str, device: str, artifact_sha256: str | None, config_key: str, target_key: str | None = None
    ) -> int | None:
        """The newest successful run of the same measurement, or ``None``.

        With ``target_key`` only a run on that target counts (a run merged from another
        host or phone with the same backend and options is not this host's measurement).
        """
        sql = (
            "SELECT id FROM runs WHERE model = ? AND device = ? AND artifact_sha256 IS ? "
            "AND config_key = ? AND status = 'ok'"
        )
        args: tuple = (model, device, artifact_sha256, config_key)
        if target_key is not None:
            sql += " AND target_key = ?"
            args += (target_key,)
        rows = self._query(sql + " ORDER BY id DESC LIMIT 1", args)
        return int(rows[0]["id"]) if rows else None

    def find_by_extra(self, device: str | None = None, **match: Any) -> list[int]:
        """Ids of runs whose ``extra`` has every ``key=value`` of ``match`` (oldest first).

        For de-duplicating ingested reports, e.g.
        ``store.find_by_extra("iphone", report_key=k, report_run_sha256=h)``.
        """
        import re

        where, args = [], []
        if device is not None:
            where.append("device = ?")
            args.append(device)
        for key, val in match.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise StoreError(f"bad extra key {key!r}")
            where.append(f"json_extract(extra_json, '$.{key}') = ?")
            args.append(val)
        sql = "SELECT id FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [int(r["id"]) for r in self._query(sql, tuple(args))]

    def list_runs(
        self,
        *,
        model: str | None = None,
        device: str | None = None,
        status: str | None = None,
        protocol: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Summary rows (run fields + statistics), newest first."""
        where, args = [], []
        for col, val in (("r.model", model), ("r.device", device), ("r.status", status), ("r.protocol", protocol)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = (
            "SELECT r.id AS run_id, r.created, r.status, r.error, r.model, r.device, r.artifact_format, "
            "r.recipe, r.reparameterized, r.protocol, r.n_samples, r.target_label, r.target_key, "
            "r.schedule, r.sweep_id, s.* FROM runs r "
            "LEFT JOIN stats s ON s.run_id = r.id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY r.id DESC"
            + (f" LIMIT {int(limit)}" if limit else "")
        )
        return [dict(r) for r in self._query(sql, tuple(args))]

    def get_stats(self, run_id: int) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM stats WHERE run_id = ?", (int(run_id),))
        if not rows:
            return None
        d = dict(rows[0])
        d.pop("run_id", None)
        return d

    def get_run(self, run_id: int) -> RunRecord:
        """The stored run as a :class:`RunRecord` (raw samples included)."""
        rows = self._query("SELECT * FROM runs WHERE id = ?", (int(run_id),))
        if not rows:
            raise StoreError(f"no run {run_id} in {self.path}; see `mobench results list`")
        r = rows[0]
        samples: list[list[float]] = []
        for s in self._query(
            "SELECT round, idx, latency_ms FROM samples WHERE run_id = ? ORDER BY round, idx", (int(run_id),)
        ):
            while len(samples) <= s["round"]:
                samples.append([])
            samples[s["round"]].append(s["latency_ms"])
        return RunRecord.from_dict(
            dict(
                run_id=int(r["id"]),
                config_key=r["config_key"] or None,
                model=r["model"],
                device=r["device"],
                status=r["status"],
                error=r["error"],
                artifact_format=r["artifact_format"],
                artifact_sha256=r["artifact_sha256"],
                artifact_path=r["artifact_path"],
                recipe=r["recipe"],
                reparameterized=None if r["reparameterized"] is None else bool(r["reparameterized"]),
                protocol=r["protocol"],
                config=json.loads(r["config_json"]),
                device_info=json.loads(r["device_info_json"]),
                provenance=json.loads(r["provenance_json"]),
                compile_ms=r["compile_ms"],
                load_ms=json.loads(r["load_ms_json"]),
                first_inference_ms=json.loads(r["first_inference_ms_json"]),
                warmup_ms=json.loads(r["warmup_ms_json"]),
                samples_ms=samples,
                memory=json.loads(r["memory_json"]),
                rounds_info=json.loads(r["rounds_info_json"]),
                extra=json.loads(r["extra_json"]),
                inputs=json.loads(r["inputs_json"]) if r["inputs_json"] else {},
                created=r["created"],
                uuid=r["uuid"],
                target=self._target(r).to_dict(),
            )
        )

    @staticmethod
    def _target(r: sqlite3.Row) -> Target:
        return Target.from_dict(
            {
                "backend": r["backend"] or r["device"],
                "hardware": r["hardware"],
                "hardware_id": r["hardware_id"],
                "runtime": r["runtime"],
                "runtime_version": r["runtime_version"],
                "recipe": r["recipe"],
                "options": json.loads(r["options_json"] or "{}"),
                "label": r["target_label"],
            }
        )

    def integrity_problems(self) -> list[str]:
        """SQLite's integrity check plus mobench's own: every run's samples match its statistics."""
        problems = [row[0] for row in self._query("PRAGMA integrity_check") if row[0] != "ok"]
        for row in self._query(
            "SELECT r.id, r.status, r.n_samples, s.n AS stat_n, "
            "(SELECT COUNT(*) FROM samples x WHERE x.run_id = r.id) AS stored "
            "FROM runs r LEFT JOIN stats s ON s.run_id = r.id"
        ):
            if row["n_samples"] != row["stored"]:
                problems.append(f"run {row['id']}: {row['stored']} samples stored, {row['n_samples']} expected")
            if row["status"] == "ok" and row["stat_n"] != row["stored"]:
                problems.append(f"run {row['id']}: statistics cover {row['stat_n']} samples, {row['stored']} stored")
        return problems


# -- merging other stores ----------------------------------------------------------------
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
    """A private, migrated copy of the store ``other`` (which itself is never written)."""
    if not other.exists():
        raise StoreError(f"cannot merge {other}: no such file")
    if other.is_dir():
        raise StoreError(f"cannot merge {other}: it is a folder, not a results database")
    copy = tmpdir / "other.sqlite"
    try:
        src = sqlite3.connect(f"{other.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            version = src.execute("PRAGMA user_version").fetchone()[0]
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
            dst = sqlite3.connect(str(copy))
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot merge {other}: not a readable SQLite database ({exc})") from None
    try:
        with Store(copy) as st:  # migrates the copy; refuses a database that is not a mobench store
            problems = st.integrity_problems()
    except StoreError as exc:
        msg = str(exc).replace(str(copy), str(other))
        raise StoreError(f"cannot merge {other}: {msg}") from None
    if problems:
        raise StoreError(f"cannot merge {other}: {problems[0]}")
    return copy


def merge_stores(store: Store | str | os.PathLike | None, others: list[str | os.PathLike]) -> list[MergeResult]:
    """Bring the runs of ``others`` into ``store`` in one transaction.

    ``store`` is an open :class:`Store`, or a database path (``None``: the default) that is
    opened, or created, only once every other file has passed its checks. Every file is
    checked first (readable SQLite, a mobench store, not newer than this mobench, integrity
    and samples-vs-statistics checks) on a private copy, so a refused file leaves ``store``
    untouched (and creates no database). A run whose ``uuid`` is already in ``store`` is not
    stored again; a merged run keeps its provenance (host, CPU, versions, target) and
    records where it came from in ``extra.merged_from``.
    """
    import tempfile

    if not others:
        raise StoreError("nothing to merge: name one or more results databases")
    target = store.path if isinstance(store, Store) else Path(store) if store is not None else default_db_path()
    with tempfile.TemporaryDirectory(prefix="mobench-merge-") as tmp:
        copies = []
        for i, other in enumerate(others):  # every file is checked before the database is opened or created
            p = Path(other)
            if p.exists() and target.exists() and p.resolve() == target.resolve():
                raise StoreError(f"cannot merge {p} into itself")
            d = Path(tmp) / str(i)
            d.mkdir()
            copies.append((p, _snapshot(p, d)))
        if not isinstance(store, Store):
            with Store(target) as opened:
                return _merge_copies(opened, copies)
        return _merge_copies(store, copies)


def _merge_copies(store: Store, copies: list[tuple[Path, Path]]) -> list[MergeResult]:
    """Insert the runs of the checked private ``copies`` (source path, copy) in one transaction."""
    results: list[MergeResult] = []
    mine = [r[1] for r in store._query("PRAGMA table_info(runs)")]
    merged_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with store._transaction() as conn:
        for src_path, copy in copies:
            res = MergeResult(source=str(src_path))
            src = sqlite3.connect(str(copy))
            src.row_factory = sqlite3.Row
            try:
                theirs = [r[1] for r in src.execute("PRAGMA table_info(runs)")]
                cols = [c for c in mine if c in theirs and c not in ("id", "sweep_id")]  # sweep ids are per store
                for row in src.execute("SELECT * FROM runs ORDER BY id").fetchall():
                    if conn.execute("SELECT 1 FROM runs WHERE uuid = ?", (row["uuid"],)).fetchone():
                        res.duplicates += 1
                        continue
                    values = {c: row[c] for c in cols}
                    extra = json.loads(values.get("extra_json") or "{}")
                    extra.setdefault(
                        "merged_from", {"path": str(src_path.resolve()), "run_id": row["id"], "merged": merged_at}
                    )
                    values["extra_json"] = _j(extra)
                    cur = conn.execute(
                        f"INSERT INTO runs ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                        tuple(values.values()),
                    )
                    assert cur.lastrowid is not None  # an INSERT into a rowid table
                    new_id = int(cur.lastrowid)
                    conn.executemany(
                        "INSERT INTO samples (run_id, round, idx, latency_ms) VALUES (?, ?, ?, ?)",
                        (
                            (new_id, s["round"], s["idx"], s["latency_ms"])
                            for s in src.execute(
                                "SELECT round, idx, latency_ms FROM samples WHERE run_id = ?", (row["id"],)
                            )
                        ),
                    )
                    st = src.execute("SELECT * FROM stats WHERE run_id = ?", (row["id"],)).fetchone()
                    if st is not None:
                        s = dict(st)
                        s["run_id"] = new_id
                        conn.execute(
                            f"INSERT INTO stats ({', '.join(s)}) VALUES ({', '.join('?' for _ in s)})",
                            tuple(s.values()),
                        )
                    res.added.append(new_id)
            finally:
                src.close()
            results.append(res)
    return results
