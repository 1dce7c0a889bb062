"""Alembic environment of the results store.

mobench runs the migrations itself (:mod:`mobench.results.schema`) on a connection it has
already opened and locked; that connection arrives in ``config.attributes["connection"]``.
Developers making a new revision run ``alembic`` with ``-x url=sqlite:///some.sqlite``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from mobench.results.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the alembic command line, on a scratch database
    engine = create_engine(context.get_x_argument(as_dictionary=True).get("url", "sqlite:///scratch.sqlite"))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
