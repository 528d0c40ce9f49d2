"""Database engine settings: SQLite in WAL mode with a busy timeout, explicit BEGIN."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from campaign.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN, so writers can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def init_app(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)


def write_transaction() -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Call before the first query of a unit of work that reads-then-writes (seat counts),
    so two SQLite writers queue on the busy timeout instead of failing on upgrade.
    A read-only transaction already open (a look-up before the lock) is ended first:
    SQLite cannot turn a read snapshot into a write lock once another writer committed.
    Call it before the first write of the unit of work.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get("sqlite_immediate"):
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("write_transaction() must come before the first change")
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})
