"""0018 gives every event a seats_version: for the rows already there, one per
registration and one more per cancellation (0 without any); its downgrade drops the
column in place, keeping every event and registration (SQLite and PostgreSQL)."""

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


def _event(conn: Connection, number: int) -> None:
    insert_row(conn, "events", id=number, campaign_id=1, organizer_id=1, cloned_from_id=None,
               slug=f"e{number}", ends_at=STAMP + timedelta(hours=2))  # fmt: skip


def _registration(conn: Connection, number: int, event_id: int, status: str) -> None:
    insert_row(conn, "registrations", id=number, event_id=event_id, status=status,
               email=f"s{number}@example.org", token_hash=f"h{number}",
               referral_code=f"r{number}", referred_by_id=None)  # fmt: skip


def _seats_version_check(app: Flask) -> None:
    with app.app_context():
        upgrade(revision="0017_content_translations")
        with db.engine.begin() as conn:
            insert_row(conn, "campaigns", id=1)
            insert_row(conn, "organizers", id=1, invited_by_id=None)
            for number in (1, 2):
                _event(conn, number)
            for number, status in enumerate(("confirmed", "waitlisted", "cancelled"), 1):
                _registration(conn, number, 1, status)
        upgrade(revision="0018_seats_version")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT id, seats_version FROM events ORDER BY id")).all() == [
                (1, 4),
                (2, 0),
            ]
            _event(conn, 3)  # a writer that does not know the column yet
            assert conn.execute(text("SELECT seats_version FROM events WHERE id = 3")).scalar() == 0
        downgrade(revision="0017_content_translations")
        columns = {c["name"] for c in inspect(db.engine).get_columns("events")}
        assert "seats_version" not in columns
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM events ORDER BY id")).all() == [
                (1,),
                (2,),
                (3,),
            ]
            assert conn.execute(text("SELECT count(*) FROM registrations")).scalar() == 3
        upgrade(revision="0018_seats_version")  # and up again
        db.session.remove()
        db.engine.dispose()


def test_seats_version_migration_up_and_down_on_sqlite(tmp_path):
    on_sqlite(_seats_version_check, tmp_path, "seats_version.sqlite3")


def test_seats_version_migration_up_and_down_on_postgresql(tmp_path):
    on_postgresql(_seats_version_check, tmp_path)
