"""0019 gives every host proposal a language: "en" for the rows already there; its
downgrade drops the column in place, keeping every row (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, inspect, text

from campaign.extensions import db
from tests.support.migrations import (  # noqa: F401 (keep_logging: an autouse fixture)
    insert_row,
    keep_logging,
    on_postgresql,
    on_sqlite,
)

pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")

BEFORE, AFTER = "0018_seats_version", "0019_host_language"


def _proposal(conn: Connection, number: int) -> None:
    insert_row(conn, "host_proposals", id=number, campaign_id=1, event_id=None,
               host_email=f"h{number}@example.org", token_hash=f"h{number}")  # fmt: skip


def _language_check(app: Flask) -> None:
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            insert_row(conn, "campaigns", id=1)
            _proposal(conn, 5)
        upgrade(revision=AFTER)
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT language FROM host_proposals")).scalar_one() == "en"
            _proposal(conn, 6)  # a writer that does not know the column yet
            conn.execute(text("UPDATE host_proposals SET language = 'es' WHERE id = 5"))
            assert conn.execute(
                text("SELECT id, language FROM host_proposals ORDER BY id")
            ).all() == [(5, "es"), (6, "en")]
        downgrade(revision=BEFORE)
        columns = {c["name"] for c in inspect(db.engine).get_columns("host_proposals")}
        assert "language" not in columns
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id FROM host_proposals ORDER BY id")).all()
            assert rows == [(5,), (6,)]
        upgrade(revision=AFTER)  # and up again
        db.session.remove()
        db.engine.dispose()


def test_host_language_migration_up_and_down_on_sqlite(tmp_path):
    on_sqlite(_language_check, tmp_path, "host_language.sqlite3")


def test_host_language_migration_up_and_down_on_postgresql(tmp_path):
    on_postgresql(_language_check, tmp_path)
