"""For the migration tests: an app on a database of their own, the loggers put back after
Alembic's env.py, rows inserted as the schema stands at a revision, and a check run on a
throw-away PostgreSQL database."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import JSON, Column, Connection, MetaData, Table

from campaign import create_app
from tests.support.databases import postgres_database

STAMP = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """migrations/env.py calls logging.fileConfig, which disables every existing logger and
    replaces the root handlers; put everything back so later tests still see log records.
    (Autouse in every module that imports it.)"""
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


def migration_app(url: str, tmp_path: Path) -> Flask:
    """An app on the database at `url`, which the test migrates itself."""
    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "migration-test",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )


def on_sqlite(check: Callable[[Flask], None], tmp_path: Path, name: str) -> None:
    """Run `check` on an app with a fresh SQLite file `name` under tmp_path."""
    check(migration_app("sqlite:///" + str(tmp_path / name), tmp_path))


def on_postgresql(check: Callable[[Flask], None], tmp_path: Path) -> None:
    """Run `check` on an app with a fresh PostgreSQL database, dropped after."""
    with postgres_database("campaign_migrations") as url:
        check(migration_app(url, tmp_path))


def _value(column: Column[Any]) -> object:
    """A value of the column's type, for a required column the test does not care about."""
    kind = column.type.python_type if not isinstance(column.type, JSON) else list
    samples: dict[type, object] = {
        int: 1,
        str: "x",
        bool: False,
        float: 0.0,
        datetime: STAMP,
        date: STAMP.date(),
        list: [],
    }
    return samples[kind]


def insert_row(conn: Connection, table_name: str, /, **values: object) -> None:
    """One row of the table as the database has it now: `values`, and a value of the
    right type for every other required column without a default."""
    table = Table(table_name, MetaData(), autoload_with=conn)
    row = {
        c.name: _value(c)
        for c in table.columns
        if not c.nullable and c.server_default is None and not c.primary_key
    }
    conn.execute(table.insert().values({**row, **values}))
