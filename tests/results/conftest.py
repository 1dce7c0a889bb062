"""A fresh PostgreSQL database per test, on the server ``$MOBENCH_TEST_PG_URL`` names.

``scripts/pg_test_server.sh start`` starts a throwaway server and prints the variable; CI
(``.ci/run``) does that and sets ``MOBENCH_REQUIRE_PG=1``, so there a missing server fails the
PostgreSQL tests instead of skipping them.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_ENV = "MOBENCH_TEST_PG_URL"


@pytest.fixture
def pg_url():
    """``postgresql://...`` of a new, empty database (dropped after the test)."""
    url = os.environ.get(PG_ENV)
    if not url:
        why = f'no PostgreSQL server: {PG_ENV} is not set (eval "$(scripts/pg_test_server.sh start)" sets it)'
        if os.environ.get("MOBENCH_REQUIRE_PG"):
            pytest.fail(why)
        pytest.skip(why)
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"mobench_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, tmp_path):
    """A new store's ``--db``: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    return request.getfixturevalue("pg_url")
