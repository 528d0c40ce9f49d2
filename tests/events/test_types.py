"""UTCDateTime: aware instants round-trip exactly, come back in UTC, naive input is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from campaign.core.types import UTCDateTime
from campaign.events.models import Event
from campaign.extensions import db

INSTANT = datetime(2031, 3, 9, 6, 59, 58, 123456, tzinfo=UTC)


def _reload(event_id: int) -> Event:
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    assert event is not None
    return event


def _dialect() -> str:
    return db.engine.dialect.name


def test_aware_utc_instant_round_trips_exactly(make_event, make_organizer):
    event = make_event(make_organizer(), starts_at=INSTANT, ends_at=INSTANT + timedelta(hours=1))
    loaded = _reload(event.id)
    assert loaded.starts_at == INSTANT
    assert loaded.starts_at.microsecond == 123456
    assert loaded.starts_at.tzinfo is UTC
    assert loaded.starts_at.utcoffset() == timedelta(0)
    assert (loaded.starts_at.year, loaded.starts_at.hour, loaded.starts_at.minute) == (2031, 6, 59)
    assert loaded.ends_at - loaded.starts_at == timedelta(hours=1)


@pytest.mark.parametrize(
    ("given", "expected_utc"),
    [
        (
            datetime(2031, 7, 1, 20, 0, tzinfo=ZoneInfo("America/New_York")),
            datetime(2031, 7, 2, 0, 0, tzinfo=UTC),
        ),
        (
            datetime(2031, 1, 15, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            datetime(2031, 1, 15, 4, 0, tzinfo=UTC),
        ),
        (
            datetime(2031, 6, 1, 0, 15, tzinfo=ZoneInfo("Pacific/Auckland")),
            datetime(2031, 5, 31, 12, 15, tzinfo=UTC),
        ),
        # The second 01:30 of the autumn overlap (fold=1) is EST, one hour after the first.
        (
            datetime(2031, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
            datetime(2031, 11, 2, 6, 30, tzinfo=UTC),
        ),
    ],
)
def test_non_utc_offsets_are_converted_to_utc(make_event, make_organizer, given, expected_utc):
    event = make_event(make_organizer(), starts_at=given, ends_at=given + timedelta(hours=2))
    loaded = _reload(event.id)
    assert loaded.starts_at == expected_utc
    assert loaded.starts_at.tzinfo is UTC
    assert (loaded.starts_at.day, loaded.starts_at.hour) == (expected_utc.day, expected_utc.hour)


def test_naive_datetime_is_refused(make_event, make_organizer, campaign):
    organizer = make_organizer()
    naive = datetime(2031, 3, 9, 18, 0)
    with pytest.raises(StatementError) as caught:
        make_event(organizer, starts_at=naive, ends_at=naive + timedelta(hours=1))
    assert isinstance(caught.value.orig, ValueError)
    assert "naive" in str(caught.value.orig)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Event)) == 0


def test_naive_datetime_refused_in_a_query_too(app, campaign):
    with pytest.raises(StatementError):
        db.session.scalars(select(Event).where(Event.starts_at > datetime(2031, 1, 1))).all()
    db.session.rollback()


def test_comparisons_use_the_instant_not_the_wall_clock(make_event, make_organizer):
    organizer = make_organizer()
    early = make_event(
        organizer,
        starts_at=datetime(2031, 5, 1, 10, 0, tzinfo=UTC),
        ends_at=datetime(2031, 5, 1, 11, 0, tzinfo=UTC),
    )
    late = make_event(
        organizer,
        starts_at=datetime(2031, 5, 1, 12, 0, tzinfo=UTC),
        ends_at=datetime(2031, 5, 1, 13, 0, tzinfo=UTC),
    )
    # 20:00 in Tokyo is 11:00 UTC: between the two, although "20:00" > "12:00" as text.
    boundary = datetime(2031, 5, 1, 20, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    after = db.session.scalars(select(Event.id).where(Event.starts_at > boundary)).all()
    before = db.session.scalars(select(Event.id).where(Event.starts_at < boundary)).all()
    assert after == [late.id]
    assert before == [early.id]


def test_null_stays_null(make_event, make_organizer):
    event = make_event(make_organizer(), status="draft", published_at=None)
    assert _reload(event.id).published_at is None


def test_raw_sqlite_value_is_utc(make_event, make_organizer):
    if _dialect() != "sqlite":
        pytest.skip("raw storage format of SQLite")
    given = datetime(2031, 7, 1, 20, 0, 0, 250000, tzinfo=ZoneInfo("America/New_York"))
    event = make_event(make_organizer(), starts_at=given, ends_at=given + timedelta(hours=2))
    raw = db.session.execute(
        text("SELECT starts_at, ends_at FROM events WHERE id = :id"), {"id": event.id}
    ).one()
    assert raw.starts_at == "2031-07-02 00:00:00.250000"
    assert raw.ends_at == "2031-07-02 02:00:00.250000"


def test_postgres_column_is_timestamptz_and_ignores_session_zone(make_event, make_organizer):
    if _dialect() != "postgresql":
        pytest.skip("PostgreSQL storage")
    event = make_event(make_organizer(), starts_at=INSTANT, ends_at=INSTANT + timedelta(hours=1))
    data_type = db.session.scalar(
        text(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'events' AND column_name = 'starts_at'"
        )
    )
    assert data_type == "timestamp with time zone"
    as_utc_text = db.session.scalar(
        text(
            "SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
            "FROM events WHERE id = :id"
        ),
        {"id": event.id},
    )
    assert as_utc_text == "2031-03-09 06:59:58.123456"
    # A session in another zone still reads the same instant, returned in UTC.
    db.session.execute(text("SET TIME ZONE 'Asia/Kolkata'"))
    db.session.expire_all()
    loaded = db.session.scalar(select(Event).where(Event.id == event.id))
    assert loaded.starts_at == INSTANT
    assert loaded.starts_at.tzinfo is UTC
    db.session.rollback()


def test_bind_values_per_dialect():
    column_type = UTCDateTime()
    aware = datetime(2031, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    on_sqlite = column_type.process_bind_param(aware, sqlite.dialect())
    assert on_sqlite == datetime(2031, 1, 1, 17, 0)
    assert on_sqlite.tzinfo is None
    on_postgres = column_type.process_bind_param(aware, postgresql.dialect())
    assert on_postgres == datetime(2031, 1, 1, 17, 0, tzinfo=UTC)
    assert on_postgres.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(datetime(2031, 1, 1), sqlite.dialect())
    loaded = column_type.process_result_value(datetime(2031, 1, 1, 17, 0), sqlite.dialect())
    assert loaded == datetime(2031, 1, 1, 17, 0, tzinfo=UTC)
    assert loaded.tzinfo is UTC
