"""VTIMEZONE components written from zoneinfo, one onset per observance.

icalendar's add_missing_timezones() writes each zone as a few observances with long RDATE
lists, starting from an observance whose offsets look like daylight time; vobject (through
dateutil) reads those an hour off on some dates, and a client that trusts the file's
VTIMEZONE over the zone's name (Outlook does) would show the event at the wrong hour.

Here every change of offset or abbreviation inside a window around the file's events is its
own STANDARD or DAYLIGHT observance with a single DTSTART and no recurrence, after a first
observance that fixes the offset at the start of the window. That is the plainest form
RFC 5545 allows, so every reader resolves a local time to the offset zoneinfo gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

from campaign.core.timeutil import zone_for

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class _State:
    """What an observance says: the offset from UTC, daylight or not, the abbreviation."""

    offset: timedelta
    is_daylight: bool
    name: str


@dataclass(frozen=True)
class Transition:
    """The zone changes from one state to the next at this instant (UTC)."""

    at: datetime
    before: _State
    after: _State


def _state(zone_name: str, instant: datetime) -> _State:
    local = instant.astimezone(zone_for(zone_name))
    offset = local.utcoffset() or timedelta(0)
    name = local.tzname() or ""
    return _State(offset, bool(local.dst()), name)


@lru_cache(maxsize=512)
def _transitions_in_year(zone_name: str, year: int) -> tuple[Transition, ...]:
    """The zone's changes during one UTC year: a day-by-day scan, then bisection to the
    second (zones change at most once a day; a second change that day is found next)."""
    found: list[Transition] = []
    low = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    state = _state(zone_name, low)
    while low < end:
        high = min(low + _DAY, end)
        if _state(zone_name, high) == state:
            low = high
            continue
        while high - low > _SECOND:  # state holds at low, not at high
            middle = (low + (high - low) / 2).replace(microsecond=0)
            if _state(zone_name, middle) == state:
                low = middle
            else:
                high = middle
        after = _state(zone_name, high)
        found.append(Transition(high, state, after))  # at most `end`: never seen twice
        low, state = high, after
    return tuple(found)


def transitions(zone_name: str, first_year: int, last_year: int) -> list[Transition]:
    """Every change of the zone from 1 January first_year to 31 December last_year (UTC)."""
    found: list[Transition] = []
    for year in range(first_year, last_year + 1):
        found.extend(_transitions_in_year(zone_name, year))
    return found


def _observance(
    state: _State, onset_local: datetime, offset_from: timedelta
) -> TimezoneStandard | TimezoneDaylight:
    """One STANDARD or DAYLIGHT block with a single onset (local time before the change)."""
    part = TimezoneDaylight() if state.is_daylight else TimezoneStandard()
    part.add("dtstart", onset_local.replace(tzinfo=None, microsecond=0))
    part.add("tzoffsetfrom", offset_from)
    part.add("tzoffsetto", state.offset)
    if state.name:
        part.add("tzname", state.name)
    return part


def vtimezone(zone_name: str, first_day: date, last_day: date) -> Timezone:
    """The VTIMEZONE for zone_name, exact from a year before first_day to a year after
    last_day: one observance for the start of that window, then one per change."""
    first_year = max(first_day.year - 1, 1)
    last_year = min(last_day.year + 1, 9998)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    component = Timezone()
    component.add("tzid", zone_name)
    initial = _state(zone_name, start)
    # The first onset is given in the zone's own time; before it, nothing is defined.
    component.add_component(_observance(initial, start + initial.offset, initial.offset))
    for change in transitions(zone_name, first_year, last_year):
        # DTSTART is the local time of the change in the offset that was in force before it.
        onset = change.at + change.before.offset
        component.add_component(_observance(change.after, onset, change.before.offset))
    return component


def vtimezones(local_times: Iterable[tuple[str, datetime]]) -> list[Timezone]:
    """One VTIMEZONE per zone named in local_times, covering all of that zone's times."""
    spans: dict[str, tuple[date, date]] = {}
    for zone_name, when in local_times:
        if zone_name == "UTC":
            continue  # written as ...Z, no definition needed
        day = when.date()
        low, high = spans.get(zone_name, (day, day))
        spans[zone_name] = (min(low, day), max(high, day))
    return [vtimezone(name, low, high) for name, (low, high) in sorted(spans.items())]
