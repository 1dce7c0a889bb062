"""Schema 1: runs, their raw samples and their statistics.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

TEXT, INT, REAL = sa.Text, sa.Integer, sa.Double


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", INT, primary_key=True, autoincrement=True),
        sa.Column("created", TEXT, nullable=False),
        sa.Column("status", TEXT, sa.CheckConstraint("status IN ('ok', 'failed')"), nullable=False),
        sa.Column("error", TEXT),
        sa.Column("model", TEXT, nullable=False),
        sa.Column("device", TEXT, nullable=False),
        sa.Column("artifact_format", TEXT),
        sa.Column("artifact_sha256", TEXT),
        sa.Column("artifact_path", TEXT),
        sa.Column("precision", TEXT),
        sa.Column("reparameterized", INT),
        sa.Column("protocol", TEXT),
        sa.Column("config_key", TEXT),
        sa.Column("config_json", TEXT, nullable=False),
        sa.Column("device_info_json", TEXT, nullable=False),
        sa.Column("provenance_json", TEXT, nullable=False),
        sa.Column("host", TEXT),
        sa.Column("cpu", TEXT),
        sa.Column("os", TEXT),
        sa.Column("python_version", TEXT),
        sa.Column("torch_version", TEXT),
        sa.Column("ort_version", TEXT),
        sa.Column("coremltools_version", TEXT),
        sa.Column("mobench_version", TEXT),
        sa.Column("git_commit", TEXT),
        sa.Column("compile_ms", REAL),
        sa.Column("load_ms_json", TEXT, nullable=False),
        sa.Column("first_inference_ms_json", TEXT, nullable=False),
        sa.Column("warmup_ms_json", TEXT, nullable=False),
        sa.Column("memory_json", TEXT, nullable=False),
        sa.Column("rounds_info_json", TEXT, nullable=False),
        sa.Column("extra_json", TEXT, nullable=False),
        sa.Column("n_samples", INT, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("runs_lookup", "runs", ["model", "device", "artifact_sha256", "config_key", "status"])
    op.create_table(
        "samples",
        sa.Column("run_id", INT, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", INT, nullable=False),
        sa.Column("idx", INT, nullable=False),
        sa.Column("latency_ms", REAL, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "round", "idx"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats",
        sa.Column("run_id", INT, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
        sa.Column("n", INT, nullable=False),
        sa.Column("rounds", INT, nullable=False),
        *(
            sa.Column(c, REAL)
            for c in (
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
        ),
        sa.Column("headline", TEXT),
        sa.Column("headline_ms", REAL),
    )
