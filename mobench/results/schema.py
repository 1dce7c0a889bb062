"""The results store's SQLite schema and its migrations.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[v]`` takes a
database from version ``v - 1`` to ``v``; a new column or table is a new entry,
never an edit of an old one. A database whose version is newer than
``SCHEMA_VERSION`` was written by a newer mobench and is refused.
"""

from __future__ import annotations

SCHEMA_VERSION = 4

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

# Migrations run in version order; a version number without a migration is skipped.
MIGRATIONS: dict[int, str] = {1: _V1, 4: _V4}
assert max(MIGRATIONS) == SCHEMA_VERSION
