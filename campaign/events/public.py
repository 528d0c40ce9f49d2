"""What the public sees of events, each read in as few queries as the busiest day needs:
the listing with its filters, the calendar feed, one event by slug, the home page's totals,
and the event page (the event, the site's campaign and the seat counts in one query).

The listing and the event page are served from memory while nothing they show has
changed (campaign.core.pagecache): listing_state and public_page_state read that state
with one Core query each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import (
    Connection,
    Select,
    Text,
    bindparam,
    case,
    cast,
    false,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import CURRENT_CAMPAIGN_ID
from campaign.core.pagecache import CachedRoute, PageKey, columns_state, state_columns
from campaign.core.urls import page_number
from campaign.events.listing import DateFilter, clean_query
from campaign.events.models import (
    FORMAT_HYBRID,
    FORMAT_ONLINE,
    STATUS_CANCELLED,
    STATUS_DRAFT,
    STATUS_PUBLISHED,
    Event,
)
from campaign.extensions import db
from campaign.organizers.models import Organizer
from campaign.signups import guard
from campaign.signups.models import STATUS_CANCELLED as REGISTRATION_CANCELLED
from campaign.signups.models import STATUS_CONFIRMED, STATUS_WAITLISTED, Registration

# --- the listing, the feed, one event ------------------------------------------------------


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


def _seat_version(campaign_id: Any) -> tuple[Any, ...]:
    """Scalar subqueries that change whenever a listed limited event's seats can change:
    every registration adds to the first, a promotion to the second, a cancellation to the
    third (rows are never deleted while their event is listed)."""
    listed = aliased(Event)
    base = (
        select(func.count())
        .select_from(Registration)
        .join(listed, listed.id == Registration.event_id)
        .where(
            listed.campaign_id == campaign_id,
            listed.status == STATUS_PUBLISHED,
            listed.ends_at > bindparam("now"),
            listed.capacity.is_not(None),
        )
    )
    return tuple(
        base.where(*condition).correlate(None).scalar_subquery()
        for condition in (
            (),
            (Registration.status == STATUS_CONFIRMED,),
            (Registration.status == REGISTRATION_CANCELLED,),
        )
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
    *_seat_version(bindparam("campaign_id")),
).where(Event.campaign_id == bindparam("campaign_id"))


_CAMPAIGN_STATE = state_columns(Campaign)
_LISTING_STATE = (
    select(
        *_CAMPAIGN_STATE,
        *_LISTING_VERSION.selected_columns[:3],
        *_seat_version(CURRENT_CAMPAIGN_ID),
    )
    .select_from(Campaign)
    .outerjoin(Event, Event.campaign_id == Campaign.id)
    .where(Campaign.id == CURRENT_CAMPAIGN_ID)
    .group_by(Campaign.id)
)


def _row_text(entity: Any) -> Any:
    """An entity's whole row as text (PostgreSQL renders a row value as (col, col, ...))."""
    selectable: Any = inspect(entity).selectable
    return cast(selectable.table_valued(), Text)


# On PostgreSQL the campaign row comes as the server's digest of it (see the event page's).
_LISTING_DIGEST = (
    select(
        Campaign.id,
        func.max(func.md5(_row_text(Campaign))),
        *_LISTING_VERSION.selected_columns[:3],
        *_seat_version(CURRENT_CAMPAIGN_ID),
    )
    .select_from(Campaign)
    .outerjoin(Event, Event.campaign_id == Campaign.id)
    .where(Campaign.id == CURRENT_CAMPAIGN_ID)
    .group_by(Campaign.id)
)


@dataclass(frozen=True)
class ListingState:
    """The public listing's state as plain values: the current campaign's row_state (on
    PostgreSQL a digest of the row) and its listing_version, read with one Core query (a
    cached listing's whole database cost)."""

    campaign_id: int
    key: tuple[Any, ...]


def listing_state(now: datetime, connection: Connection | None = None) -> ListingState | None:
    """The state of the current campaign's listing, or None when there is no campaign."""
    connection = connection or db.session.connection()
    if connection.dialect.name == "postgresql":
        found = connection.execute(_LISTING_DIGEST, {"now": now}).first()
        if found is None:
            return None
        campaign_id, digest, count, updated, *figures = found
        version = (int(count), updated, *(int(n) for n in figures))
        return ListingState(campaign_id, (digest, version))
    row = connection.execute(_LISTING_STATE, {"now": now}).first()
    if row is None:
        return None
    width = len(_CAMPAIGN_STATE)
    campaign = columns_state(Campaign, row[:width])
    assert campaign is not None
    version = (int(row[width]), row[width + 1], *(int(n) for n in row[width + 2 :]))
    return ListingState(campaign[1 + _CAMPAIGN_KEYS.index("id")], (campaign, version))


_CAMPAIGN_KEYS = [column.key for column in _CAMPAIGN_STATE]


def listing_version(campaign_id: int, now: datetime) -> tuple[Any, ...]:
    """A value that changes whenever the campaign's public listing can change.

    Every change to an event row sets its updated_at, a new or deleted row changes the
    count, and an event leaving the listing because it ended changes the last figure
    (the number still listable at `now`); the last three follow the seats of listed events
    with a limit (the badges). One aggregate over the campaign's events.
    """
    row = db.session.execute(_LISTING_VERSION, {"campaign_id": campaign_id, "now": now}).one()
    return (int(row[0]), row[1], *(int(n) for n in row[2:]))


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


# --- the event page ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPage:
    """What the public event page shows, read in one query."""

    event: Event
    campaign: Campaign | None  # the current campaign (the site's layout), not the event's
    confirmed: int
    waitlisted: int
    host_name: str  # the organizer's public name ("Hosted by")


_CurrentCampaign = aliased(Campaign, name="current_campaign")
_SEAT_COUNTS = tuple(
    select(func.count())
    .where(Registration.event_id == Event.id, Registration.status == status)
    .scalar_subquery()
    for status in (STATUS_CONFIRMED, STATUS_WAITLISTED)
)
_PUBLIC_PAGE = (
    select(Event, _CurrentCampaign, *_SEAT_COUNTS, Organizer.name)
    .join(Organizer, Organizer.id == Event.organizer_id)
    .outerjoin(_CurrentCampaign, _CurrentCampaign.id == CURRENT_CAMPAIGN_ID)
    .where(Event.slug == bindparam("slug"))
)


_EventCampaign = aliased(Campaign, name="event_campaign")
_STATE_PARTS = (Event, _EventCampaign, _CurrentCampaign)
_STATE_WIDTHS = [len(state_columns(entity)) for entity in _STATE_PARTS]
_EVENT_KEYS = [column.key for column in state_columns(Event)]
_PUBLIC_PAGE_STATE = (
    select(
        *[column for entity in _STATE_PARTS for column in state_columns(entity)],
        *_SEAT_COUNTS,
        Organizer.name,
    )
    .select_from(Event)
    .join(_EventCampaign, _EventCampaign.id == Event.campaign_id)
    .join(Organizer, Organizer.id == Event.organizer_id)
    .outerjoin(_CurrentCampaign, _CurrentCampaign.id == CURRENT_CAMPAIGN_ID)
    .where(Event.slug == bindparam("slug"))
)


# On PostgreSQL the server digests the three rows (each row's text form: every column)
# and sends one string instead of every column: the state costs a cached page a small
# fraction of the client time (the profile showed the column reads as its largest cost).
_ROW_TEXTS = [_row_text(entity) for entity in _STATE_PARTS]
_PUBLIC_PAGE_DIGEST = (
    select(
        Event.id,
        Event.status,
        Event.starts_at,
        Event.ends_at,
        func.md5(func.concat(_ROW_TEXTS[0], "|", _ROW_TEXTS[1], "|", _ROW_TEXTS[2])),
        *_SEAT_COUNTS,
        Organizer.name,
    )
    .select_from(Event)
    .join(_EventCampaign, _EventCampaign.id == Event.campaign_id)
    .join(Organizer, Organizer.id == Event.organizer_id)
    .outerjoin(_CurrentCampaign, _CurrentCampaign.id == CURRENT_CAMPAIGN_ID)
    .where(Event.slug == bindparam("slug"))
)


@dataclass(frozen=True)
class PublicPageState:
    """Everything the public event page shows, as plain values (no ORM objects): enough
    to serve the page from memory; the page itself is rendered from public_page()."""

    event_id: int
    starts_at: datetime
    ends_at: datetime
    # Every column of the event, its campaign and the current campaign (as row_state; on
    # PostgreSQL a digest of them), the seat counts and the host's public name.
    parts: tuple[Any, ...]


def public_page_state(slug: str, connection: Connection | None = None) -> PublicPageState | None:
    """public_page's data as a state key, read with one Core query (a cached page's whole
    database cost); None where public_page gives None."""
    if not plausible_slug(slug):
        return None
    connection = connection or db.session.connection()
    if connection.dialect.name == "postgresql":
        found = connection.execute(_PUBLIC_PAGE_DIGEST, {"slug": slug}).first()
        if found is None or found[1] == STATUS_DRAFT:
            return None
        event_id, _, starts_at, ends_at, digest, confirmed, waitlisted, host = found
        return PublicPageState(event_id, starts_at, ends_at, (digest, confirmed, waitlisted, host))
    row = connection.execute(_PUBLIC_PAGE_STATE, {"slug": slug}).first()
    if row is None:
        return None
    parts: list[Any] = []
    start = 0
    for entity, width in zip(_STATE_PARTS, _STATE_WIDTHS, strict=True):
        parts.append(columns_state(entity, row[start : start + width]))
        start += width
    event = dict(zip(_EVENT_KEYS, row[: _STATE_WIDTHS[0]], strict=True))
    if event["status"] == STATUS_DRAFT:
        return None
    confirmed, waitlisted = int(row[start]), int(row[start + 1])
    return PublicPageState(
        event["id"],
        event["starts_at"],
        event["ends_at"],
        (*parts, confirmed, waitlisted, row[start + 2]),
    )


def public_page(slug: str) -> PublicPage | None:
    """The event (never a draft, as public_event), the current campaign
    and the seat counts, in one query: the busiest page of the busiest day."""
    if not plausible_slug(slug):
        return None
    row = db.session.execute(_PUBLIC_PAGE, {"slug": slug}).first()
    if row is None or row[0].status == STATUS_DRAFT:
        return None
    return PublicPage(row[0], row[1], int(row[2]), int(row[3]), row[4])


# --- the keys the page cache stores these pages under ---------------------------------------
# Shared by the views (which render and store) and campaign.core.pagecache.CachedPages
# (which answers hits before the request cycle), so both name the same copy.


def listing_filters(args: MultiDict[str, str], dates: DateFilter) -> ListingFilters:
    """The listing's filters from its query arguments and the dates they asked for."""
    return ListingFilters(
        city=args.get("city", "")[:100],
        region=args.get("region", "")[:100],
        online=args.get("online") == "1",
        query=clean_query(args.get("q", "")),
        starts_from=dates.starts_from,
        starts_before=dates.starts_before,
    )


def asks_for_dates(args: MultiDict[str, str]) -> bool:
    """Whether the listing's arguments choose dates (which need the campaign's day and time
    zone to read: the view answers those, never the layer in front of Flask)."""
    return any(args.get(name) for name in ("when", "from", "to"))


def listing_slot(
    filters: ListingFilters, dates: DateFilter, page: int, per_page: int
) -> tuple[Any, ...]:
    """Which listing page is asked for: filters, dates as typed, page number, page size."""
    return (filters, dates.when, dates.date_from, dates.date_to, page, per_page)


def event_page_ref(args: MultiDict[str, str]) -> str:
    """The share code an event page link carries (?ref=)."""
    return (args.get("ref") or "")[:16]


def event_page_version(state: PublicPageState, now: datetime) -> tuple[Any, ...]:
    """Everything the event page shows, the time only as before, during or after it."""
    return (*state.parts, now < state.starts_at, now < state.ends_at)


def _listing_key(
    params: dict[str, str], args: MultiDict[str, str], connection: Connection, now: datetime
) -> PageKey | None:
    if asks_for_dates(args):
        return None
    state = listing_state(now, connection)
    if state is None:
        return None
    dates = DateFilter()
    filters = listing_filters(args, dates)
    slot = listing_slot(filters, dates, page_number(args), current_app.config["EVENTS_PER_PAGE"])
    return PageKey(slot, state.key)


def _event_page_key(
    params: dict[str, str], args: MultiDict[str, str], connection: Connection, now: datetime
) -> PageKey | None:
    slug = params["slug"]
    state = public_page_state(slug, connection)
    if state is None:
        return None
    return PageKey(
        (state.event_id, event_page_ref(args)),
        event_page_version(state, now),
        {"started": lambda: guard.form_token(guard.form_keys(), slug)},
    )


# The public pages answered from memory before the request cycle (when stored).
CACHED_ROUTES = (
    CachedRoute(re.compile(r"/events"), "events.index", _listing_key),
    CachedRoute(
        re.compile(r"/events/(?P<slug>[A-Za-z0-9_-]{1,160})"), "events.detail", _event_page_key
    ),
)
