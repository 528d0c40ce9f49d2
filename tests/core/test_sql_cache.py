"""The compiled SQL the test engines share (tests/support/sqlcache.py) is what each
engine would compile itself, and engines whose dialects are set up differently never
share it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Executable,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)

from tests.support import sqlcache

metadata = MetaData()
people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("city", String(50)),
)

STATEMENTS: list[Executable] = [
    insert(people).values(name="Sam", city="Leeds"),
    select(people).where(people.c.name == "Sam").order_by(people.c.id).limit(3),
    select(people.c.city, func.count()).group_by(people.c.city),
    update(people).where(people.c.id == 1).values(city="York"),
    delete(people).where(people.c.city.is_(None)),
]


class Sent:
    """The SQL an engine sends and whether it came from the compiled cache."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "after_cursor_execute", self.record)

    def record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        context = args[-2]
        self.statements.append((statement, context.cache_hit))


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[list[Engine]]:
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def engine_at(engines: list[Engine], path: Path, **options: Any) -> Engine:
    engine = create_engine(f"sqlite:///{path}", **options)
    metadata.create_all(engine)
    engines.append(engine)
    return engine


def run_all(engine: Engine) -> Sent:
    sent = Sent(engine)
    with engine.begin() as conn:
        for statement in STATEMENTS:
            conn.execute(statement)
    return sent


def test_a_second_engine_reuses_the_sql_and_it_is_what_it_would_compile(engines, tmp_path):
    first = engine_at(engines, tmp_path / "first.sqlite3")
    second = engine_at(engines, tmp_path / "second.sqlite3")
    run_all(first)
    sent = run_all(second)
    assert isinstance(second._compiled_cache, sqlcache.SharedCompiledCache)
    assert [hit for _, hit in sent.statements] == [second.dialect.CACHE_HIT] * len(STATEMENTS)
    fresh = [str(s.compile(dialect=second.dialect)) for s in STATEMENTS]
    assert [sql for sql, _ in sent.statements] == fresh


def test_a_dialect_set_up_differently_compiles_its_own(engines, tmp_path):
    run_all(engine_at(engines, tmp_path / "qmark.sqlite3"))
    named = engine_at(engines, tmp_path / "named.sqlite3", paramstyle="named")
    sent = run_all(named)
    assert all(hit != named.dialect.CACHE_HIT for _, hit in sent.statements), sent.statements
    assert ":name_1" in sent.statements[1][0]  # its own parameter style, not "?"


def test_signatures_tell_dialects_apart():
    plain = create_engine("sqlite://")
    other = create_engine("sqlite://", paramstyle="named")
    same = create_engine("sqlite://")
    assert sqlcache.dialect_signature(plain.dialect) == sqlcache.dialect_signature(same.dialect)
    assert sqlcache.dialect_signature(plain.dialect) != sqlcache.dialect_signature(other.dialect)
    for engine in (plain, other, same):
        engine.dispose()
