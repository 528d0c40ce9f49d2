"""Database engine settings: SQLite in WAL mode with a busy timeout, explicit BEGIN.

SQLite allows one writer at a time and makes the others poll with growing sleeps.
Writers that go through write_transaction() first queue on a lock file beside the
database (fcntl.flock, woken as soon as the holder finishes), so busy sign-up
bursts are served in line instead of sleeping.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

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
            database = engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                app.extensions["campaign_writer_lock"] = os.path.abspath(database) + ".writers"


_WRITER_FD = "campaign_writer_fd"


def _acquire_writer_lock() -> None:
    from flask import current_app

    path = current_app.extensions.get("campaign_writer_lock")
    session = db.session()
    if path is None or _WRITER_FD in session.info:
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    session.info[_WRITER_FD] = fd


@event.listens_for(Session, "after_transaction_end")
def _release_writer_lock(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and _WRITER_FD in session.info:
        fd = session.info.pop(_WRITER_FD)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


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
    _acquire_writer_lock()
    try:
        session.connection(execution_options={"sqlite_immediate": True})
    except BaseException:
        session.rollback()
        raise
