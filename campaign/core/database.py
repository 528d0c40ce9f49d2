"""Database engine settings: SQLite in WAL mode with a busy timeout, explicit BEGIN;
PostgreSQL connections checked on checkout without a round trip while they are busy.

SQLite allows one writer at a time and makes the others poll with growing sleeps.
Writers that go through write_transaction() first queue on a lock file beside the
database (fcntl.flock, woken as soon as the holder finishes), so busy sign-up
bursts are served in line instead of sleeping.
"""

from __future__ import annotations

import fcntl
import os
import select as io_select
import time
import weakref
from typing import Any

from flask import Flask
from sqlalchemy import Table, event, exc, func, insert, select, text
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import Session, SessionTransaction

from campaign.extensions import Base, db

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


# A pooled PostgreSQL connection idle longer than this is pinged (a round trip) before use.
PING_AFTER_IDLE_SECONDS = 10.0


def _unusable(dbapi_connection: Any) -> bool:
    """True when a pooled (idle) connection has been closed or sent something: an idle
    connection gets nothing unless the server is ending it (a restart, a terminated
    backend), so its socket being readable is the sign. Costs no round trip."""
    if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
        return True
    readable, _, _ = io_select.select([dbapi_connection.fileno()], [], [], 0)
    return bool(readable)


def check_on_checkout(engine: Engine) -> None:
    """Hand out no dead PostgreSQL connection, as pool_pre_ping would, without its round
    trip on every request: a connection the server closed is seen from its socket, and
    one idle over PING_AFTER_IDLE_SECONDS (where a silent network drop could hide) is
    pinged. A dead one is replaced by the pool (DisconnectionError on checkout)."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["campaign_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("campaign_idle_since", None)
        if idle_since is None:
            return  # a new connection
        try:
            if _unusable(dbapi_connection):
                raise exc.DisconnectionError("closed by the server while pooled")
            if time.monotonic() - idle_since > PING_AFTER_IDLE_SECONDS:
                engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error


def _fresh_pool_after_fork(engine: Engine) -> None:
    """A process forked from this one (gunicorn's workers from a preloading master) starts
    with an empty pool: a connection the parent opened is never used by two processes. The
    parent's connections are left open for the parent (close=False)."""
    ref = weakref.ref(engine)

    def in_child() -> None:
        forked = ref()
        if forked is not None:
            forked.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)


def init_app(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        _fresh_pool_after_fork(engine)
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        if engine.dialect.name == "postgresql" and not options.get("pool_pre_ping"):
            check_on_checkout(engine)
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


def table_of(model: type[Base]) -> Table:
    """The table a model maps (type checkers only know __table__ as some FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def insert_rows(model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One executemany of plain values on the session's connection (no ORM objects)."""
    if rows:
        db.session.connection().execute(insert(table_of(model)), rows)


def next_id(model: type[Base]) -> int:
    """The id after the largest a model's table holds (for rows whose ids are chosen here)."""
    return (db.session.scalar(select(func.max(table_of(model).c.id))) or 0) + 1


def sync_id_sequence(model: type[Base]) -> None:
    """PostgreSQL: move the id sequence past ids chosen by insert_rows (SQLite needs nothing)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    table = table_of(model).name
    connection.execute(
        text(
            # The name is our own model's table name, never input.
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # nosec B608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
    )


def changed_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (Session.execute is typed as returning
    any Result; for those statements it is a CursorResult)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


class Precompiled:
    """A prebuilt Core statement compiled once per dialect and then run as its SQL text
    (Connection.exec_driver_sql), for the hottest statements: each execute() of a large
    statement hashed its whole cache key to find the compiled form, then ran every bound
    value through the compiled form's processors (together about 7% of a sign-up's CPU).
    Values pass through their types' bind processors here too; results are the driver's
    own (a timestamp column comes back aware, in the session's time zone)."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, dict[str, Any], dict[str, Any], Any]] = {}

    def _for(self, dialect: Any) -> tuple[str, dict[str, Any], dict[str, Any], Any]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            form = self.statement.compile(dialect=dialect)
            processors = {}
            for name, bind in form.binds.items():
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            # Values the statement carries (literals); one without a value must be given,
            # and a forgotten one fails at the driver instead of being sent as NULL.
            defaults = {name: value for name, value in form.params.items() if value is not None}
            # A positional paramstyle (SQLite's qmark) takes the values in this order.
            order = tuple(form.positiontup) if form.positional else None
            compiled = (str(form), defaults, processors, order)
            self._compiled[dialect.name] = compiled
        return compiled

    def execute(self, connection: Connection, params: dict[str, Any]) -> Result[Any]:
        """The statement's result on `connection` with `params` (its bound names)."""
        sql, defaults, processors, order = self._for(connection.dialect)
        values = {**defaults, **params}
        for name, processor in processors.items():
            if name in values:
                values[name] = processor(values[name])
        if order is not None:
            return connection.exec_driver_sql(sql, tuple(values[name] for name in order))
        return connection.exec_driver_sql(sql, values)
