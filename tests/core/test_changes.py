"""Change marks (campaign.core.changes): equal while nothing is committed, different after
any commit from any connection, and None when no mark can be had."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from campaign.core import changes
from campaign.core.changes import ChangeMarks
from tests.conftest import require_postgres


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'marks.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("PRAGMA journal_mode=WAL"))
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def _insert(engine: Engine, value: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})


def test_sqlite_marks_stay_equal_until_a_commit(sqlite_engine: Engine) -> None:
    marks = ChangeMarks(sqlite_engine)
    first = marks.mark()
    assert first is not None and marks.mark() == first
    with sqlite_engine.connect() as connection:  # a read changes nothing
        connection.execute(text("SELECT * FROM t")).all()
        connection.rollback()
    assert marks.mark() == first
    connection = sqlite_engine.connect()
    connection.execute(text("INSERT INTO t VALUES (1)"))
    assert marks.mark() == first, "not committed yet"
    connection.commit()
    connection.close()
    second = marks.mark()
    assert second != first
    # Another process's engine (its own connections) commits: seen all the same.
    other = create_engine(sqlite_engine.url)
    _insert(other, 2)
    other.dispose()
    assert marks.mark() not in (first, second)


def test_a_replaced_sqlite_file_is_never_taken_for_the_same(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    marks = ChangeMarks(sqlite_engine)
    first = marks.mark()
    database = tmp_path / "marks.sqlite3"
    sqlite_engine.dispose()
    database.rename(tmp_path / "old.sqlite3")
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    replacement = create_engine(f"sqlite:///{database}")
    with replacement.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    replacement.dispose()
    assert marks.mark() not in (None, first)


def test_a_forked_process_opens_its_own_connection(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = ChangeMarks(sqlite_engine)
    parent = marks.mark()
    parents_connection = marks._connection
    pid = os.getpid()
    monkeypatch.setattr(changes.os, "getpid", lambda: pid + 1)
    child = marks.mark()
    assert child is not None and child != parent, "marks of two connections never compare"
    assert marks._connection is not parents_connection
    # The parent's connection is left open for the parent.
    assert parents_connection.execute("SELECT 1").fetchone() == (1,)


def test_the_connection_closes_with_the_engine_and_reopens(sqlite_engine: Engine) -> None:
    marks = ChangeMarks(sqlite_engine)
    first = marks.mark()
    sqlite_engine.dispose()
    assert marks._connection is None
    again = marks.mark()
    assert again is not None and again != first


def test_no_mark_where_none_can_be_had(tmp_path: Path) -> None:
    memory = create_engine("sqlite://")
    assert ChangeMarks(memory).mark() is None
    memory.dispose()
    missing = create_engine(f"sqlite:///{tmp_path / 'not-created-yet.sqlite3'}")
    assert ChangeMarks(missing).mark() is None
    missing.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    url = require_postgres().replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def test_postgresql_marks_change_with_every_commit(postgres_engine: Engine) -> None:
    marks = ChangeMarks(postgres_engine)
    first = marks.mark()
    assert first is not None
    with postgres_engine.connect() as connection:
        # A temporary table: nothing is left in the shared test database.
        connection.execute(text("CREATE TEMPORARY TABLE t (x INTEGER)"))
        connection.commit()
        before = marks.mark()
        connection.execute(text("INSERT INTO t VALUES (1)"))
        connection.commit()
        assert marks.mark() != before
    # (Equal marks without a commit are not checked here: other tests commit to the same
    # server meanwhile, and any commit to any of its databases changes the mark.)


def test_a_broken_postgresql_connection_gives_no_mark_then_a_new_one(
    postgres_engine: Engine,
) -> None:
    marks = ChangeMarks(postgres_engine)
    first = marks.mark()
    marks._connection.close()  # as when the server ends the session
    assert marks.mark() is None
    again = marks.mark()
    assert again is not None and again != first
    marks.close()
    assert marks._connection is None


def test_a_postgresql_server_that_never_answers_gives_no_mark_in_seconds(monkeypatch) -> None:
    import socket
    import threading

    listener = socket.socket()  # completes TCP handshakes, then never says a word
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    monkeypatch.setattr(changes, "CONNECT_TIMEOUT", 2)  # libpq's smallest
    engine = create_engine(f"postgresql+psycopg://u@127.0.0.1:{port}/x")
    marks: list[object] = []
    attempt = threading.Thread(target=lambda: marks.append(ChangeMarks(engine).mark()))
    attempt.daemon = True  # one that hangs fails this test, not the run
    try:
        attempt.start()
        attempt.join(timeout=20)
        assert not attempt.is_alive(), "the mark still waits after 20 s"
        assert marks == [None]  # the caller then reads afresh
    finally:
        listener.close()
        engine.dispose()
