"""0016 gives every registration a language: "en" for the rows already there; its
downgrade drops the column in place, keeping every row (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, Column, Connection, MetaData, Table, inspect, text
from sqlalchemy.engine import make_url

from campaign.extensions import db
from tests.conftest import require_postgres
from tests.core.test_migrations import _app, keep_logging  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
STAMP = datetime(2030, 1, 1, tzinfo=UTC)


def _value(column: Column) -> object:  # type: ignore[type-arg]
    """A value of the column's type, for a required column the test does not care about."""
    kind = column.type.python_type if not isinstance(column.type, JSON) else list
    samples: dict[type, object] = {
        int: 1,
        str: "x",
        bool: False,
        float: 0.0,
        datetime: STAMP,
        date: STAMP.date(),
        list: [],
    }
    return samples[kind]


def _insert(conn: Connection, name: str, **values: object) -> None:
    """One row of table `name` as the database has it now: `values`, and a value of the
    right type for every other required column without a default."""
    table = Table(name, MetaData(), autoload_with=conn)
    row = {
        c.name: _value(c)
        for c in table.columns
        if not c.nullable and c.server_default is None and not c.primary_key
    }
    conn.execute(table.insert().values({**row, **values}))


def _registration(conn: Connection, number: int) -> None:
    _insert(conn, "registrations", id=number, event_id=1, email=f"s{number}@example.org",
            token_hash=f"h{number}", referral_code=f"r{number}")  # fmt: skip


def _language_check(app: Flask) -> None:
    with app.app_context():
        upgrade(revision="0015_fact_reasons")
        with db.engine.begin() as conn:
            _insert(conn, "campaigns", id=1)
            _insert(conn, "organizers", id=1, invited_by_id=None)
            _insert(conn, "events", id=1, campaign_id=1, organizer_id=1, cloned_from_id=None,
                    ends_at=STAMP + timedelta(hours=2))  # fmt: skip
            _registration(conn, 5)
        upgrade(revision="0016_registration_language")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT language FROM registrations")).scalar_one() == "en"
            _registration(conn, 6)  # a writer that does not know the column yet
            conn.execute(text("UPDATE registrations SET language = 'es' WHERE id = 5"))
            assert conn.execute(
                text("SELECT id, language FROM registrations ORDER BY id")
            ).all() == [(5, "es"), (6, "en")]
        downgrade(revision="0015_fact_reasons")
        columns = {c["name"] for c in inspect(db.engine).get_columns("registrations")}
        assert "language" not in columns
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM registrations ORDER BY id")).all() == [
                (5,),
                (6,),
            ]
        upgrade(revision="0016_registration_language")  # and up again
        db.session.remove()
        db.engine.dispose()


def test_language_migration_up_and_down_on_sqlite(tmp_path):
    _language_check(_app("sqlite:///" + str(tmp_path / "language.sqlite3"), tmp_path))


def test_language_migration_up_and_down_on_postgresql(tmp_path):
    server = make_url(require_postgres())
    name = f"campaign_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        _language_check(_app(url, tmp_path))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
