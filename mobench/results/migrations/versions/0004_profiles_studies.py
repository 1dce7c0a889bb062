"""Schema 4: per-op profiles linked to the run that gave their unprofiled median, and study
results (one row per study invocation; its rows name their runs).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE")),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("device", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("unfused", sa.Integer, nullable=False),
        sa.Column("estimated", sa.Integer, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("profiled_total_ms", sa.Double),
        sa.Column("unprofiled_median_ms", sa.Double),
        sa.Column("ops_total_ms", sa.Double, nullable=False),
        sa.Column("ops_json", sa.Text, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("profiles_lookup", "profiles", ["model", "device", "unfused"])
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("study", sa.Text, nullable=False),
        sa.Column("device", sa.Text, nullable=False),
        sa.Column("resolution", sa.Integer, nullable=False),
        sa.Column("rows_json", sa.Text, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
