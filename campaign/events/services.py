"""Event use cases: create, edit, publish, cancel, clone, list. The caller commits."""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext
from sqlalchemy import Select, case, or_, select

from campaign.core.forms import FieldErrors
from campaign.core.text import has_control_characters, normalise_line_breaks, slugify
from campaign.core.timeutil import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    NonexistentLocalTime,
    is_valid_timezone,
    local_to_utc,
    year_in_range,
)
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
from campaign.graphics.services.drawable import undrawable_message
from campaign.i18n.display import place_line
from campaign.i18n.markers import N_
from campaign.organizers import access
from campaign.organizers.models import Organizer

CAPACITY_MAX = 100_000
SLUG_LENGTH = 80  # before a -2, -3 ... suffix


class EventError(ValueError):
    """A rule about an event was broken; field names the form field, message is shown."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EventValidationError(FieldErrors):
    """What is wrong with an event's fields, one message per form field."""


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
    is_going_count_public: bool = False
    latitude: float | None = None
    longitude: float | None = None


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
# What the share cards and previews show: a character no card font has is refused here.
_ON_CARDS = {"title", "summary", "venue", "city"}


def coordinate_errors(latitude: float | None, longitude: float | None) -> dict[str, str]:
    """What is wrong with a map position: each in range, and both given or neither."""
    errors: dict[str, str] = {}
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is None:
            continue
        if not math.isfinite(value):
            errors[name] = (
                gettext("Enter the latitude as a number of degrees, from -90 to 90.")
                if name == "latitude"
                else gettext("Enter the longitude as a number of degrees, from -180 to 180.")
            )
        elif not -limit <= value <= limit:
            errors[name] = (
                gettext("Enter a latitude from -90 to 90 degrees.")
                if name == "latitude"
                else gettext("Enter a longitude from -180 to 180 degrees.")
            )
    if not errors and (latitude is None) != (longitude is None):
        if longitude is None:
            errors["longitude"] = gettext("Enter the longitude too, or leave both empty.")
        else:
            errors["latitude"] = gettext("Enter the latitude too, or leave both empty.")
    return errors


def validate(data: EventInput) -> tuple[datetime, datetime]:
    """Check every rule and return (starts_at, ends_at) in UTC; raise EventValidationError."""
    errors: dict[str, str] = {}
    for name, limit in _LIMITS.items():
        value = getattr(data, name)
        value = unicodedata.normalize("NFC", value.strip())
        if name in _MULTILINE:
            value = normalise_line_breaks(value)  # a browser sends CRLF; one kind is kept
        setattr(data, name, value)
        if len(value) > limit:
            errors[name] = gettext(
                "Use at most %(limit)s characters (now %(now)s).", limit=limit, now=len(value)
            )
        elif has_control_characters(value, allow_newlines=name in _MULTILINE):
            errors[name] = gettext("Remove the invisible control characters.")
        elif name in _ON_CARDS and (message := undrawable_message(value)):
            errors[name] = message  # the share cards would draw it with letters missing
    if not data.title:
        errors["title"] = gettext("Give the event a title.")
    if data.format not in FORMATS:
        errors["format"] = gettext("Choose in person, online or hybrid.")
    if data.join_url:
        parts = urlsplit(data.join_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in data.join_url:
            errors["join_url"] = gettext(
                "Enter a full web address starting with https:// or http://."
            )
    if data.capacity is not None and not 1 <= data.capacity <= CAPACITY_MAX:
        errors["capacity"] = gettext(
            "Enter a number from 1 to %(num)s, or leave it empty.", num=CAPACITY_MAX
        )
    if data.format in (FORMAT_IN_PERSON, FORMAT_HYBRID) and not (data.venue or data.city):
        errors["venue"] = gettext("Say where it happens: a venue or at least a city.")

    errors.update(coordinate_errors(data.latitude, data.longitude))

    starts_at = ends_at = None
    if not is_valid_timezone(data.timezone):
        errors["timezone"] = gettext("Choose a time zone from the list.")
    else:
        for name in ("starts_local", "ends_local"):
            value = getattr(data, name)
            if value is None:
                errors[name] = gettext("Enter a date and time.")
                continue
            if not year_in_range(value):
                errors[name] = gettext(
                    "Enter a date from %(first)s to %(last)s.",
                    first=EARLIEST_YEAR,
                    last=LATEST_YEAR,
                )
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
            errors["ends_local"] = gettext("The end must be after the start.")
    if errors or starts_at is None or ends_at is None:
        raise EventValidationError(errors)
    return starts_at, ends_at


def event_slug(title: str) -> str:
    """A title's slug ('event' when nothing ASCII is left), before making it unique."""
    return slugify(title, SLUG_LENGTH, "event")


def unique_slug(title: str, exclude_id: int | None = None) -> str:
    """A slug no other event uses: the title's slug, then -2, -3, ..."""
    base = event_slug(title)
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
    before = _time_and_place(event)
    for f in fields(EventInput):
        if f.name in ("starts_local", "ends_local"):
            continue
        setattr(event, f.name, getattr(data, f.name))
    if data.format == FORMAT_ONLINE:
        event.venue = event.address = ""
        event.latitude = event.longitude = None
    event.starts_at, event.ends_at = starts_at, ends_at
    return before != _time_and_place(event)


def _time_and_place(event: Event) -> tuple[object, ...]:
    """What a registrant's calendar entry depends on (a change bumps its SEQUENCE): the
    coordinates too, since the entry carries them as GEO for the calendar's map."""
    return (
        event.starts_at,
        event.ends_at,
        event.timezone,
        event.venue,
        event.address,
        event.city,
        event.format,
        event.join_url,
        event.latitude,
        event.longitude,
    )


def schedule_and_place(event: Event) -> dict[str, str]:
    """The time and place as a registrant reads them, for saying what an edit changed."""
    where = [event.format, event.venue or "", event.address or "", event.city or ""]
    return {
        "time": event.when_text,
        "place": place_line(*where),
        "join_url": event.join_url or "",
        # The time and place themselves, so that mail can say them again in a
        # registrant's language (signups.mails.translated_changes).
        "times": f"{event.starts_at.isoformat()} {event.ends_at.isoformat()} {event.timezone}",
        "where": json.dumps(where),
    }


def describe_changes(before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
    """What changed between two schedule_and_place() answers: time, place, online link.

    The online link is only named, never quoted: it may go to people without a place.
    """
    changes = []
    # Labels marked for the catalog; the mail translates them in the registrant's language.
    for key, label in (("time", N_("Time")), ("place", N_("Place"))):
        if before[key] != after[key]:
            change = {"what": label, "before": before[key], "after": after[key]}
            raw = {"time": "times", "place": "where"}[key]
            if before.get(raw) and after.get(raw):
                change.update({f"before_{raw}": before[raw], f"after_{raw}": after[raw]})
            changes.append(change)
    if before["join_url"] != after["join_url"] and after["join_url"]:
        changes.append({"what": N_("Online link"), "before": "", "after": ""})
    return changes


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
    if event.status == STATUS_DRAFT and event.published_at is None:
        raise EventError("A draft that was never published has nobody to tell: edit it instead.")
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


def last_used_timezone(organizer_id: int) -> str | None:
    """The time zone of the event this organizer saved last, or None for a first event."""
    return db.session.scalar(
        select(Event.timezone)
        .where(Event.organizer_id == organizer_id)
        .order_by(Event.updated_at.desc(), Event.id.desc())
        .limit(1)
    )


def events_for(organizer: Organizer, campaign_id: int, now: datetime) -> Select[tuple[Event]]:
    """The organizer's events (all events for admins): those not over yet soonest first,
    as on the dashboard, then the ones that ended, most recent first."""
    query = access.scope(select(Event).where(Event.campaign_id == campaign_id), organizer)
    is_over = case((Event.ends_at <= now, 1), else_=0)
    return query.order_by(
        is_over,
        case((Event.ends_at > now, Event.starts_at)).asc(),
        Event.starts_at.desc(),
        Event.id,
    )
