"""Schema 3: how rounds were scheduled, the robust statistic, and compare results.

``sweeps``: one row per timed sweep (schedule, seed, the runs' labels, the order in which their
rounds ran, the memory-budget groups). ``runs`` gains ``schedule`` and ``sweep_id`` (NULL for
runs timed before). ``stats`` gains ``robust_ms`` (lower quartile of round medians),
``round_spread`` and ``rounds_disagree``. ``compares``: one row per ``mobench compare``.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("schedule", sa.Text, nullable=False),
        sa.Column("seed", sa.Integer),
        sa.Column("labels_json", sa.Text, nullable=False),
        sa.Column("round_order_json", sa.Text, nullable=False),
        sa.Column("groups_json", sa.Text, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.add_column("runs", sa.Column("schedule", sa.Text))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column's foreign key only inline
        op.execute("ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL")
    else:
        op.add_column("runs", sa.Column("sweep_id", sa.Integer, sa.ForeignKey("sweeps.id", ondelete="SET NULL")))
    op.add_column("stats", sa.Column("robust_ms", sa.Double))
    op.add_column("stats", sa.Column("round_spread", sa.Double))
    op.add_column("stats", sa.Column("rounds_disagree", sa.Integer))
    op.create_table(
        "compares",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("a_spec", sa.Text, nullable=False),
        sa.Column("b_spec", sa.Text, nullable=False),
        sa.Column("a_run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("b_run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sweep_id", sa.Integer, sa.ForeignKey("sweeps.id", ondelete="SET NULL")),
        sa.Column("statistic", sa.Text, nullable=False),
        sa.Column("ratio", sa.Double, nullable=False),
        sa.Column("ci_low", sa.Double, nullable=False),
        sa.Column("ci_high", sa.Double, nullable=False),
        sa.Column("confidence", sa.Double, nullable=False),
        sa.Column(
            "verdict",
            sa.Text,
            sa.CheckConstraint("verdict IN ('faster', 'slower', 'no detectable difference')"),
            nullable=False,
        ),
        sa.Column("pairs", sa.Integer, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
