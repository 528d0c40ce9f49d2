"""The public listing's search and date filters, read from the query string.

The dates a person picks are days in the campaign's time zone; they become UTC bounds on
an event's start here, with a message for anything that cannot be used (a day that does
not exist, an end before the start), so the listing can say what was wrong and show
every event instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from campaign.core.text import has_control_characters
from campaign.core.timeutil import local_to_utc, to_local, year_in_range
from campaign.i18n.markers import N_

QUERY_MAX = 100
WHEN_ANY = ""
WHEN_WEEK = "week"
WHEN_DAY = "day"
WHEN_RANGE = "range"
WHEN_CHOICES = {
    WHEN_ANY: N_("Any date"),
    WHEN_WEEK: N_("This week"),
    WHEN_DAY: N_("On the day"),
    WHEN_RANGE: N_("Between dates"),
}


@dataclass(frozen=True)
class DateFilter:
    """What the person asked for, as typed, and the UTC bounds on the start it means."""

    when: str = WHEN_ANY
    date_from: str = ""
    date_to: str = ""
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_set(self) -> bool:
        return self.when != WHEN_ANY

    @property
    def from_value(self) -> str:
        """date_from for a date input: only a real date (an input holds nothing else)."""
        return self.date_from if _parse_day(self.date_from) else ""

    @property
    def to_value(self) -> str:
        return self.date_to if _parse_day(self.date_to) else ""


def clean_query(text: str) -> str:
    """The search text: trimmed, at most QUERY_MAX characters, no control characters."""
    text = " ".join(text.split())[:QUERY_MAX]
    return "" if has_control_characters(text) or "\x00" in text else text


def _parse_day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if year_in_range(day) else None


def _start_of(day: date, tz_name: str) -> datetime:
    return local_to_utc(datetime.combine(day, time.min), tz_name)


def date_filter(
    when: str, date_from: str, date_to: str, now: datetime, campaign_day: date, tz_name: str
) -> DateFilter:
    """The bounds for "this week" (today to Sunday), "on the day" (the campaign's day) or a
    range of days (both ends included), in the campaign's zone; errors name the field."""
    date_from, date_to = date_from.strip()[:20], date_to.strip()[:20]
    if when not in WHEN_CHOICES:
        return DateFilter(errors={"when": N_("Choose a date option from the list.")})
    if when == WHEN_ANY:
        return DateFilter()
    today = to_local(now, tz_name).date()
    if when == WHEN_WEEK:
        sunday = today + timedelta(days=6 - today.weekday())
        return DateFilter(when, starts_before=_start_of(sunday + timedelta(days=1), tz_name))
    if when == WHEN_DAY:
        return DateFilter(
            when,
            starts_from=_start_of(campaign_day, tz_name),
            starts_before=_start_of(campaign_day + timedelta(days=1), tz_name),
        )
    errors: dict[str, str] = {}
    first = _parse_day(date_from) if date_from else None
    last = _parse_day(date_to) if date_to else None
    if date_from and first is None:
        errors["date_from"] = N_("Enter the first day as a date: year-month-day.")
    if date_to and last is None:
        errors["date_to"] = N_("Enter the last day as a date: year-month-day.")
    if not date_from and not date_to:
        errors["date_from"] = N_("Enter a first day, a last day, or both.")
    if first and last and last < first:
        errors["date_to"] = N_("The last day must be on or after the first day.")
    if errors:
        return DateFilter(when, date_from, date_to, errors=errors)
    return DateFilter(
        when,
        date_from,
        date_to,
        starts_from=_start_of(first, tz_name) if first else None,
        starts_before=_start_of(last + timedelta(days=1), tz_name) if last else None,
    )
