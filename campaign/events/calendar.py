"""Calendar files (RFC 5545) and add-to-calendar links for events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from flask_babel import gettext

from campaign.core.cache import app_cache
from campaign.core.text import normalise_line_breaks, single_line
from campaign.core.timeutil import to_local
from campaign.events.display import event_summary, event_title
from campaign.events.models import Event
from campaign.i18n.web import current_locale

if TYPE_CHECKING:
    from icalendar import Calendar, vGeo
    from icalendar import Event as VEvent

# icalendar (and its zone tables) is imported where a file is written, not when a web
# worker starts: most workers never write one (measured in bench/pages.py's cold start).

PRODID = "-//Campaign toolkit//Events//EN"


def event_uid(event: Event, base_url: str) -> str:
    """A UID that stays the same for the life of the event, whatever is edited."""
    host = urlsplit(base_url).hostname or "localhost"
    return f"event-{event.id}@{host}"


def _location(event: Event) -> str:
    """One line: venue, the address's lines, city, region, country, comma-separated."""
    if event.is_online:
        return gettext("Online")
    parts = [event.venue, event.address, event.city, event.region, event.country]
    return ", ".join(line for line in (single_line(p, ", ") for p in parts) if line)


@cache
def _fixed_geo_type() -> type[vGeo]:
    """icalendar's GEO written with six fixed decimals: its own writes str(float), which
    is 1e-06 for a millionth of a degree, and RFC 5545 FLOAT has no exponent."""
    from icalendar import vGeo

    class FixedGeo(vGeo):
        def to_ical(self) -> str:
            return f"{self.latitude:.6f};{self.longitude:.6f}"

    return FixedGeo


def _geo(event: Event) -> tuple[float, float] | None:
    """RFC 5545 GEO: the venue's latitude and longitude when its organizer or host gave
    them (never the map's guess from a city or country: a calendar would pin the guess as
    the venue), to six decimals as the RFC asks (about 0.1 m); None otherwise."""
    if not event.has_venue or event.latitude is None or event.longitude is None:
        return None
    latitude, longitude = round(event.latitude, 6), round(event.longitude, 6)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None  # the form refuses these; a row changed by hand still writes a valid file
    return latitude, longitude


def _vevent(event: Event, base_url: str, event_url: str, join_url: str | None) -> VEvent:
    """The event's VEVENT, its words in the locale being rendered (in_locale or the
    visitor's)."""
    from icalendar import Event as VEvent

    locale = current_locale()
    item = VEvent()
    item.add("uid", event_uid(event, base_url))
    item.add("sequence", event.sequence)
    # DTSTAMP from the last change, not the clock: the same event gives the same bytes,
    # so a calendar file can be cached and every registrant's copy is identical.
    item.add("dtstamp", event.updated_at.astimezone(UTC).replace(microsecond=0))
    item.add("last-modified", event.updated_at.replace(microsecond=0))
    item.add("dtstart", to_local(event.starts_at, event.timezone).replace(microsecond=0))
    item.add("dtend", to_local(event.ends_at, event.timezone).replace(microsecond=0))
    # Every line break in text is one LF, which icalendar escapes as \n: a lone CR (or a
    # U+2028) written raw would end the content line and start one of the sender's choosing.
    item.add("summary", single_line(event_title(event, locale)))
    description = single_line(event_summary(event, locale))
    if join_url:
        description += "\n\n" + gettext("Join online: %(url)s", url=single_line(join_url))
    description += "\n\n" + gettext("Details: %(url)s", url=single_line(event_url))
    item.add("description", normalise_line_breaks(description.strip()))
    location = _location(event)
    if location:
        item.add("location", location)
    geo = _geo(event)
    if geo is not None:
        item.add("geo", _fixed_geo_type()(geo))
    item.add("url", single_line(event_url))
    item.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    item.add("transp", "OPAQUE")
    return item


def event_calendar(
    event: Event, base_url: str, event_url: str, join_url: str | None = None
) -> bytes:
    """A one-event calendar, in the locale being rendered; METHOD:CANCEL once the event
    is cancelled.

    Cached per event version and locale: mail for a thousand registrants builds it once.
    """
    slot = (event.id, base_url, event_url, join_url, current_locale())
    version = (event.sequence, event.status, event.updated_at)
    return app_cache("event_calendars", 256).get_or_compute(
        slot, version, lambda: _build_event_calendar(event, base_url, event_url, join_url)
    )


def _build_event_calendar(
    event: Event, base_url: str, event_url: str, join_url: str | None
) -> bytes:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if event.is_cancelled else "PUBLISH")
    cal.add_component(_vevent(event, base_url, event_url, join_url))
    _add_timezones(cal, [event])
    return cal.to_ical()


def feed_calendar(
    events: Iterable[Event], base_url: str, url_for_event: dict[int, str], name: str
) -> bytes:
    """A subscribable calendar of many events."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", single_line(name))
    cal.add("refresh-interval;value=duration", "PT6H")
    events = list(events)
    for event in events:
        cal.add_component(_vevent(event, base_url, url_for_event[event.id], None))
    _add_timezones(cal, events)
    return cal.to_ical()


def _add_timezones(cal: Calendar, events: list[Event]) -> None:
    """A VTIMEZONE for every zone the events use, exact around their dates (see vtimezone)."""
    from campaign.events.vtimezone import vtimezones

    local_times = []
    for event in events:
        for instant in (event.starts_at, event.ends_at):
            local_times.append((event.timezone, to_local(instant, event.timezone)))
    for component in vtimezones(local_times):
        cal.add_component(component)


def _utc_stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_link(event: Event, event_url: str, join_url: str | None = None) -> str:
    """An 'add to Google Calendar' link, its text in the locale being rendered."""
    locale = current_locale()
    summary = event_summary(event, locale)
    details = (summary + "\n\n" if summary else "") + event_url
    if join_url:
        details += "\n" + gettext("Join online: %(url)s", url=join_url)
    query = {
        "action": "TEMPLATE",
        "text": event_title(event, locale),
        "dates": f"{_utc_stamp(event.starts_at)}/{_utc_stamp(event.ends_at)}",
        "details": details,
        "location": _location(event),
        "ctz": event.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_link(event: Event, event_url: str, join_url: str | None = None) -> str:
    """An 'add to Outlook.com' link, its text in the locale being rendered."""
    locale = current_locale()
    summary = event_summary(event, locale)
    body = (summary + "\n\n" if summary else "") + event_url
    if join_url:
        body += "\n" + gettext("Join online: %(url)s", url=join_url)
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event_title(event, locale),
        "startdt": event.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": event.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": body,
        "location": _location(event),
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)
