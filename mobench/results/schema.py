"""The results store's SQLite schema and its migrations.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[v]`` takes a
database from version ``v - 1`` to ``v``; a new column or table is a new entry,
never an edit of an old one. A database whose version is newer than
``SCHEMA_VERSION`` was written by a newer mobench and is refused. A migration
that must compute values (not expressible in SQL) adds a step to
``MIGRATION_STEPS[v]``, run after ``MIGRATIONS[v]`` in the same transaction.

Version 2 makes the measurement target first-class (:mod:`mobench.core.target`):
backend, hardware model and id, runtime and its version, recipe, the options
that change a measurement, the target's key and label, and a stable run
``uuid`` (what ``results merge`` recognises a run by). The per-runtime version
columns (``torch_version``, ``ort_version``, ``coremltools_version``) give way
to ``runtime`` / ``runtime_version``; existing runs keep their values there.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable

from .legacy import target_of

SCHEMA_VERSION = 6

_V1 = """
CREATE TABLE runs (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    created             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error               TEXT,
    model               TEXT NOT NULL,
    device              TEXT NOT NULL,
    artifact_format     TEXT,
    artifact_sha256     TEXT,
    artifact_path       TEXT,
    precision           TEXT,
    reparameterized     INTEGER,
    protocol            TEXT,
    config_key          TEXT,
    config_json         TEXT NOT NULL,
    device_info_json    TEXT NOT NULL,
    provenance_json     TEXT NOT NULL,
    host                TEXT,
    cpu                 TEXT,
    os                  TEXT,
    python_version      TEXT,
    torch_version       TEXT,
    ort_version         TEXT,
    coremltools_version TEXT,
    mobench_version     TEXT,
    git_commit          TEXT,
    compile_ms          REAL,
    load_ms_json        TEXT NOT NULL,
    first_inference_ms_json TEXT NOT NULL,
    warmup_ms_json      TEXT NOT NULL,
    memory_json         TEXT NOT NULL,
    rounds_info_json    TEXT NOT NULL,
    extra_json          TEXT NOT NULL,
    n_samples           INTEGER NOT NULL
);
CREATE INDEX runs_lookup ON runs (model, device, artifact_sha256, config_key, status);

CREATE TABLE samples (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    round       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    latency_ms  REAL NOT NULL,
    PRIMARY KEY (run_id, round, idx)
) WITHOUT ROWID;

CREATE TABLE stats (
    run_id              INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    n                   INTEGER NOT NULL,
    rounds              INTEGER NOT NULL,
    min_ms              REAL,
    mean_ms             REAL,
    median_ms           REAL,
    p90_ms              REAL,
    p99_ms              REAL,
    std_ms              REAL,
    cv                  REAL,
    trimmed_mean_ms     REAL,
    low_ms              REAL,
    high_ms             REAL,
    median_ci_low_ms    REAL,
    median_ci_high_ms   REAL,
    outlier_fraction    REAL,
    headline            TEXT,
    headline_ms         REAL
);
"""

_V2 = """
ALTER TABLE runs ADD COLUMN uuid TEXT;
ALTER TABLE runs ADD COLUMN backend TEXT;
ALTER TABLE runs ADD COLUMN hardware TEXT;
ALTER TABLE runs ADD COLUMN hardware_id TEXT;
ALTER TABLE runs ADD COLUMN runtime TEXT;
ALTER TABLE runs ADD COLUMN runtime_version TEXT;
ALTER TABLE runs ADD COLUMN recipe TEXT;
ALTER TABLE runs ADD COLUMN options_json TEXT;
ALTER TABLE runs ADD COLUMN target_key TEXT;
ALTER TABLE runs ADD COLUMN target_label TEXT
"""

_V2_AFTER = """
ALTER TABLE runs DROP COLUMN torch_version;
ALTER TABLE runs DROP COLUMN ort_version;
ALTER TABLE runs DROP COLUMN coremltools_version;
CREATE UNIQUE INDEX runs_uuid ON runs (uuid);
CREATE INDEX runs_target ON runs (target_key, model, status)
"""


def legacy_run_uuid(row: dict) -> str:
    """A run stored before runs had a uuid gets one derived from its content, so two copies of
    the same old store migrated apart still agree on it (and ``results merge`` keeps it once)."""
    parts = [
        row.get(k)
        for k in (
            "created",
            "status",
            "model",
            "device",
            "artifact_sha256",
            "config_key",
            "config_json",
            "device_info_json",
            "provenance_json",
            "extra_json",
            "n_samples",
            "load_ms_json",
        )
    ]
    return "v1-" + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _v2_backfill(conn: sqlite3.Connection) -> None:
    rows = conn.execute("SELECT * FROM runs").fetchall()
    cols = [d[0] for d in conn.execute("SELECT * FROM runs LIMIT 0").description]
    for raw in rows:
        row = dict(zip(cols, raw, strict=True))
        info = json.loads(row.get("device_info_json") or "{}")
        prov = json.loads(row.get("provenance_json") or "{}")
        for col, key in (
            ("ort_version", "onnxruntime"),
            ("torch_version", "torch"),
            ("coremltools_version", "coremltools"),
        ):
            if row.get(col):
                prov.setdefault("versions", {}).setdefault(key, row[col])
        t = target_of(row["device"], info, prov, row.get("precision"))
        conn.execute(
            "UPDATE runs SET uuid = ?, backend = ?, hardware = ?, hardware_id = ?, runtime = ?, "
            "runtime_version = ?, recipe = ?, options_json = ?, target_key = ?, target_label = ? WHERE id = ?",
            (
                legacy_run_uuid(row),
                t.backend,
                t.hardware,
                t.hardware_id,
                t.runtime,
                t.runtime_version,
                t.recipe,
                json.dumps(t.options, sort_keys=True),
                t.key,
                t.label,
                row["id"],
            ),
        )
    for stmt in filter(None, (s.strip() for s in _V2_AFTER.split(";"))):
        conn.execute(stmt)


# Version 3: how rounds were scheduled, the robust statistic, and compare results.
#   sweeps    one row per timed sweep: schedule (interleaved, contiguous, abab), its seed,
#             the timed runs' labels and the order in which their rounds ran (indices into
#             the labels), and the memory-budget groups.
#   runs      + schedule, sweep_id (NULL for runs timed before version 3).
#   stats     + robust_ms (lower quartile of round medians), round_spread, rounds_disagree.
#   compares  one row per `mobench compare`: both sides' specs and runs, the ratio A/B of
#             their robust latencies, its bootstrap CI and the verdict.
_V3 = """
CREATE TABLE sweeps (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created          TEXT NOT NULL,
    schedule         TEXT NOT NULL,
    seed             INTEGER,
    labels_json      TEXT NOT NULL,
    round_order_json TEXT NOT NULL,
    groups_json      TEXT NOT NULL,
    extra_json       TEXT NOT NULL
);
ALTER TABLE runs ADD COLUMN schedule TEXT;
ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL;
ALTER TABLE stats ADD COLUMN robust_ms REAL;
ALTER TABLE stats ADD COLUMN round_spread REAL;
ALTER TABLE stats ADD COLUMN rounds_disagree INTEGER;
CREATE TABLE compares (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created       TEXT NOT NULL,
    a_spec        TEXT NOT NULL,
    b_spec        TEXT NOT NULL,
    a_run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    b_run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sweep_id      INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
    statistic     TEXT NOT NULL,
    ratio         REAL NOT NULL,
    ci_low        REAL NOT NULL,
    ci_high       REAL NOT NULL,
    confidence    REAL NOT NULL,
    verdict       TEXT NOT NULL CHECK (verdict IN ('faster', 'slower', 'no detectable difference')),
    pairs         INTEGER NOT NULL,
    extra_json    TEXT NOT NULL
)
"""

# Version 4: per-op profiles linked to the run that gave their unprofiled median, and
# study results (one row per study invocation; its rows name their runs).
_V4 = """
CREATE TABLE profiles (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id               INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    created              TEXT NOT NULL,
    model                TEXT NOT NULL,
    device               TEXT NOT NULL,
    source               TEXT NOT NULL,
    unfused              INTEGER NOT NULL,
    estimated            INTEGER NOT NULL,
    runs                 INTEGER NOT NULL,
    profiled_total_ms    REAL,
    unprofiled_median_ms REAL,
    ops_total_ms         REAL NOT NULL,
    ops_json             TEXT NOT NULL,
    extra_json           TEXT NOT NULL
);
CREATE INDEX profiles_lookup ON profiles (model, device, unfused);

CREATE TABLE studies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created     TEXT NOT NULL,
    study       TEXT NOT NULL,
    device      TEXT NOT NULL,
    resolution  INTEGER NOT NULL,
    rows_json   TEXT NOT NULL,
    extra_json  TEXT NOT NULL
);
"""

# Version 5: one recipe column. ``runs.precision`` (the artifact's recipe, from version 1) and
# ``runs.recipe`` (the target's recipe, from version 2) held the same name under two words;
# ``recipe`` keeps it (:func:`_v5_fold_precision_into_recipe`).
_V5 = ""


def _v5_fold_precision_into_recipe(conn: sqlite3.Connection) -> None:
    """Fold ``runs.precision`` into ``runs.recipe`` and drop ``precision``.

    ``recipe`` takes ``precision`` where it is empty. A run whose two columns disagree
    (none written by mobench do) keeps its ``precision`` value in ``extra_json``, so
    nothing stored is lost.
    """
    conn.execute("UPDATE runs SET recipe = precision WHERE recipe IS NULL AND precision IS NOT NULL")
    for run_id, precision, extra in conn.execute(
        "SELECT id, precision, extra_json FROM runs WHERE precision IS NOT NULL AND recipe != precision"
    ).fetchall():
        kept = {**json.loads(extra or "{}"), "precision": precision}
        conn.execute("UPDATE runs SET extra_json = ? WHERE id = ?", (json.dumps(kept, sort_keys=True), run_id))
    conn.execute("ALTER TABLE runs DROP COLUMN precision")


# Version 6: the inputs a run fed (mobench.core.inputs.Inputs): every input's name, shape and
# dtype as JSON, the measurement's input label (``x=1x3x640x640``, also the suffix of a chosen-inputs
# model name) and the sha256 of an --input-data file. Older runs keep NULL: the zoo's default input.
_V6 = """
ALTER TABLE runs ADD COLUMN inputs_json TEXT;
ALTER TABLE runs ADD COLUMN input_label TEXT;
ALTER TABLE runs ADD COLUMN input_data_sha256 TEXT
"""

MIGRATIONS: dict[int, str] = {1: _V1, 2: _V2, 3: _V3, 4: _V4, 5: _V5, 6: _V6}
MIGRATION_STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {
    2: _v2_backfill,
    5: _v5_fold_precision_into_recipe,
}
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))  # one migration per version, none skipped
