"""The Alembic migrations build the models' schema on SQLite and PostgreSQL, and undo it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from campaign import create_app
from campaign.extensions import NAMING_CONVENTION, db
from tests.conftest import require_postgres

BASE_TABLES = {"campaigns", "organizers", "events", "login_sessions"}

# migrations/env.py is Flask-Migrate's stock template, which calls db.get_engine() first;
# Flask-SQLAlchemy 3.1 deprecates that. Tolerate exactly that warning, nothing else.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """migrations/env.py calls logging.fileConfig, which disables every existing logger and
    replaces the root handlers; put everything back so later tests still see log records."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved: dict[str, tuple[Any, ...]] = {}
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            saved[name] = (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        if name in saved:
            logger.disabled, level, handlers, logger.propagate = saved[name]
            logger.setLevel(level)
            logger.handlers[:] = handlers
        else:
            logger.disabled = False


def _app(url: str, tmp_path: Path) -> Flask:
    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "migration-test",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )


def _check_constraint_names(table_names: set[str]) -> None:
    """Every constraint and index name follows the metadata's naming convention."""
    inspector = inspect(db.engine)
    seen: set[str] = set()
    for table in sorted(table_names):
        pk = inspector.get_pk_constraint(table)
        assert pk["name"] == f"pk_{table}", (table, pk)
        seen.add(pk["name"])
        for fk in inspector.get_foreign_keys(table):
            expected = f"fk_{table}_{fk['constrained_columns'][0]}_{fk['referred_table']}"
            assert fk["name"] == expected, (table, fk)
            seen.add(fk["name"])
        for uq in inspector.get_unique_constraints(table):
            assert uq["name"] == f"uq_{table}_{'_'.join(uq['column_names'])}", (table, uq)
            seen.add(uq["name"])
        for ck in inspector.get_check_constraints(table):
            assert ck["name"] and ck["name"].startswith(f"ck_{table}_"), (table, ck)
            seen.add(ck["name"])
        for ix in inspector.get_indexes(table):
            if ix.get("duplicates_constraint"):
                continue
            prefixes = (f"ix_{table}_", f"uq_{table}_") if ix["unique"] else (f"ix_{table}_",)
            assert ix["name"] and ix["name"].startswith(prefixes), (table, ix)
            seen.add(ix["name"])
    assert {
        "pk_events",
        "fk_events_organizer_id_organizers",
        "fk_login_sessions_organizer_id_organizers",
        "uq_organizers_email",
        "uq_events_slug",
        "ck_events_ends_after_start",
        "ix_events_city",
    } <= seen


def _upgrade_check_downgrade(app: Flask) -> None:
    with app.app_context():
        assert db.metadata.naming_convention == NAMING_CONVENTION
        assert set(inspect(db.engine).get_table_names()) == set(), "database not fresh"

        upgrade()

        tables = set(inspect(db.engine).get_table_names())
        assert tables >= BASE_TABLES | {"alembic_version"}
        # Every model has its table, and the migrations create nothing the models lack.
        assert tables == set(db.metadata.tables) | {"alembic_version"}
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        _check_constraint_names(set(db.metadata.tables))

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        # And back up again: the chain is repeatable.
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= BASE_TABLES
        db.session.remove()
        db.engine.dispose()


def test_migrations_on_fresh_sqlite(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    app = _app("sqlite:///" + str(path), tmp_path)
    _upgrade_check_downgrade(app)
    assert path.exists()


def test_sqlite_connections_use_wal_and_busy_timeout(tmp_path):
    app = _app("sqlite:///" + str(tmp_path / "wal.sqlite3"), tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as first, db.engine.connect() as second:
            for conn in (first, second):
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.session.remove()
        db.engine.dispose()
    assert (tmp_path / "wal.sqlite3-wal").exists() or (tmp_path / "wal.sqlite3").exists()


def test_migrations_on_fresh_postgresql(tmp_path):
    server = make_url(require_postgres())
    name = f"campaign_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        app = _app(url, tmp_path)
        _upgrade_check_downgrade(app)
        with app.app_context():
            assert db.engine.dialect.name == "postgresql"
            db.engine.dispose()
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
