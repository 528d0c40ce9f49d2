"""An event's time, place and format as a visitor reads them, in the current locale.

English keeps the campaign's own short style (weekday, day, month, year, start–end, zone: the
model's when_text/starts_text); any other locale gets Babel's long date in that locale
(in Spanish: weekday, "2 de enero de ...", 18:00 EST). Times are always in the event's own zone
(Flask-Babel's zone is UTC), with the zone's abbreviation. Templates reach these as
`event_when(event)`, `event_starts(event)`, `event_place(event)`, `event_format(event)`;
a host's proposal has the same fields and works too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Protocol

from babel.dates import format_date, format_datetime
from flask import Flask
from flask_babel import gettext

from campaign.core.timeutil import format_local, format_range, to_local, zone_abbreviation
from campaign.i18n.web import current_locale

ENGLISH = "en"


class Timed(Protocol):
    """An event or a host's proposal: what these functions read."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def timezone(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def venue(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...


def _long_date(local: datetime, locale: str) -> str:
    return format_date(local.date(), "full", locale=locale)


def _clock(local: datetime, locale: str) -> str:
    return format_datetime(local, "HH:mm", tzinfo=local.tzinfo, locale=locale)


def event_starts(item: Timed, locale: str | None = None) -> str:
    """When it starts, with the date and the zone's abbreviation (in `locale`, by default
    the one being rendered: a caller writing many passes it once)."""
    return _starts_text(item.starts_at, item.timezone, locale or current_locale())


@lru_cache(maxsize=4096)
def _starts_text(starts_at: datetime, timezone: str, locale: str) -> str:
    """event_starts' text, kept: the listing's map writes it for up to 200 events on every
    drawing, mostly the same ones. It depends on nothing else (zones and locale data are
    bundled), and an instant written with another offset is equal to, and hashes as, the
    same instant."""
    if locale.startswith(ENGLISH):
        return format_local(starts_at, timezone)
    local = to_local(starts_at, timezone)
    return f"{_long_date(local, locale)}, {_clock(local, locale)} {zone_abbreviation(local)}"


def event_when(item: Timed) -> str:
    """Start to end, the date written once when both fall on one day."""
    locale = current_locale()
    if locale.startswith(ENGLISH):
        return format_range(item.starts_at, item.ends_at, item.timezone)
    start, end = to_local(item.starts_at, item.timezone), to_local(item.ends_at, item.timezone)
    head = f"{_long_date(start, locale)}, {_clock(start, locale)}"
    if start.date() == end.date() and zone_abbreviation(start) == zone_abbreviation(end):
        return f"{head}–{_clock(end, locale)} {zone_abbreviation(end)}"
    return (
        f"{head} {zone_abbreviation(start)} – {_long_date(end, locale)}, "
        f"{_clock(end, locale)} {zone_abbreviation(end)}"
    )


def event_format(item: Timed, short: bool = False) -> str:
    """In person, Online, or Hybrid (short) / Hybrid (in person and online)."""
    if item.format == "online":
        return gettext("Online")
    if item.format == "hybrid":
        return gettext("Hybrid") if short else gettext("Hybrid (in person and online)")
    return gettext("In person")


class PlaceWords:
    """The words a place line is written with, each translated on first use: a caller
    writing many places in one locale (the listing's map) passes one to all of them."""

    @cached_property
    def online(self) -> str:
        return gettext("Online")

    @cached_property
    def to_be_announced(self) -> str:
        return gettext("Venue to be announced")

    @cached_property
    def and_online(self) -> str:
        """The hybrid line "%(place)s and online", not yet filled in."""
        return gettext("%(place)s and online")

    def line(self, format: str, parts: Iterable[str | None]) -> str:
        """The place in one line: Online, the parts that are given, or To be announced;
        with "and online" for a hybrid event."""
        if format == "online":
            return self.online
        place = ", ".join(p for p in parts if p) or self.to_be_announced
        if format == "hybrid":
            return self.and_online % {"place": place}
        return place


def event_place(item: Timed, words: PlaceWords | None = None) -> str:
    """Where it happens, in one line: venue and city, or Online."""
    return (words or PlaceWords()).line(item.format, (item.venue, item.city))


def place_line(format: str, venue: str, address: str, city: str) -> str:
    """Where it happens with its street address, in one line in the locale being rendered
    (what a change notice says the place was and is now)."""
    return PlaceWords().line(format, (venue, address.replace("\n", ", "), city))


def month_year(day: date) -> str:
    """A day as "<day> <month name> <year>" in English, the locale's long date elsewhere."""
    locale = current_locale()
    if locale.startswith(ENGLISH):
        return f"{day.day} {day.strftime('%B %Y')}"
    return format_date(day, "long", locale=locale)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        event_starts=event_starts,
        event_when=event_when,
        event_format=event_format,
        event_place=event_place,
        long_day=month_year,
    )
