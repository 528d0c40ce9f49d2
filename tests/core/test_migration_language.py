"""0016 gives every registration a language: "en" for the rows already there; its
downgrade drops the column in place, keeping every row (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, inspect, text

from campaign.extensions import db
from tests.support.migrations import (  # noqa: F401 (keep_logging: an autouse fixture)
    STAMP,
    insert_row,
    keep_logging,
    on_postgresql,
    on_sqlite,
)

pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


def _registration(conn: Connection, number: int) -> None:
    insert_row(conn, "registrations", id=number, event_id=1, email=f"s{number}@example.org",
               token_hash=f"h{number}", referral_code=f"r{number}")  # fmt: skip


def _language_check(app: Flask) -> None:
    with app.app_context():
        upgrade(revision="0015_fact_reasons")
        with db.engine.begin() as conn:
            insert_row(conn, "campaigns", id=1)
            insert_row(conn, "organizers", id=1, invited_by_id=None)
            insert_row(conn, "events", id=1, campaign_id=1, organizer_id=1, cloned_from_id=None,
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
    on_sqlite(_language_check, tmp_path, "language.sqlite3")


def test_language_migration_up_and_down_on_postgresql(tmp_path):
    on_postgresql(_language_check, tmp_path)
