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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..core.records import RunRecord
from ..core.errors import StoreError
from .schema import MIGRATIONS, SCHEMA_VERSION
from ..core.util import default_results_dir
from ..core.configs import BenchConfig
from ..core.statistics import compute_stats

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
                raise StoreError(f"cannot create folder {p.parent} for the results database: {exc.strerror or exc}") from None
            if p.exists() and (not os.access(p, os.R_OK | os.W_OK) or not p.stat().st_mode & 0o222):
                raise StoreError(f"results database {p} is read-only or unreadable; fix its permissions or pass --db PATH")
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
                raise StoreError(f"results database {p} has an old schema ({version}); open it once with `mobench bench` to migrate")
            return conn
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"results database {p} is unusable ({exc}); it may be corrupt or not a mobench database: pass --db with another file") from None

    @staticmethod
    def _migrate(conn: sqlite3.Connection, version: int) -> None:
        if version == 0:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            if tables:
                raise StoreError("the file is an SQLite database but not a mobench results store")
        for v in sorted(m for m in MIGRATIONS if version < m <= SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for stmt in filter(None, (s.strip() for s in MIGRATIONS[v].split(";"))):
                    conn.execute(stmt)
                conn.execute(f"PRAGMA user_version = {v}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- plumbing -------------------------------------------------------------------
    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()

    def __enter__(self) -> "Store":
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
            raise StoreError(f"cannot read results database {self.path} ({exc})") from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise StoreError(f"results database {self.path} is open read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write results database {self.path} ({exc}); is it read-only or locked?") from None
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._conn.execute("ROLLBACK")
            raise StoreError(f"cannot write results database {self.path} ({exc}); nothing of this run was stored") from None
        except BaseException:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._conn.execute("ROLLBACK")
            raise

    # -- writing --------------------------------------------------------------------
    def add_run(self, record: RunRecord, *, config_key: str | None = None) -> int:
        """Store ``record`` with its raw samples and statistics in one transaction; returns the run id."""

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
        key = config_key or record.extra.get("config_key")
        row = {
            "created": created, "status": record.status, "error": record.error,
            "model": record.model, "device": record.device,
            "artifact_format": record.artifact_format, "artifact_sha256": record.artifact_sha256,
            "artifact_path": record.artifact_path, "precision": record.precision,
            "reparameterized": None if record.reparameterized is None else int(bool(record.reparameterized)),
            "protocol": record.protocol, "config_key": key,
            "config_json": _j(record.config), "device_info_json": _j(record.device_info),
            "provenance_json": _j(prov),
            "host": prov.get("host"), "cpu": prov.get("cpu"), "os": prov.get("os"),
            "python_version": versions.get("python"), "torch_version": versions.get("torch"),
            "ort_version": versions.get("onnxruntime"), "coremltools_version": versions.get("coremltools"),
            "mobench_version": versions.get("mobench"), "git_commit": prov.get("git_commit"),
            "compile_ms": record.compile_ms,
            "load_ms_json": _j(record.load_ms), "first_inference_ms_json": _j(record.first_inference_ms),
            "warmup_ms_json": _j(record.warmup_ms), "memory_json": _j(record.memory),
            "rounds_info_json": _j(record.rounds_info), "extra_json": _j(record.extra),
            "n_samples": record.n_samples,
        }
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._transaction() as conn:
            cur = conn.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", tuple(row.values()))
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
    def find_run(self, model: str, device: str, artifact_sha256: str | None, config_key: str) -> int | None:
        """The newest successful run of the same measurement, or ``None``."""
        rows = self._query(
            "SELECT id FROM runs WHERE model = ? AND device = ? AND artifact_sha256 IS ? "
            "AND config_key = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
            (model, device, artifact_sha256, config_key),
        )
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

    def list_runs(self, *, model: str | None = None, device: str | None = None,
                  status: str | None = None, protocol: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
        """Summary rows (run fields + statistics), newest first."""
        where, args = [], []
        for col, val in (("r.model", model), ("r.device", device), ("r.status", status), ("r.protocol", protocol)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = (
            "SELECT r.id AS run_id, r.created, r.status, r.error, r.model, r.device, r.artifact_format, "
            "r.precision, r.reparameterized, r.protocol, r.n_samples, s.* FROM runs r "
            "LEFT JOIN stats s ON s.run_id = r.id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY r.id DESC" + (f" LIMIT {int(limit)}" if limit else "")
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
        for s in self._query("SELECT round, idx, latency_ms FROM samples WHERE run_id = ? ORDER BY round, idx", (int(run_id),)):
            while len(samples) <= s["round"]:
                samples.append([])
            samples[s["round"]].append(s["latency_ms"])
        extra = json.loads(r["extra_json"])
        extra["run_id"] = int(r["id"])
        if r["config_key"]:
            extra["config_key"] = r["config_key"]
        return RunRecord(
            model=r["model"], device=r["device"], status=r["status"], error=r["error"],
            artifact_format=r["artifact_format"], artifact_sha256=r["artifact_sha256"],
            artifact_path=r["artifact_path"], precision=r["precision"],
            reparameterized=None if r["reparameterized"] is None else bool(r["reparameterized"]),
            protocol=r["protocol"], config=json.loads(r["config_json"]),
            device_info=json.loads(r["device_info_json"]), provenance=json.loads(r["provenance_json"]),
            compile_ms=r["compile_ms"], load_ms=json.loads(r["load_ms_json"]),
            first_inference_ms=json.loads(r["first_inference_ms_json"]),
            warmup_ms=json.loads(r["warmup_ms_json"]), samples_ms=samples,
            memory=json.loads(r["memory_json"]), rounds_info=json.loads(r["rounds_info_json"]),
            extra=extra, created=r["created"],
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
