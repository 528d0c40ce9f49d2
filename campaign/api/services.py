"""What the JSON API answers: its parameters checked, the events read and made plain values.

Only published events that have not ended, of the current campaign, are public here, and
only the fields the public event page shows: never the organizer, the registrants, the
online join link (sent to registrants only) or seat figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.events.eventmap import event_position
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.events.public import ListingFilters, plausible_slug, public_events_query
from campaign.extensions import db

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
FILTER_MAX = 100
ONLINE_VALUES = {"": False, "0": False, "false": False, "1": True, "true": True}

# Builds an event's absolute page address from its slug (the view passes url_for's).
UrlFor = Callable[[str], str]


class BadParameter(ValueError):
    """A query parameter the API cannot use: which one, and why, for the 400 answer."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class ListQuery:
    """The listing's parameters, checked."""

    page: int
    per_page: int
    filters: ListingFilters


def _bounded_int(args: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise BadParameter(name, f"{name} must be a whole number from 1 to {high}, not {raw!r}.")
    value = int(text[:12])  # more digits than that are over the bound anyway
    if len(text) > 12 or not 1 <= value <= high:
        raise BadParameter(name, f"{name} must be from 1 to {high}; {raw[:20]} is out of range.")
    return value


def parse_list_query(args: Mapping[str, str]) -> ListQuery:
    """The listing's parameters from a query string, or BadParameter for the first bad one.

    Other parameters are ignored (a script's cache-busting "_=..." must not break it)."""
    page = _bounded_int(args, "page", 1, MAX_PAGE)
    per_page = _bounded_int(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    city, region = (_place(args, name) for name in ("city", "region"))
    online = args.get("online", "").strip().lower()
    if online not in ONLINE_VALUES:
        raise BadParameter("online", "online must be 1 or true (online and hybrid events only).")
    filters = ListingFilters(city=city, region=region, online=ONLINE_VALUES[online])
    return ListQuery(page, per_page, filters)


def _place(args: Mapping[str, str], name: str) -> str:
    value = args.get(name, "").strip()
    if len(value) > FILTER_MAX or "\x00" in value:
        raise BadParameter(name, f"{name} must be at most {FILTER_MAX} characters.")
    return value


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso_local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()


def position_json(event: Event) -> dict[str, Any] | None:
    """Where the event is on the public map: the organizer's coordinates ("exact"), else
    its city's or its country's middle from the bundled gazetteer ("city", "country");
    None for an online event or a place the gazetteer lacks."""
    position = event_position(event)
    if position is None:
        return None
    return {
        "latitude": round(position.latitude, 6),
        "longitude": round(position.longitude, 6),
        "precision": position.precision,
    }


def event_json(event: Event, url_for_event: UrlFor) -> dict[str, Any]:
    """An event as the API shows it: what its public page shows, nothing about people."""
    return {
        "slug": event.slug,
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "starts_at": _iso_utc(event.starts_at),
        "ends_at": _iso_utc(event.ends_at),
        "timezone": event.timezone,
        "starts_local": _iso_local(event.starts_at, event.timezone),
        "ends_local": _iso_local(event.ends_at, event.timezone),
        "when_text": event.when_text,
        "format": event.format,
        "place_text": event.place_text,
        "venue": event.venue if event.has_venue else "",
        "address": event.address if event.has_venue else "",
        "city": event.city,
        "region": event.region,
        "country": event.country,
        "position": position_json(event),
        "accessibility_notes": event.accessibility_notes,
        "url": url_for_event(event.slug),
    }


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    """The campaign the events belong to, with its disclaimer."""
    return {
        "name": campaign.name,
        "day": campaign.day.isoformat(),
        "timezone": campaign.timezone,
        "hashtag": campaign.hashtag,
        "disclaimer": campaign.disclaimer,
    }


def list_page(
    campaign: Campaign, query: ListQuery, now: datetime, url_for_event: UrlFor
) -> dict[str, Any]:
    """One page of the campaign's upcoming published events, soonest first, with totals."""
    statement = public_events_query(campaign.id, now, query.filters)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    events = db.session.scalars(
        statement.limit(query.per_page).offset((query.page - 1) * query.per_page)
    )
    pages = max(1, -(-total // query.per_page))
    return {
        "campaign": campaign_json(campaign),
        "events": [event_json(event, url_for_event) for event in events],
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
        "pages": pages,
    }


def upcoming_event(campaign: Campaign, slug: str, now: datetime) -> Event | None:
    """The campaign's published event by slug while it has not ended, else None."""
    if not plausible_slug(slug):
        return None
    return db.session.scalar(
        select(Event).where(
            Event.slug == slug,
            Event.campaign_id == campaign.id,
            Event.status == STATUS_PUBLISHED,
            Event.ends_at > now,
        )
    )
