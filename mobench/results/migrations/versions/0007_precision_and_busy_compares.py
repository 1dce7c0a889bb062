"""Schema 7: how precise every run is, and compares that may say "too busy to tell".

``stats`` gains ``round_spread_limit`` (the round-spread limit the run's own within-round noise
predicts, :mod:`mobench.core.statistics`), the headline's 95 % CI (``headline_ci_low_ms``,
``headline_ci_high_ms``), its half-width as a fraction of the headline (``ci_half_width``), the
precision target of the run's config (``target_ci``) and whether it was met (``target_ci_met``).
The verdict CHECK of ``compares`` allows ``'too busy to tell'``: SQLite cannot alter a CHECK, so
there the table is rebuilt with every row kept (ids included); PostgreSQL replaces the constraint.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

VERDICTS = "verdict IN ('faster', 'slower', 'no detectable difference', 'too busy to tell')"
COLUMNS = (
    "id, created, a_spec, b_spec, a_run_id, b_run_id, sweep_id, statistic, ratio, ci_low, ci_high, "
    "confidence, verdict, pairs, extra_json"
)


def upgrade() -> None:
    op.add_column("stats", sa.Column("round_spread_limit", sa.Double))
    op.add_column("stats", sa.Column("headline_ci_low_ms", sa.Double))
    op.add_column("stats", sa.Column("headline_ci_high_ms", sa.Double))
    op.add_column("stats", sa.Column("ci_half_width", sa.Double))
    op.add_column("stats", sa.Column("target_ci", sa.Double))
    op.add_column("stats", sa.Column("target_ci_met", sa.Integer))
    if op.get_bind().dialect.name != "sqlite":
        # PostgreSQL names a column's unnamed CHECK <table>_<column>_check
        op.drop_constraint("compares_verdict_check", "compares", type_="check")
        op.create_check_constraint("compares_verdict_check", "compares", VERDICTS)
        return
    op.create_table(
        "compares_v7",
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
        sa.Column("verdict", sa.Text, sa.CheckConstraint(VERDICTS), nullable=False),
        sa.Column("pairs", sa.Integer, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.execute(f"INSERT INTO compares_v7 ({COLUMNS}) SELECT {COLUMNS} FROM compares")
    op.drop_table("compares")
    op.rename_table("compares_v7", "compares")
