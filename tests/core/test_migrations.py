"""The Alembic migrations build the models' schema on SQLite and PostgreSQL, and undo it."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, inspect

from campaign.extensions import NAMING_CONVENTION, db
from tests.support.migrations import (  # noqa: F401 (keep_logging: an autouse fixture)
    STAMP,
    insert_row,
    keep_logging,
    migration_app,
    on_postgresql,
    on_sqlite,
)

BASE_TABLES = {"campaigns", "organizers", "events", "login_sessions"}

# migrations/env.py is Flask-Migrate's stock template, which calls db.get_engine() first;
# Flask-SQLAlchemy 3.1 deprecates that. Tolerate exactly that warning, nothing else.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


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
    app = migration_app("sqlite:///" + str(path), tmp_path)
    _upgrade_check_downgrade(app)
    assert path.exists()


def test_sqlite_connections_use_wal_and_busy_timeout(tmp_path):
    app = migration_app("sqlite:///" + str(tmp_path / "wal.sqlite3"), tmp_path)
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
    def check(app: Flask) -> None:
        _upgrade_check_downgrade(app)
        with app.app_context():
            assert db.engine.dialect.name == "postgresql"
            db.engine.dispose()

    on_postgresql(check, tmp_path)


def _seed_pair(conn: Connection, myth: str, fact: str, with_revision: bool = False) -> None:
    """Campaign 1 and its myth/fact pair 7 (and the pair's approved revision 3), as the
    schema stands at the revision the test upgraded to."""
    insert_row(conn, "campaigns", id=1, slug="c", name="C", day=STAMP.date(), timezone="UTC",
               tagline="", hashtag="", disclaimer="d", about="", contact_email="",
               is_active=True, created_at=STAMP, updated_at=STAMP)  # fmt: skip
    insert_row(conn, "fact_cards", id=7, campaign_id=1, position=1, slug="s", myth=myth,
               fact=fact, source_title="T", source_quote="q", is_approved=True,
               created_at=STAMP, updated_at=STAMP)  # fmt: skip
    if with_revision:
        insert_row(conn, "fact_revisions", id=3, fact_card_id=7, myth="M2", fact="F2",
                   source_title="T", source_quote="q", status="approved",
                   proposed_at=STAMP)  # fmt: skip


def _tie_cards_check(app: Flask) -> None:
    """0006 ties the myth/fact cards registered before it to the pair whose text they draw."""
    from sqlalchemy import text

    with app.app_context():
        upgrade(revision="0005")
        spec = '{"myth": "M1", "fact": "F1", "source_title": "T"}'
        other = '{"myth": "M2", "fact": "F2", "source_title": "T"}'
        with db.engine.begin() as conn:
            _seed_pair(conn, "M1", "F1")
            for key, kind, value in (
                ("a" * 32, "myth_fact", spec),
                ("b" * 32, "myth_fact", other),
                ("c" * 32, "countdown", spec),
            ):
                conn.execute(
                    text(
                        "INSERT INTO card_renders (key, kind, preset, spec, created_at,"
                        " referenced_at) VALUES (:key, :kind, 'og', :spec,"
                        " '2030-01-01 00:00:00', '2030-01-01 00:00:00')"
                    ),
                    {"key": key, "kind": kind, "spec": value},
                )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT key, fact_card_id FROM card_renders")).all()
            owners = {key: owner for key, owner in rows}
        assert owners == {"a" * 32: 7, "b" * 32: None, "c" * 32: None}
        db.session.remove()
        db.engine.dispose()


def test_revisions_migration_ties_cards_to_pairs_on_sqlite(tmp_path):
    on_sqlite(_tie_cards_check, tmp_path, "tie.sqlite3")


def test_revisions_migration_ties_cards_to_pairs_on_postgresql(tmp_path):
    on_postgresql(_tie_cards_check, tmp_path)


def test_sources_migration_keeps_revisions_and_card_owners_on_sqlite(tmp_path):
    """0010 copies fact_cards on SQLite: the rows that refer to it survive, both ways (and
    the downgrades of 0008-0010 never copy campaigns, which would delete them)."""
    from sqlalchemy import text

    app = migration_app("sqlite:///" + str(tmp_path / "sources.sqlite3"), tmp_path)
    with app.app_context():
        upgrade(revision="0007_mail")
        with db.engine.begin() as conn:
            _seed_pair(conn, "M", "F", with_revision=True)
            conn.execute(
                text(
                    "INSERT INTO card_renders (key, kind, preset, spec, fact_card_id,"
                    " created_at, referenced_at) VALUES (:key, 'myth_fact', 'og', '{}', 7,"
                    " '2030-01-01 00:00:00', '2030-01-01 00:00:00')"
                ),
                {"key": "a" * 32},
            )

        def rows() -> tuple[list[Any], ...]:
            with db.engine.connect() as conn:
                revisions = conn.execute(text("SELECT id, fact_card_id FROM fact_revisions")).all()
                owners = conn.execute(text("SELECT key, fact_card_id FROM card_renders")).all()
                pairs = conn.execute(text("SELECT id, campaign_id FROM fact_cards")).all()
            return (
                [tuple(r) for r in revisions],
                [tuple(r) for r in owners],
                [tuple(r) for r in pairs],
            )

        expected = ([(3, 7)], [("a" * 32, 7)], [(7, 1)])
        upgrade()
        assert rows() == expected, "upgrade"
        downgrade(revision="0007_mail")
        assert rows() == expected, "downgrade"
        db.session.remove()
        db.engine.dispose()


def _reasons_check(app: Flask) -> None:
    """0015 adds the pairs' and revisions' reason and the campaign's call to action ("" for
    the rows already there); its downgrade drops them in place, keeping every row."""
    from sqlalchemy import text

    with app.app_context():
        upgrade(revision="0014_event_coordinates")
        with db.engine.begin() as conn:
            _seed_pair(conn, "M", "F", with_revision=True)
        upgrade(revision="0015_fact_reasons")
        with db.engine.begin() as conn:
            found = (
                conn.execute(text("SELECT reason FROM fact_cards")).scalar_one(),
                conn.execute(text("SELECT reason FROM fact_revisions")).scalar_one(),
                conn.execute(text("SELECT call_to_action FROM campaigns")).scalar_one(),
            )
            assert found == ("", "", "")
            conn.execute(text("UPDATE fact_cards SET reason = 'why'"))
        downgrade(revision="0014_event_coordinates")
        inspector = inspect(db.engine)
        assert "reason" not in {c["name"] for c in inspector.get_columns("fact_cards")}
        assert "reason" not in {c["name"] for c in inspector.get_columns("fact_revisions")}
        assert "call_to_action" not in {c["name"] for c in inspector.get_columns("campaigns")}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, fact_card_id FROM fact_revisions")).all() == [
                (3, 7)
            ]
            assert conn.execute(text("SELECT id, campaign_id FROM fact_cards")).all() == [(7, 1)]
        db.session.remove()
        db.engine.dispose()


def test_reasons_migration_up_and_down_on_sqlite(tmp_path):
    on_sqlite(_reasons_check, tmp_path, "reasons.sqlite3")


def test_reasons_migration_up_and_down_on_postgresql(tmp_path):
    on_postgresql(_reasons_check, tmp_path)
