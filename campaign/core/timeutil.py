"""Time helpers: UTC now, zone lookups and wall-clock conversions that respect DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# The years an event or a campaign day may fall in. Far from them, converting a wall-clock
# time to UTC leaves the years datetime can hold (9999 in a far-west zone is year 10000)
# and a time zone definition would have to reach that far.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2099


def year_in_range(value: date | datetime) -> bool:
    """Whether value falls in EARLIEST_YEAR..LATEST_YEAR."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """All IANA zone names this machine knows, sorted, without legacy aliases."""
    names = {
        n
        for n in available_timezones()
        if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    names.add("UTC")
    return tuple(sorted(names))


def is_valid_timezone(name: str) -> bool:
    """True when name is a known IANA zone."""
    if not name or name not in timezone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1024)
def zone_for(name: str) -> ZoneInfo:
    """The zone, kept loaded: zoneinfo itself keeps only a few zones warm."""
    return ZoneInfo(name)


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped by a daylight-saving change."""


def local_to_utc(naive_local: datetime, tz_name: str) -> datetime:
    """Interpret a naive wall-clock time in tz_name and return the UTC instant.

    Times inside a spring-forward gap do not exist and are refused; in an autumn
    overlap the first (daylight) occurrence is taken.
    """
    zone = zone_for(tz_name)
    aware = naive_local.replace(tzinfo=zone, fold=0)
    as_utc = aware.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != naive_local:
        raise NonexistentLocalTime(
            f"{naive_local:%H:%M} on {naive_local:%d %b %Y} does not exist in {tz_name}: "
            "the clocks change then."
        )
    return as_utc


def to_local(instant: datetime, tz_name: str) -> datetime:
    """The aware wall-clock time of instant in tz_name."""
    return instant.astimezone(zone_for(tz_name))


def format_local(instant: datetime, tz_name: str, with_date: bool = True) -> str:
    """'Sat 12 Dec YYYY, 18:00 EST': the instant in its zone, with the zone abbreviation."""
    local = to_local(instant, tz_name)
    # One strftime call for the whole line: it runs for every event of a listing's map.
    pattern = f"%a {local.day} %b %Y, %H:%M" if with_date else "%H:%M"
    return f"{local.strftime(pattern)} {zone_abbreviation(local)}"


def format_range(start: datetime, end: datetime, tz_name: str) -> str:
    """A start-end range in the event's zone, the date written once when it is one day."""
    ls, le = to_local(start, tz_name), to_local(end, tz_name)
    head = f"{ls:%a} {ls.day} {ls:%b %Y}, {ls:%H:%M}"
    if ls.date() == le.date() and zone_abbreviation(ls) == zone_abbreviation(le):
        return f"{head}–{le:%H:%M} {zone_abbreviation(le)}"
    return f"{head} {zone_abbreviation(ls)} – {le:%a} {le.day} {le:%b %Y}, {le:%H:%M} " + (
        zone_abbreviation(le)
    )


def zone_abbreviation(local: datetime) -> str:
    """The zone's abbreviation (EST, CEST) or, where the zone has none, the UTC offset."""
    abbr = local.tzname() or ""
    if abbr and not abbr.startswith(("+", "-")):
        return abbr
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def days_until(day: date, today: date) -> int:
    """Whole days from today to day (0 on the day, negative after it)."""
    return (day - today).days


def next_day_start(instant: datetime, tz_name: str) -> datetime:
    """The first instant, in UTC, at which tz_name's calendar shows the day after instant's.

    Where the clocks change at midnight the new day begins when the change does: a skipped
    midnight is read with the offset before the change, a repeated one as its first showing.
    """
    zone = zone_for(tz_name)
    tomorrow = instant.astimezone(zone).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone).astimezone(UTC)
