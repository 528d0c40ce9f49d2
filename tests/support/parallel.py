"""Running the suite in parallel with pytest-xdist (`make test` does, see the Makefile).

Each xdist worker is a separate pytest process. What they could share, and how they don't:

- SQLite: every file lives under the worker's own temporary directory (pytest gives each
  worker one), so nothing to do.
- PostgreSQL: TEST_DATABASE_URL names one database. Each worker makes its own, named after
  it plus the worker's id (`test_gw0`, `test_gw1`, ...), created empty when the worker
  starts and dropped when it ends, and points TEST_DATABASE_URL at it for the rest of its
  run, so every fixture, live server and subprocess of that worker uses it.
- Ports: every server a test starts binds port 0 or a port free a moment ago; Redis keys
  carry a prefix of the test's own (tests/core/test_throttle.py).
- The PostgreSQL restart test (tests/faults/test_postgres_restart.py) stops the whole
  server, so while it runs no other test may run: each test holds a shared lock on a file
  all workers see, that test holds it exclusively. A turnstile lock in front keeps the
  exclusive request from waiting forever behind a stream of shared ones. Only taken when
  CAMPAIGN_TEST_RESTART_POSTGRES=1, the one case where that test stops the server.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

RESTARTS_POSTGRES = "restarts_postgres"  # the marker of the test that stops the server


def worker_id() -> str:
    """This process's xdist worker id ("gw0", ...), or "" when the run is not parallel."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_database_url(url: str, worker: str) -> str:
    """The worker's own database on the server of url: the same name plus `_<worker>`."""
    parsed = make_url(url)
    if not parsed.database:
        raise ValueError(f"TEST_DATABASE_URL names no database: {url!r}")
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def _admin_url(url: str) -> str:
    """url in the form psycopg takes (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server_url: str, database_url: str) -> None:
    """(Re)create the empty database of database_url, connected through server_url."""
    name = make_url(database_url).database
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]


def drop_database(server_url: str, database_url: str) -> None:
    """Drop the database of database_url (connected through server_url), if it exists."""
    name = make_url(database_url).database
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@contextmanager
def server_lock(directory: Path, exclusive: bool) -> Iterator[None]:
    """Hold the run's PostgreSQL-server lock (see the module docstring) until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    with (
        open(directory / "postgres-turnstile.lock", "a") as turnstile,
        open(directory / "postgres-server.lock", "a") as server,
    ):
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(server, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            if not exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(server, fcntl.LOCK_UN)
            if exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)


def restart_lock_wanted() -> bool:
    """Whether tests must take the server lock: parallel, and the restart test may run."""
    return bool(worker_id()) and os.environ.get("CAMPAIGN_TEST_RESTART_POSTGRES") == "1"
