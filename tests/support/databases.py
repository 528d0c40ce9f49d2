"""Throw-away databases for tests that start servers of their own (gunicorn, schedulers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.conftest import require_postgres


@contextmanager
def sqlite_database(path: Path) -> Iterator[str]:
    """A SQLite file at `path` (left for the test's tmp_path to clean up)."""
    yield "sqlite:///" + str(path)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A fresh database named `prefix` plus a random part on the test server, dropped after."""
    server = make_url(require_postgres())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
