"""The suite's own clean-up: no test leaves an open database connection behind for the
garbage collector, which would close it during whichever test runs then (psycopg's
ResourceWarning fails that test)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine

from tests.conftest import dispose_engines


def _is_closed(dbapi_connection: Any) -> bool:
    try:
        dbapi_connection.cursor()
    except Exception:  # psycopg: OperationalError; sqlite3: ProgrammingError
        return True
    return False


def test_a_connection_in_use_when_its_engine_is_disposed_is_closed_on_its_return(
    database_url: str,
) -> None:
    """A live server's request thread (or a scheduler's) may hold a connection when the
    test ends: it goes back to the pool disposal left behind, so it is closed then."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        connection = engine.connect()
        dbapi_connection = connection.connection.dbapi_connection
        dispose_engines()
        assert not _is_closed(dbapi_connection), "still in use: left open"
        connection.close()
        assert _is_closed(dbapi_connection)
        with engine.connect() as later:  # the engine itself goes on working
            assert later.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_an_idle_connection_is_closed_by_disposal(database_url: str) -> None:
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        dbapi_connection = connection.connection.dbapi_connection
    dispose_engines()
    assert _is_closed(dbapi_connection)
