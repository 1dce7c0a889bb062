"""Schema 6: the inputs a run fed (:class:`mobench.core.inputs.Inputs`).

``runs`` gains ``inputs_json`` (every input's name, shape and dtype), ``input_label`` (the
measurement's input label, e.g. ``x=1x3x640x640``, also the suffix of a chosen-inputs model
name) and ``input_data_sha256`` (the sha256 of an ``--input-data`` file). Older runs keep NULL:
the zoo's default input.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.add_column("runs", sa.Column("inputs_json", sa.Text))
    op.add_column("runs", sa.Column("input_label", sa.Text))
    op.add_column("runs", sa.Column("input_data_sha256", sa.Text))
