"""The results store: SQLite (WAL) or PostgreSQL, one transaction per run.

``Store(db)`` opens or creates the database named by ``db`` (a path, a SQLAlchemy URL, or
``None`` for ``$MOBENCH_DB`` / ``results/mobench.sqlite``) and upgrades an older store in
place (:mod:`mobench.results.schema`). ``add_run`` writes the run row, every raw sample and
the statistics in one transaction, so a crash or a ``kill -9`` in the middle of a sweep
leaves every finished run intact and no half-written one, and several processes may write to
one store at once. Every failure to open, read or write surfaces as one ``StoreError`` that
says what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.configs import BenchConfig
from ..core.errors import StoreError
from ..core.records import RunRecord
from ..core.statistics import compute_stats
from ..core.target import Target
from .legacy import target_of
from .location import DEFAULT_DB_NAME, StoreLocation, default_db_path, locate

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["DEFAULT_DB_NAME", "Store", "default_db_path"]


def _j(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@lru_cache(maxsize=256)
def _named(sql: str) -> tuple[Any, int]:
    """``sql`` with its ``?`` placeholders as ``:p0, :p1 ...`` (portable across databases)."""
    from sqlalchemy import text

    n = 0

    def sub(_m: re.Match) -> str:
        nonlocal n
        n += 1
        return f":p{n - 1}"

    return text(re.sub(r"\?", sub, sql)), n


class Store:
    """The results database. Use as a context manager or call :meth:`close`.

    ``readonly=True`` opens an existing database for reading only (for ``results list/show/
    export``, ``analyze``, ``report``): nothing is created, but an older store is upgraded
    in place first (with a backup copy of an SQLite file), so its runs can be read.
    """

    def __init__(
        self,
        path: str | os.PathLike | StoreLocation | None = None,
        *,
        readonly: bool = False,
        upgrade: bool = True,
        quiet: bool = False,
    ) -> None:
        self.location = locate(path)
        self.path: Path | None = self.location.path
        self.readonly = readonly
        self.upgrade = upgrade
        self.quiet = quiet
        self.upgraded_from: int | None = None  # the schema version an upgrade on opening started from
        self.backup: Path | None = None
        self._engine, self._conn = self._open()

    # -- opening --------------------------------------------------------------------
    def _check_file(self) -> None:
        p = self.path
        assert p is not None
        if p.exists() and p.is_dir():
            raise StoreError(f"results database {p} is a folder; pass --db with a file path")
        if self.readonly:
            if not p.exists():
                raise StoreError(f"no results database at {p}; run `mobench bench` first or pass --db")
            if not os.access(p, os.R_OK):
                raise StoreError(f"results database {p} is not readable; check its permissions")
            return
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create folder {p.parent} for the results database: {exc.strerror or exc}"
            ) from exc
        if p.exists() and (not os.access(p, os.R_OK | os.W_OK) or not p.stat().st_mode & 0o222):
            raise StoreError(f"results database {p} is read-only or unreadable; fix its permissions or pass --db PATH")
        if not p.exists() and not os.access(p.parent, os.W_OK):
            raise StoreError(f"cannot create {p}: folder {p.parent} is not writable; pass --db PATH")

    def _open(self):
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError

        from .engine import make_engine
        from .schema import SCHEMA_VERSION, check_version, ensure_current

        loc = self.location
        if loc.path is not None:
            self._check_file()
        engine = None
        try:
            engine = make_engine(loc, readonly=self.readonly)
            conn = engine.connect()
            try:
                if not self.readonly:
                    self.upgraded_from, self.backup = ensure_current(conn, loc, announce=not self.quiet)
                elif (version := check_version(conn, loc)) < SCHEMA_VERSION:
                    if version == 0:
                        raise StoreError(
                            f"results database {loc} holds no mobench results yet; run `mobench bench --db {loc}` "
                            f"first (or create the store with `mobench results upgrade --db {loc}`)"
                        )
                    if not self.upgrade:
                        raise StoreError(
                            f"results database {loc} has an old schema ({version}); upgrade it first: "
                            f"mobench results upgrade --db {loc}"
                        )
                    self._upgrade_aside()
            except BaseException:
                conn.close()
                raise
            return engine, conn
        except StoreError:
            if engine is not None:
                engine.dispose()
            raise
        except (SQLAlchemyError, DBAPIError, OSError) as exc:
            if engine is not None:
                engine.dispose()
            raise StoreError(
                f"results database {loc} is unusable ({_first_line(exc)}); it may be corrupt, unreachable or not "
                "a mobench database: pass --db with another one"
            ) from exc

    def _upgrade_aside(self) -> None:
        """Upgrade an older store opened read-only, through a writing connection of its own."""
        from .engine import make_engine
        from .schema import ensure_current

        if self.path is not None and (not os.access(self.path, os.W_OK) or not self.path.stat().st_mode & 0o222):
            raise StoreError(
                f"results database {self.path} has an old schema and is read-only, so it cannot be upgraded in "
                "place; make it writable (or copy it) and run `mobench results upgrade --db` on it"
            )
        engine = make_engine(self.location)
        try:
            with engine.connect() as conn:
                self.upgraded_from, self.backup = ensure_current(conn, self.location, announce=not self.quiet)
        finally:
            engine.dispose()

    # -- plumbing -------------------------------------------------------------------
    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()
        with contextlib.suppress(Exception):
            self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self._conn.dialect.name

    @property
    def schema_version(self) -> int:
        from .schema import stored_version

        with self._conn.begin():
            return stored_version(self._conn, self.location)

    def _query(self, sql: str, args: tuple = ()) -> list[Any]:
        """Rows (mappings: ``row["col"]``, ``dict(row)``) of ``sql`` with ``?`` placeholders."""
        from sqlalchemy.exc import SQLAlchemyError

        stmt, n = _named(sql)
        try:
            with self._conn.begin():
                return list(self._conn.execute(stmt, {f"p{i}": a for i, a in enumerate(args[:n])}).mappings())
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read results database {self.location} ({_first_line(exc)})") from exc

    def _select(self, stmt: Any) -> list[Any]:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self._conn.begin():
                return list(self._conn.execute(stmt).mappings())
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read results database {self.location} ({_first_line(exc)})") from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One writing transaction (SQLite: BEGIN IMMEDIATE); a failure rolls all of it back."""
        from sqlalchemy.exc import SQLAlchemyError

        if self.readonly:
            raise StoreError(f"results database {self.location} is open read-only")
        self._conn.info["write"] = True
        try:
            tx = self._conn.begin()
        except SQLAlchemyError as exc:
            self._conn.info["write"] = False
            raise StoreError(
                f"cannot write results database {self.location} ({_first_line(exc)}); is it read-only or locked?"
            ) from exc
        try:
            yield self._conn
            tx.commit()
        except SQLAlchemyError as exc:
            with contextlib.suppress(SQLAlchemyError):
                tx.rollback()
            raise StoreError(
                f"cannot write results database {self.location} ({_first_line(exc)}); nothing of this run was stored"
            ) from exc
        except BaseException:
            with contextlib.suppress(SQLAlchemyError):
                tx.rollback()
            raise
        finally:
            self._conn.info["write"] = False

    @staticmethod
    def _insert(conn: Connection, table: Any, row: dict[str, Any]) -> int:
        """Insert one row (a key that is no column of ``table`` is an error); its new id."""
        return int(conn.execute(table.insert().values(row).returning(table.c.id)).scalar_one())

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
        from .tables import sweeps

        with self._transaction() as conn:
            conn.execute(
                sweeps.update().where(sweeps.c.id == int(sweep_id)).values(round_order_json=json.dumps(round_order))
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
        from .tables import compares

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
                created=_now(),
                a_run_id=ids[0],
                b_run_id=ids[1],
                sweep_id=sid,
                extra_json=_j({k: v for k, v in result.items() if k not in cols}),
            )
            return self._insert(conn, compares, row)

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
            raise StoreError(f"no sweep {sweep_id} in {self.location}")
        d = dict(rows[0])
        for k in ("labels", "round_order", "groups", "extra"):
            d[k] = json.loads(d.pop(f"{k}_json"))
        return d

    def _insert_sweep(
        self,
        conn: Connection,
        schedule: str,
        seed: int | None,
        labels: list[str],
        round_order: list[int],
        groups: list[list[int]],
        extra: dict[str, Any] | None = None,
    ) -> int:
        from .tables import sweeps

        row = {
            "created": _now(),
            "schedule": schedule,
            "seed": seed,
            "labels_json": json.dumps(labels),
            "round_order_json": json.dumps(round_order),
            "groups_json": json.dumps(groups),
            "extra_json": _j(extra or {}),
        }
        return self._insert(conn, sweeps, row)

    def _insert_run(self, conn: Connection, record: RunRecord, config_key: str | None) -> int:
        from .tables import runs, samples, stats

        created = record.created or _now()
        record.created = created
        st = None
        if record.status == "ok":
            if not record.n_samples:
                raise StoreError(f"run of {record.model} has status ok but no samples; store it as failed")
            cfg = BenchConfig.from_dict(record.config) if record.config else None
            st = compute_stats(record.samples_ms, cfg)
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
            # the inputs fed (schema version 6)
            "inputs_json": _j(record.inputs) if record.inputs else None,
            "input_label": (record.inputs or {}).get("label") or None,
            "input_data_sha256": ((record.inputs or {}).get("data") or {}).get("sha256"),
        }
        run_id = self._insert(conn, runs, row)
        rows = [
            {"run_id": run_id, "round": r, "idx": i, "latency_ms": float(v)}
            for r, vals in enumerate(record.samples_ms)
            for i, v in enumerate(vals)
        ]
        if rows:
            conn.execute(samples.insert(), rows)
        if st is not None:
            conn.execute(stats.insert().values({**st, "run_id": run_id}))  # a statistic without a column fails
        return run_id

    def delete_run(self, run_id: int) -> None:
        """Delete a run with its samples and statistics (``StoreError`` if there is no such run)."""
        from .tables import runs

        with self._transaction() as conn:
            if conn.execute(runs.delete().where(runs.c.id == int(run_id))).rowcount == 0:
                raise StoreError(f"no run {run_id} in {self.location}; see `mobench results list`")

    # -- reading --------------------------------------------------------------------
    def find_run(
        self, model: str, device: str, artifact_sha256: str | None, config_key: str, target_key: str | None = None
    ) -> int | None:
        """The newest successful run of the same measurement, or ``None``.

        With ``target_key`` only a run on that target counts (a run merged from another
        host or phone with the same backend and options is not this host's measurement).
        """
        from sqlalchemy import select

        from .tables import runs

        c = runs.c
        stmt = select(c.id).where(c.model == model, c.device == device, c.config_key == config_key, c.status == "ok")
        stmt = stmt.where(
            c.artifact_sha256.is_(None) if artifact_sha256 is None else c.artifact_sha256 == artifact_sha256
        )
        if target_key is not None:
            stmt = stmt.where(c.target_key == target_key)
        rows = self._select(stmt.order_by(c.id.desc()).limit(1))
        return int(rows[0]["id"]) if rows else None

    def find_by_extra(self, device: str | None = None, **match: Any) -> list[int]:
        """Ids of runs whose ``extra`` has every ``key=value`` of ``match`` (oldest first).

        For de-duplicating ingested reports, e.g.
        ``store.find_by_extra("iphone", report_key=k, report_run_sha256=h)``. The JSON is
        compared here rather than in SQL, the same way on every database.
        """
        from sqlalchemy import select

        from .tables import runs

        for key in match:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise StoreError(f"bad extra key {key!r}")
        stmt = select(runs.c.id, runs.c.extra_json)
        if device is not None:
            stmt = stmt.where(runs.c.device == device)
        for key in match:  # narrows the rows to parse; the test is below
            stmt = stmt.where(runs.c.extra_json.contains(f'"{key}": '))
        out = []
        for r in self._select(stmt.order_by(runs.c.id)):
            extra = json.loads(r["extra_json"] or "{}")
            if all(key in extra and extra[key] == val for key, val in match.items()):
                out.append(int(r["id"]))
        return out

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
        from .tables import stats

        where, args = [], []
        for col, val in (("r.model", model), ("r.device", device), ("r.status", status), ("r.protocol", protocol)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = (
            "SELECT r.id AS run_id, r.created, r.status, r.error, r.model, r.device, r.artifact_format, "
            "r.recipe, r.reparameterized, r.protocol, r.n_samples, r.target_label, r.target_key, "
            "r.schedule, r.sweep_id, "
            + ", ".join(f"s.{c.name}" for c in stats.columns if c.name != "run_id")
            + " FROM runs r "
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
            raise StoreError(f"no run {run_id} in {self.location}; see `mobench results list`")
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
    def _target(r: Any) -> Target:
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
        """The database's own integrity check (SQLite) plus mobench's: every run's samples match its statistics."""
        problems = []
        if self.dialect == "sqlite":
            problems = [row["integrity_check"] for row in self._query("PRAGMA integrity_check")]
            problems = [p for p in problems if p != "ok"]
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


@dataclass(frozen=True)
class Upgrade:
    """What :func:`upgrade` did: the store's schema before and after, and the backup copy made."""

    location: StoreLocation
    old_version: int
    new_version: int
    backup: Path | None

    def __str__(self) -> str:
        if self.old_version == 0:
            return f"created the results store in {self.location} (schema {self.new_version})"
        if self.old_version == self.new_version:
            return f"results database {self.location} is at schema {self.new_version}; nothing to do"
        kept = f"; the old store is kept as {self.backup}" if self.backup else " (in one transaction)"
        return f"upgraded results database {self.location} from schema {self.old_version} to {self.new_version}{kept}"


def upgrade(db: str | os.PathLike | StoreLocation | None = None) -> Upgrade:
    """Bring the existing store ``db`` to this mobench's schema, in one transaction after a backup."""
    from .schema import SCHEMA_VERSION

    where = locate(db)
    if where.path is not None and not where.path.exists():
        raise StoreError(f"no results database at {where.path}; nothing to upgrade (pass --db)")
    with Store(where, quiet=True) as st:
        old = SCHEMA_VERSION if st.upgraded_from is None else st.upgraded_from
        return Upgrade(where, old, SCHEMA_VERSION, st.backup)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # the database driver's own message, without SQLAlchemy's SQL echo
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
