"""The results store's tables as SQLAlchemy Core objects: the schema at the newest revision.

The same tables serve SQLite (the embedded default) and PostgreSQL. Every change to them is
also one Alembic revision in ``migrations/versions`` (a new column: one ``Column`` here and one
``op.add_column`` there); ``tests/results/test_migrations.py`` checks that a store built by the
revisions matches these tables. Latencies are double precision on every database (``Double``),
booleans and JSON documents are stored as INTEGER and TEXT as they always were, so a store
moved between databases (``mobench results merge``) keeps every value bit for bit.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

metadata = MetaData()


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


runs = Table(
    "runs",
    metadata,
    _id(),
    Column("created", Text, nullable=False),
    Column("status", Text, CheckConstraint("status IN ('ok', 'failed')"), nullable=False),
    Column("error", Text),
    Column("model", Text, nullable=False),
    Column("device", Text, nullable=False),
    Column("artifact_format", Text),
    Column("artifact_sha256", Text),
    Column("artifact_path", Text),
    Column("reparameterized", Integer),
    Column("protocol", Text),
    Column("config_key", Text),
    Column("config_json", Text, nullable=False),
    Column("device_info_json", Text, nullable=False),
    Column("provenance_json", Text, nullable=False),
    Column("host", Text),
    Column("cpu", Text),
    Column("os", Text),
    Column("python_version", Text),
    Column("mobench_version", Text),
    Column("git_commit", Text),
    Column("compile_ms", Double),
    Column("load_ms_json", Text, nullable=False),
    Column("first_inference_ms_json", Text, nullable=False),
    Column("warmup_ms_json", Text, nullable=False),
    Column("memory_json", Text, nullable=False),
    Column("rounds_info_json", Text, nullable=False),
    Column("extra_json", Text, nullable=False),
    Column("n_samples", Integer, nullable=False),
    # schema 2: the measurement target and the run's stable identity
    Column("uuid", Text),
    Column("backend", Text),
    Column("hardware", Text),
    Column("hardware_id", Text),
    Column("runtime", Text),
    Column("runtime_version", Text),
    Column("recipe", Text),
    Column("options_json", Text),
    Column("target_key", Text),
    Column("target_label", Text),
    # schema 3: how rounds were scheduled
    Column("schedule", Text),
    Column("sweep_id", Integer, ForeignKey("sweeps.id", ondelete="SET NULL")),
    # schema 6: the inputs the run fed (mobench.core.inputs.Inputs)
    Column("inputs_json", Text),
    Column("input_label", Text),
    Column("input_data_sha256", Text),
    Index("runs_lookup", "model", "device", "artifact_sha256", "config_key", "status"),
    Index("runs_uuid", "uuid", unique=True),
    Index("runs_target", "target_key", "model", "status"),
    sqlite_autoincrement=True,
)

samples = Table(
    "samples",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("idx", Integer, nullable=False),
    Column("latency_ms", Double, nullable=False),
    PrimaryKeyConstraint("run_id", "round", "idx"),
    sqlite_with_rowid=False,
)

STAT_COLUMNS = (
    "min_ms",
    "mean_ms",
    "median_ms",
    "p90_ms",
    "p99_ms",
    "std_ms",
    "cv",
    "trimmed_mean_ms",
    "low_ms",
    "high_ms",
    "median_ci_low_ms",
    "median_ci_high_ms",
    "outlier_fraction",
)

stats = Table(
    "stats",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
    Column("rounds", Integer, nullable=False),
    *(Column(c, Double) for c in STAT_COLUMNS),
    Column("headline", Text),
    Column("headline_ms", Double),
    # schema 3: the robust statistic
    Column("robust_ms", Double),
    Column("round_spread", Double),
    Column("rounds_disagree", Integer),
    # schema 7: how precise the run is, and the round-spread limit its own noise predicts
    Column("round_spread_limit", Double),
    Column("headline_ci_low_ms", Double),
    Column("headline_ci_high_ms", Double),
    Column("ci_half_width", Double),
    Column("target_ci", Double),
    Column("target_ci_met", Integer),
)

sweeps = Table(
    "sweeps",
    metadata,
    _id(),
    Column("created", Text, nullable=False),
    Column("schedule", Text, nullable=False),
    Column("seed", Integer),
    Column("labels_json", Text, nullable=False),
    Column("round_order_json", Text, nullable=False),
    Column("groups_json", Text, nullable=False),
    Column("extra_json", Text, nullable=False),
    sqlite_autoincrement=True,
)

compares = Table(
    "compares",
    metadata,
    _id(),
    Column("created", Text, nullable=False),
    Column("a_spec", Text, nullable=False),
    Column("b_spec", Text, nullable=False),
    Column("a_run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("b_run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("sweep_id", Integer, ForeignKey("sweeps.id", ondelete="SET NULL")),
    Column("statistic", Text, nullable=False),
    Column("ratio", Double, nullable=False),
    Column("ci_low", Double, nullable=False),
    Column("ci_high", Double, nullable=False),
    Column("confidence", Double, nullable=False),
    Column(
        "verdict",
        Text,
        CheckConstraint("verdict IN ('faster', 'slower', 'no detectable difference', 'too busy to tell')"),
        nullable=False,
    ),
    Column("pairs", Integer, nullable=False),
    Column("extra_json", Text, nullable=False),
    sqlite_autoincrement=True,
)

profiles = Table(
    "profiles",
    metadata,
    _id(),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE")),
    Column("created", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("device", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("unfused", Integer, nullable=False),
    Column("estimated", Integer, nullable=False),
    Column("runs", Integer, nullable=False),
    Column("profiled_total_ms", Double),
    Column("unprofiled_median_ms", Double),
    Column("ops_total_ms", Double, nullable=False),
    Column("ops_json", Text, nullable=False),
    Column("extra_json", Text, nullable=False),
    Index("profiles_lookup", "model", "device", "unfused"),
    sqlite_autoincrement=True,
)

studies = Table(
    "studies",
    metadata,
    _id(),
    Column("created", Text, nullable=False),
    Column("study", Text, nullable=False),
    Column("device", Text, nullable=False),
    Column("resolution", Integer, nullable=False),
    Column("rows_json", Text, nullable=False),
    Column("extra_json", Text, nullable=False),
    sqlite_autoincrement=True,
)
