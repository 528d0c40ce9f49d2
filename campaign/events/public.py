"""What the public sees of events, each read in as few queries as the busiest day needs:
the listing with its filters, the calendar feed, one event by slug and the home page's
totals. The event page is read in campaign.events.event_page; the state the page cache
keeps both pages under, in campaign.events.cache_keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext, ngettext
from sqlalchemy import Select, false, func, or_, select

from campaign.events.models import (
    FORMAT_HYBRID,
    FORMAT_ONLINE,
    STATUS_CANCELLED,
    STATUS_DRAFT,
    STATUS_PUBLISHED,
    Event,
)
from campaign.extensions import db
from campaign.signups.models import STATUS_CONFIRMED, STATUS_WAITLISTED, Registration


@dataclass(frozen=True)
class ListingFilters:
    city: str = ""
    region: str = ""
    online: bool = False
    query: str = ""  # words searched for in the title, summary and city
    starts_from: datetime | None = None  # UTC bounds on the start (events.listing)
    starts_before: datetime | None = None


def public_events_query(campaign_id: int, now: datetime, filters: ListingFilters) -> Select:
    """Upcoming published events (not yet ended), soonest first, with filters."""
    query = select(Event).where(
        Event.campaign_id == campaign_id,
        Event.status == STATUS_PUBLISHED,
        Event.ends_at > now,
    )
    if "\x00" in filters.city + filters.region + filters.query:
        # No stored place holds a NUL, and PostgreSQL refuses one in a parameter.
        return query.where(false())
    if filters.city:
        query = query.where(func.lower(Event.city) == filters.city.lower())
    if filters.region:
        query = query.where(func.lower(Event.region) == filters.region.lower())
    if filters.online:
        query = query.where(Event.format.in_((FORMAT_ONLINE, FORMAT_HYBRID)))
    for word in filters.query.lower().split():
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(word, autoescape=True)
                    for column in (Event.title, Event.summary, Event.city)
                )
            )
        )
    if filters.starts_from is not None:
        query = query.where(Event.starts_at >= filters.starts_from)
    if filters.starts_before is not None:
        query = query.where(Event.starts_at < filters.starts_before)
    return query.order_by(Event.starts_at, Event.id)


def seat_figures(event_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(confirmed, waitlisted) per event, for the listing's badges, in one query."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, Registration.status, func.count())
        .where(
            Registration.event_id.in_(event_ids),
            Registration.status.in_((STATUS_CONFIRMED, STATUS_WAITLISTED)),
        )
        .group_by(Registration.event_id, Registration.status)
    )
    figures = {event_id: [0, 0] for event_id in event_ids}
    for event_id, status, n in rows:
        figures[event_id][0 if status == STATUS_CONFIRMED else 1] = int(n)
    return {event_id: (pair[0], pair[1]) for event_id, pair in figures.items()}


def seat_badge(event: Event, confirmed: int, waitlisted: int) -> tuple[str, str] | None:
    """The listing's badge for a limited event: (kind, text), or None without a limit."""
    if event.capacity is None:
        return None
    free = max(event.capacity - confirmed, 0)
    if free > 0 and waitlisted == 0:
        return "seats", ngettext("%(num)s place left", "%(num)s places left", free)
    if event.is_waitlist_enabled:
        return "waitlist", gettext("Waitlist")
    return "full", gettext("Full")


def feed_events_query(campaign_id: int, now: datetime) -> Select:
    """Published and cancelled events of the last 30 days and the future, for the feed."""
    return (
        select(Event)
        .where(
            Event.campaign_id == campaign_id,
            Event.status.in_((STATUS_PUBLISHED, STATUS_CANCELLED)),
            Event.ends_at > now - timedelta(days=30),
        )
        .order_by(Event.starts_at, Event.id)
    )


def public_places(campaign_id: int, now: datetime) -> tuple[list[str], list[str]]:
    """Cities and regions that have upcoming published events, for the filters."""
    base = (
        Event.campaign_id == campaign_id,
        Event.status == STATUS_PUBLISHED,
        Event.ends_at > now,
    )
    cities = db.session.scalars(
        select(Event.city).where(*base, Event.city != "").distinct().order_by(Event.city)
    )
    regions = db.session.scalars(
        select(Event.region).where(*base, Event.region != "").distinct().order_by(Event.region)
    )
    return list(cities), list(regions)


def plausible_slug(slug: str) -> bool:
    """False for a slug no event can have (too long, a NUL): answer 404 without a query."""
    return len(slug) <= 160 and "\x00" not in slug


def public_event(slug: str) -> Event | None:
    """A published, past or cancelled event by slug; drafts are never public."""
    if not plausible_slug(slug):
        return None
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None or event.status == STATUS_DRAFT:
        return None
    return event


def public_totals(campaign_id: int, now: datetime) -> dict[str, int]:
    """Counts for the home page: upcoming events, the cities they are in, those that can be
    joined online, and how many people registered."""
    base = (
        Event.campaign_id == campaign_id,
        Event.status == STATUS_PUBLISHED,
        Event.ends_at > now,
    )
    events = db.session.scalar(select(func.count()).select_from(Event).where(*base)) or 0
    cities = (
        db.session.scalar(
            select(func.count(func.distinct(func.lower(Event.city)))).where(*base, Event.city != "")
        )
        or 0
    )
    online = (
        db.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(*base, Event.format.in_((FORMAT_ONLINE, FORMAT_HYBRID)))
        )
        or 0
    )
    # A campaign-wide count only (SPEC: attendance is private): people with a place or a
    # waitlist spot at any of the campaign's published events, each address once.
    registrations = (
        db.session.scalar(
            select(func.count(func.distinct(Registration.email)))
            .select_from(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Event.campaign_id == campaign_id,
                Event.status == STATUS_PUBLISHED,
                Registration.status.in_((STATUS_CONFIRMED, STATUS_WAITLISTED)),
            )
        )
        or 0
    )
    return {"events": events, "cities": cities, "online": online, "registrations": registrations}
