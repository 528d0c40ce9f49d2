"""next_day_start: when a zone's calendar turns to the next day, DST changes included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaign.core.timeutil import next_day_start


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        # Just after midnight and just before it in UTC.
        (datetime(2031, 3, 10, 0, 0, 1, tzinfo=UTC), "UTC", datetime(2031, 3, 11, tzinfo=UTC)),
        (datetime(2031, 3, 10, 23, 59, tzinfo=UTC), "UTC", datetime(2031, 3, 11, tzinfo=UTC)),
        # 03:00 UTC on the 10th is the evening of the 9th in New York (EDT from the 9th).
        (
            datetime(2031, 3, 10, 3, tzinfo=UTC),
            "America/New_York",
            datetime(2031, 3, 10, 4, tzinfo=UTC),
        ),
        # Ahead of UTC: Tokyo's 11th begins at 15:00 UTC on the 10th.
        (datetime(2031, 3, 10, 3, tzinfo=UTC), "Asia/Tokyo", datetime(2031, 3, 10, 15, tzinfo=UTC)),
        # Havana skips midnight in spring: the 9th begins at 01:00 CDT, 05:00 UTC.
        (
            datetime(2031, 3, 8, 20, tzinfo=UTC),
            "America/Havana",
            datetime(2031, 3, 9, 5, tzinfo=UTC),
        ),
    ],
)
def test_next_day_start(instant, zone, expected):
    start = next_day_start(instant, zone)
    assert start == expected
    local = ZoneInfo(zone)
    assert start.astimezone(local).date() == instant.astimezone(local).date() + timedelta(days=1)
    assert (start - timedelta(seconds=1)).astimezone(local).date() == instant.astimezone(
        local
    ).date()


def test_next_day_start_at_midnight_itself_is_a_day_later():
    midnight = datetime(2031, 3, 11, tzinfo=UTC)
    assert next_day_start(midnight, "UTC") == midnight + timedelta(days=1)
