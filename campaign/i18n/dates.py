"""An event's time as a person reads it in their language, in the event's own zone.

English keeps the campaign's compact form ("Sat 2 Jan <year>, 18:00–20:00 EST", from
campaign.core.timeutil); other locales get Babel's full date ("sábado, 2 de enero de <year>,
18:00–20:00 EST"). The zone is always the event's, never Flask-Babel's (UTC).
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date

from campaign.core.timeutil import format_range, to_local, zone_abbreviation
from campaign.i18n.negotiation import primary_tag


def _day_and_time(local: datetime, locale: str) -> str:
    return f"{format_date(local.date(), 'full', locale=locale)}, {local:%H:%M}"


def format_event_range(start: datetime, end: datetime, tz_name: str, locale: str) -> str:
    """The start-end range in the zone tz_name, written for `locale`; the date once when
    the event starts and ends on the same day in the same zone abbreviation."""
    if primary_tag(locale) == "en":
        return format_range(start, end, tz_name)
    ls, le = to_local(start, tz_name), to_local(end, tz_name)
    head = _day_and_time(ls, locale)
    if ls.date() == le.date() and zone_abbreviation(ls) == zone_abbreviation(le):
        return f"{head}–{le:%H:%M} {zone_abbreviation(le)}"
    return f"{head} {zone_abbreviation(ls)} – {_day_and_time(le, locale)} {zone_abbreviation(le)}"
