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


def _tie_cards_check(app: Flask) -> None:
    """0006 ties the myth/fact cards registered before it to the pair whose text they draw."""
    from sqlalchemy import text

    with app.app_context():
        upgrade(revision="0005")
        spec = '{"myth": "M1", "fact": "F1", "source_title": "T"}'
        other = '{"myth": "M2", "fact": "F2", "source_title": "T"}'
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, slug, name, day, timezone, tagline, hashtag,"
                    " disclaimer, about, contact_email, is_active, created_at, updated_at)"
                    " VALUES (1, 'c', 'C', '2030-01-01', 'UTC', '', '', 'd', '', '', true,"
                    " '2030-01-01 00:00:00', '2030-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO fact_cards (id, campaign_id, position, slug, myth, fact,"
                    " source_title, source_quote, is_approved, created_at, updated_at)"
                    " VALUES (7, 1, 1, 's', 'M1', 'F1', 'T', 'q', true,"
                    " '2030-01-01 00:00:00', '2030-01-01 00:00:00')"
                )
            )
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
    _tie_cards_check(_app("sqlite:///" + str(tmp_path / "tie.sqlite3"), tmp_path))


def test_revisions_migration_ties_cards_to_pairs_on_postgresql(tmp_path):
    server = make_url(require_postgres())
    name = f"campaign_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        _tie_cards_check(_app(url, tmp_path))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_sources_migration_keeps_revisions_and_card_owners_on_sqlite(tmp_path):
    """0010 copies fact_cards on SQLite: the rows that refer to it survive, both ways (and
    the downgrades of 0008-0010 never copy campaigns, which would delete them)."""
    from sqlalchemy import text

    app = _app("sqlite:///" + str(tmp_path / "sources.sqlite3"), tmp_path)
    with app.app_context():
        upgrade(revision="0007_mail")
        stamp = "'2030-01-01 00:00:00'"
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, slug, name, day, timezone, tagline, hashtag,"
                    " disclaimer, about, contact_email, is_active, created_at, updated_at)"
                    f" VALUES (1, 'c', 'C', '2030-01-01', 'UTC', '', '', 'd', '', '', true,"
                    f" {stamp}, {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO fact_cards (id, campaign_id, position, slug, myth, fact,"
                    " source_title, source_quote, is_approved, created_at, updated_at)"
                    f" VALUES (7, 1, 1, 's', 'M', 'F', 'T', 'q', true, {stamp}, {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO fact_revisions (id, fact_card_id, myth, fact, source_title,"
                    " source_quote, status, proposed_at)"
                    f" VALUES (3, 7, 'M2', 'F2', 'T', 'q', 'approved', {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO card_renders (key, kind, preset, spec, fact_card_id,"
                    f" created_at, referenced_at) VALUES ('{'a' * 32}', 'myth_fact', 'og',"
                    f" '{{}}', 7, {stamp}, {stamp})"
                )
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
        stamp = "'2030-01-01 00:00:00'"
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, slug, name, day, timezone, tagline, hashtag,"
                    " disclaimer, about, contact_email, is_active, created_at, updated_at)"
                    f" VALUES (1, 'c', 'C', '2030-01-01', 'UTC', '', '', 'd', '', '', true,"
                    f" {stamp}, {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO fact_cards (id, campaign_id, position, slug, myth, fact,"
                    " source_title, source_quote, is_approved, created_at, updated_at)"
                    f" VALUES (7, 1, 1, 's', 'M', 'F', 'T', 'q', true, {stamp}, {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO fact_revisions (id, fact_card_id, myth, fact, source_title,"
                    " source_quote, status, proposed_at)"
                    f" VALUES (3, 7, 'M2', 'F2', 'T', 'q', 'approved', {stamp})"
                )
            )
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
    _reasons_check(_app("sqlite:///" + str(tmp_path / "reasons.sqlite3"), tmp_path))


def test_reasons_migration_up_and_down_on_postgresql(tmp_path):
    server = make_url(require_postgres())
    name = f"campaign_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        _reasons_check(_app(url, tmp_path))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
