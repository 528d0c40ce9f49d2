"""Event use cases: create, edit, publish, cancel, clone, list. The caller commits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, bindparam, case, false, func, or_, select

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import CURRENT_CAMPAIGN_ID
from campaign.core.pagecache import columns_state, state_columns
from campaign.core.text import has_control_characters
from campaign.core.timeutil import NonexistentLocalTime, is_valid_timezone, local_to_utc
from campaign.events.models import (
    DESCRIPTION_MAX,
    FORMAT_HYBRID,
    FORMAT_IN_PERSON,
    FORMAT_ONLINE,
    FORMATS,
    STATUS_CANCELLED,
    STATUS_DRAFT,
    STATUS_PUBLISHED,
    SUMMARY_MAX,
    TITLE_MAX,
    Event,
)
from campaign.extensions import db
from campaign.organizers.models import Organizer

CAPACITY_MAX = 100_000


class EventError(ValueError):
    """A rule about an event was broken; field names the form field, message is shown."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EventValidationError(ValueError):
    """Several field errors at once, keyed by form field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class EventInput:
    """What an organizer typed: wall-clock times in `timezone`, plain strings."""

    title: str
    starts_local: datetime | None
    ends_local: datetime | None
    timezone: str
    format: str = FORMAT_IN_PERSON
    summary: str = ""
    description: str = ""
    venue: str = ""
    address: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    join_url: str = ""
    capacity: int | None = None
    is_waitlist_enabled: bool = True
    accessibility_notes: str = ""


_LIMITS = {
    "title": TITLE_MAX,
    "summary": SUMMARY_MAX,
    "description": DESCRIPTION_MAX,
    "venue": 200,
    "address": 300,
    "city": 100,
    "region": 100,
    "country": 100,
    "join_url": 500,
    "accessibility_notes": 2000,
}
_MULTILINE = {"description", "accessibility_notes", "address"}


def validate(data: EventInput) -> tuple[datetime, datetime]:
    """Check every rule and return (starts_at, ends_at) in UTC; raise EventValidationError."""
    errors: dict[str, str] = {}
    for name, limit in _LIMITS.items():
        value = getattr(data, name)
        setattr(data, name, unicodedata.normalize("NFC", value.strip()))
        value = getattr(data, name)
        if len(value) > limit:
            errors[name] = f"Use at most {limit} characters (now {len(value)})."
        elif has_control_characters(value, allow_newlines=name in _MULTILINE):
            errors[name] = "Remove the invisible control characters."
    if not data.title:
        errors["title"] = "Give the event a title."
    if data.format not in FORMATS:
        errors["format"] = "Choose in person, online or hybrid."
    if data.join_url:
        parts = urlsplit(data.join_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in data.join_url:
            errors["join_url"] = "Enter a full web address starting with https:// or http://."
    if data.capacity is not None and not 1 <= data.capacity <= CAPACITY_MAX:
        errors["capacity"] = f"Enter a number from 1 to {CAPACITY_MAX}, or leave it empty."
    if data.format in (FORMAT_IN_PERSON, FORMAT_HYBRID) and not (data.venue or data.city):
        errors["venue"] = "Say where it happens: a venue or at least a city."

    starts_at = ends_at = None
    if not is_valid_timezone(data.timezone):
        errors["timezone"] = "Choose a time zone from the list."
    else:
        for name in ("starts_local", "ends_local"):
            value = getattr(data, name)
            if value is None:
                errors[name] = "Enter a date and time."
                continue
            try:
                converted = local_to_utc(value, data.timezone)
            except NonexistentLocalTime as exc:
                errors[name] = str(exc)
                continue
            if name == "starts_local":
                starts_at = converted
            else:
                ends_at = converted
        if starts_at and ends_at and ends_at <= starts_at:
            errors["ends_local"] = "The end must be after the start."
    if errors or starts_at is None or ends_at is None:
        raise EventValidationError(errors)
    return starts_at, ends_at


def slugify(title: str) -> str:
    """A lower-case ASCII slug from a title ('event' when nothing ASCII is left)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "event"


def unique_slug(title: str, exclude_id: int | None = None) -> str:
    """A slug no other event uses: the title's slug, then -2, -3, ..."""
    base = slugify(title)
    query = select(Event.slug).where(or_(Event.slug == base, Event.slug.like(f"{base}-%")))
    if exclude_id is not None:
        query = query.where(Event.id != exclude_id)
    taken = set(db.session.scalars(query))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _apply(event: Event, data: EventInput, starts_at: datetime, ends_at: datetime) -> bool:
    """Copy input onto event; True when the time or place changed."""
    before = (
        event.starts_at,
        event.ends_at,
        event.timezone,
        event.venue,
        event.address,
        event.city,
        event.format,
        event.join_url,
    )
    for f in fields(EventInput):
        if f.name in ("starts_local", "ends_local"):
            continue
        setattr(event, f.name, getattr(data, f.name))
    if data.format == FORMAT_ONLINE:
        event.venue = event.address = ""
    event.starts_at, event.ends_at = starts_at, ends_at
    after = (
        event.starts_at,
        event.ends_at,
        event.timezone,
        event.venue,
        event.address,
        event.city,
        event.format,
        event.join_url,
    )
    return before != after


def create_event(campaign_id: int, organizer: Organizer, data: EventInput) -> Event:
    """A new draft event owned by organizer."""
    starts_at, ends_at = validate(data)
    event = Event(campaign_id=campaign_id, organizer_id=organizer.id, status=STATUS_DRAFT)
    _apply(event, data, starts_at, ends_at)
    event.slug = unique_slug(data.title)
    db.session.add(event)
    db.session.flush()
    return event


def update_event(event: Event, data: EventInput) -> bool:
    """Save edits; returns True when time or place changed (calendar SEQUENCE bumped).

    The slug follows the title only while the event has never been published, so
    links on flyers keep working.
    """
    if event.is_cancelled:
        raise EventError("A cancelled event cannot be edited.")
    starts_at, ends_at = validate(data)
    changed = _apply(event, data, starts_at, ends_at)
    if event.published_at is None:
        event.slug = unique_slug(data.title, exclude_id=event.id)
    if changed and event.published_at is not None:
        event.sequence += 1
    db.session.flush()
    return changed


def publish(event: Event, now: datetime) -> None:
    """Make a draft public."""
    if event.status != STATUS_DRAFT:
        raise EventError("Only a draft can be published.")
    if event.is_past(now):
        raise EventError("This event has already ended; change its dates before publishing.")
    event.status = STATUS_PUBLISHED
    if event.published_at is None:
        event.published_at = now
    db.session.flush()


def unpublish(event: Event) -> None:
    """Take a published event off the public site, back to draft."""
    if event.status != STATUS_PUBLISHED:
        raise EventError("Only a published event can be unpublished.")
    event.status = STATUS_DRAFT
    db.session.flush()


def cancel(event: Event, now: datetime) -> None:
    """Cancel for good: the page says so and the calendar entry is withdrawn."""
    if event.status == STATUS_CANCELLED:
        raise EventError("This event is already cancelled.")
    event.status = STATUS_CANCELLED
    event.cancelled_at = now
    event.sequence += 1
    db.session.flush()


def clone(event: Event, organizer: Organizer) -> Event:
    """A draft copy of event (same details and times) owned by organizer."""
    copy = Event(
        campaign_id=event.campaign_id,
        organizer_id=organizer.id,
        status=STATUS_DRAFT,
        cloned_from_id=event.id,
    )
    for f in fields(EventInput):
        if f.name not in ("starts_local", "ends_local"):
            setattr(copy, f.name, getattr(event, f.name))
    copy.starts_at, copy.ends_at = event.starts_at, event.ends_at
    copy.reminder_offsets = list(event.reminder_offsets or [])
    copy.is_reminders_enabled = event.is_reminders_enabled
    copy.is_thank_you_enabled = event.is_thank_you_enabled
    suffix = " (copy)"
    copy.title = event.title[: TITLE_MAX - len(suffix)] + suffix
    copy.slug = unique_slug(copy.title)
    db.session.add(copy)
    db.session.flush()
    return copy


def event_for(organizer: Organizer, event_id: int) -> Event | None:
    """The event when organizer may see and change it (admins: any; others: their own)."""
    event = db.session.get(Event, event_id)
    if event is None:
        return None
    if not organizer.is_admin and event.organizer_id != organizer.id:
        return None
    return event


def events_for(organizer: Organizer, campaign_id: int) -> Select[tuple[Event]]:
    """The organizer's events (all events for admins), newest start first."""
    query = select(Event).where(Event.campaign_id == campaign_id)
    if not organizer.is_admin:
        query = query.where(Event.organizer_id == organizer.id)
    return query.order_by(Event.starts_at.desc(), Event.id.desc())


@dataclass(frozen=True)
class ListingFilters:
    city: str = ""
    region: str = ""
    online: bool = False


def public_events_query(campaign_id: int, now: datetime, filters: ListingFilters) -> Select:
    """Upcoming published events (not yet ended), soonest first, with filters."""
    query = select(Event).where(
        Event.campaign_id == campaign_id,
        Event.status == STATUS_PUBLISHED,
        Event.ends_at > now,
    )
    if "\x00" in filters.city + filters.region:
        # No stored place holds a NUL, and PostgreSQL refuses one in a parameter.
        return query.where(false())
    if filters.city:
        query = query.where(func.lower(Event.city) == filters.city.lower())
    if filters.region:
        query = query.where(func.lower(Event.region) == filters.region.lower())
    if filters.online:
        query = query.where(Event.format.in_((FORMAT_ONLINE, FORMAT_HYBRID)))
    return query.order_by(Event.starts_at, Event.id)


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


# Built once, at import: the listing asks for it on every request.
_LISTING_VERSION = select(
    func.count(),
    func.max(Event.updated_at),
    func.count(
        case(
            (
                (Event.status == STATUS_PUBLISHED) & (Event.ends_at > bindparam("now")),
                1,
            )
        )
    ),
).where(Event.campaign_id == bindparam("campaign_id"))


_CAMPAIGN_STATE = state_columns(Campaign)
_LISTING_STATE = (
    select(*_CAMPAIGN_STATE, *_LISTING_VERSION.selected_columns)
    .select_from(Campaign)
    .outerjoin(Event, Event.campaign_id == Campaign.id)
    .where(Campaign.id == CURRENT_CAMPAIGN_ID)
    .group_by(Campaign.id)
)


@dataclass(frozen=True)
class ListingState:
    """The public listing's state as plain values: the current campaign's row_state and
    its listing_version, read with one Core query (a cached listing's whole database cost)."""

    campaign_id: int
    key: tuple[Any, ...]


def listing_state(now: datetime) -> ListingState | None:
    """The state of the current campaign's listing, or None when there is no campaign."""
    row = db.session.connection().execute(_LISTING_STATE, {"now": now}).first()
    if row is None:
        return None
    width = len(_CAMPAIGN_STATE)
    campaign = columns_state(Campaign, row[:width])
    assert campaign is not None
    version = (int(row[width]), row[width + 1], int(row[width + 2]))
    return ListingState(campaign[1 + _CAMPAIGN_KEYS.index("id")], (campaign, version))


_CAMPAIGN_KEYS = [column.key for column in _CAMPAIGN_STATE]


def listing_version(campaign_id: int, now: datetime) -> tuple[int, datetime | None, int]:
    """A value that changes whenever the campaign's public listing can change.

    Every change to an event row sets its updated_at, a new or deleted row changes the
    count, and an event leaving the listing because it ended changes the last figure
    (the number still listable at `now`). One aggregate over the campaign's events.
    """
    row = db.session.execute(_LISTING_VERSION, {"campaign_id": campaign_id, "now": now}).one()
    return int(row[0]), row[1], int(row[2])


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
    """Counts for the home page: upcoming events and the cities they are in."""
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
    return {"events": events, "cities": cities, "online": online}
