"""Precompiled statements run as their SQL text with every value through its type's bind
processor, as Connection.execute would send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Integer, bindparam, literal, select

from campaign.core.database import Precompiled
from campaign.core.types import UTCDateTime
from campaign.extensions import db

STATEMENT = Precompiled(
    select(
        bindparam("when", type_=UTCDateTime()).label("when"),
        bindparam("n", type_=Integer).label("n"),
        literal("fixed").label("fixed"),
    )
)


def test_values_pass_through_their_types(app) -> None:
    paris = timezone(timedelta(hours=1))
    when = datetime(2026, 12, 7, 13, 30, tzinfo=paris)
    with db.engine.connect() as connection:
        row = STATEMENT.execute(connection, {"when": when, "n": 3}).one()
        sent_by_sqlalchemy = connection.execute(STATEMENT.statement, {"when": when, "n": 3})
    assert row.n == 3 and row.fixed == "fixed"  # a literal's value comes with the SQL
    if isinstance(row.when, datetime):  # PostgreSQL: the same instant
        assert row.when == when
    else:  # SQLite: stored as naive UTC, as UTCDateTime writes it
        assert str(row.when).startswith("2026-12-07 12:30:00")
    assert sent_by_sqlalchemy.one().when.astimezone(UTC) == when.astimezone(UTC)


def test_a_value_its_type_refuses_is_refused(app) -> None:
    with db.engine.connect() as connection, pytest.raises(ValueError, match="aware"):
        STATEMENT.execute(connection, {"when": datetime(2026, 12, 7, 13, 30), "n": 1})
