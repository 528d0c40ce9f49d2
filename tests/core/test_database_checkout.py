"""PostgreSQL: a pooled connection the server ended is replaced before a request uses it,
without a ping on every checkout (campaign.core.database.check_on_checkout)."""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text

from campaign import create_app
from campaign.core import database
from campaign.extensions import db
from tests.conftest import require_postgres


@pytest.fixture
def postgres_app(app_config: dict[str, Any]) -> Flask:
    return create_app({**app_config, "DATABASE_URL": require_postgres()})


def _backend_pid() -> int:
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.remove()  # back to the pool
    return int(pid)


def _terminate(pid: int) -> None:
    url = require_postgres().replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        # Wait until the backend is gone, so its socket has been closed.
        for _ in range(100):
            row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if row.fetchone() == (0,):
                return
            admin.execute("SELECT pg_sleep(0.02)")
    raise AssertionError(f"backend {pid} still running")


def test_a_busy_connection_is_reused_without_a_ping(
    postgres_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    with postgres_app.app_context():
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: pings.append(c) or True)
        first = _backend_pid()
        assert _backend_pid() == first
        assert pings == []
        db.engine.dispose()


def test_a_connection_the_server_ended_is_replaced(postgres_app: Flask) -> None:
    with postgres_app.app_context():
        first = _backend_pid()
        _terminate(first)
        assert _backend_pid() != first  # a new connection, and no error
        db.engine.dispose()


def test_a_long_idle_connection_is_pinged_and_replaced_when_dead(
    postgres_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with postgres_app.app_context():
        first = _backend_pid()
        _terminate(first)
        # A drop the socket does not show (a network gone quiet): only the ping finds it.
        monkeypatch.setattr(database, "_unusable", lambda _c: False)
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", -1.0)
        assert _backend_pid() != first
        db.engine.dispose()


def test_a_forked_process_starts_with_an_empty_pool(app: Flask) -> None:
    # gunicorn's preloading master forks its workers from a built app (gunicorn.conf.py):
    # a connection the parent holds in its pool is never handed out in the child.
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.remove()
        assert db.engine.pool.checkedin() == 1
        child = os.fork()
        if child == 0:  # pragma: no cover (the child reports through its exit status)
            os._exit(0 if db.engine.pool.checkedin() == 0 else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert db.engine.pool.checkedin() == 1  # the parent's own is kept
