"""Schema 5: one recipe column.

``runs.precision`` (the artifact's recipe, from schema 1) and ``runs.recipe`` (the target's
recipe, from schema 2) held the same name under two words; ``recipe`` keeps it. ``recipe``
takes ``precision`` where it is empty; a run whose two columns disagree (none written by
mobench do) keeps its ``precision`` value in ``extra_json``, so nothing stored is lost.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE runs SET recipe = precision WHERE recipe IS NULL AND precision IS NOT NULL"))
    disagree = conn.execute(
        sa.text("SELECT id, precision, extra_json FROM runs WHERE precision IS NOT NULL AND recipe != precision")
    ).all()
    for run_id, precision, extra in disagree:
        kept = {**json.loads(extra or "{}"), "precision": precision}
        conn.execute(
            sa.text("UPDATE runs SET extra_json = :extra WHERE id = :id"),
            {"extra": json.dumps(kept, sort_keys=True), "id": run_id},
        )
    op.drop_column("runs", "precision")
