"""Calendar files (RFC 5545) and add-to-calendar links for events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from icalendar import Calendar
from icalendar import Event as VEvent

from campaign.core.timeutil import to_local
from campaign.events.models import Event

PRODID = "-//Campaign toolkit//Events//EN"


def event_uid(event: Event, base_url: str) -> str:
    """A UID that stays the same for the life of the event, whatever is edited."""
    host = urlsplit(base_url).hostname or "localhost"
    return f"event-{event.id}@{host}"


def _location(event: Event) -> str:
    if event.is_online:
        return "Online"
    parts = [event.venue, event.address.replace("\n", ", "), event.city, event.region]
    parts.append(event.country)
    return ", ".join(p for p in parts if p)


def _vevent(event: Event, base_url: str, event_url: str, join_url: str | None) -> VEvent:
    item = VEvent()
    item.add("uid", event_uid(event, base_url))
    item.add("sequence", event.sequence)
    # DTSTAMP from the last change, not the clock: the same event gives the same bytes,
    # so a calendar file can be cached and every registrant's copy is identical.
    item.add("dtstamp", event.updated_at.astimezone(UTC).replace(microsecond=0))
    item.add("last-modified", event.updated_at.replace(microsecond=0))
    item.add("dtstart", to_local(event.starts_at, event.timezone).replace(microsecond=0))
    item.add("dtend", to_local(event.ends_at, event.timezone).replace(microsecond=0))
    item.add("summary", event.title)
    description = event.summary or ""
    if join_url:
        description += f"\n\nJoin online: {join_url}"
    description += f"\n\nDetails: {event_url}"
    item.add("description", description.strip())
    location = _location(event)
    if location:
        item.add("location", location)
    item.add("url", event_url)
    item.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    item.add("transp", "OPAQUE")
    return item


def event_calendar(
    event: Event, base_url: str, event_url: str, join_url: str | None = None
) -> bytes:
    """A one-event calendar; METHOD:CANCEL once the event is cancelled.

    Cached per event version: mail for a thousand registrants builds it once.
    """
    key = (
        event.id,
        event.sequence,
        event.status,
        event.updated_at,
        base_url,
        event_url,
        join_url,
    )
    cached = _calendar_cache.get(key)
    if cached is None:
        cached = _build_event_calendar(event, base_url, event_url, join_url)
        if len(_calendar_cache) >= 256:
            _calendar_cache.clear()
        _calendar_cache[key] = cached
    return cached


_calendar_cache: dict[tuple, bytes] = {}


def _build_event_calendar(
    event: Event, base_url: str, event_url: str, join_url: str | None
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if event.is_cancelled else "PUBLISH")
    cal.add_component(_vevent(event, base_url, event_url, join_url))
    cal.add_missing_timezones()
    return cal.to_ical()


def feed_calendar(
    events: Iterable[Event], base_url: str, url_for_event: dict[int, str], name: str
) -> bytes:
    """A subscribable calendar of many events."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval;value=duration", "PT6H")
    for event in events:
        cal.add_component(_vevent(event, base_url, url_for_event[event.id], None))
    cal.add_missing_timezones()
    return cal.to_ical()


def _utc_stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_link(event: Event, event_url: str, join_url: str | None = None) -> str:
    """An 'add to Google Calendar' link."""
    details = (event.summary + "\n\n" if event.summary else "") + event_url
    if join_url:
        details += f"\nJoin online: {join_url}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_utc_stamp(event.starts_at)}/{_utc_stamp(event.ends_at)}",
        "details": details,
        "location": _location(event),
        "ctz": event.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_link(event: Event, event_url: str, join_url: str | None = None) -> str:
    """An 'add to Outlook.com' link."""
    body = (event.summary + "\n\n" if event.summary else "") + event_url
    if join_url:
        body += f"\nJoin online: {join_url}"
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": event.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": event.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": body,
        "location": _location(event),
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)
