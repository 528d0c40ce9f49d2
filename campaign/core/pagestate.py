"""A page's state as plain values, for the page cache's keys (campaign.core.pagecache):
every column of the rows a page shows, read with Core rather than loaded as ORM objects,
or (PostgreSQL) digested by the server into one string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Text, cast, inspect, tuple_


def row_state(row: Any) -> tuple[Any, ...] | None:
    """Every column value of an ORM row (None for no row): a row's part of a page key."""
    if row is None:
        return None
    mapper = inspect(type(row))
    return (mapper.class_.__name__, *(getattr(row, attr.key) for attr in mapper.column_attrs))


def state_columns(entity: Any, leave_out: Sequence[str] = ()) -> list[Any]:
    """The columns row_state reads, in its order, to select them with Core (a model or an
    aliased model), so that a page's state can be read without loading ORM objects;
    leave_out names columns the page does not show."""
    info = inspect(entity)
    return [
        getattr(entity, attr.key) for attr in info.mapper.column_attrs if attr.key not in leave_out
    ]


def columns_state(entity: Any, values: Sequence[Any]) -> tuple[Any, ...] | None:
    """row_state of the row whose state_columns(entity) are `values` (None: no row, as an
    outer join gives it)."""
    info = inspect(entity)
    if all(value is None for value in values):
        return None
    return (info.mapper.class_.__name__, *values)


def row_text(entity: Any, leave_out: Sequence[str] = ()) -> Any:
    """An entity's whole row as text (PostgreSQL renders a row value as (col, col, ...)),
    for the server to digest a page's state into one string; with leave_out, the row of
    state_columns(entity, leave_out) instead."""
    if leave_out:
        return cast(tuple_(*state_columns(entity, leave_out)), Text)
    selectable: Any = inspect(entity).selectable
    return cast(selectable.table_valued(), Text)


def state_digest(parts: Iterable[Any]) -> str:
    """A short digest of state values (a state may hold one in place of its parts; the
    page cache keys its slots and states by it)."""
    return hashlib.blake2b(repr(tuple(parts)).encode(), digest_size=20).hexdigest()
