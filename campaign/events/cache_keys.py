"""The state and the keys the page cache stores the public listing and event page under.

Shared by the views (which render and store) and campaign.core.pagecache.CachedPages
(which answers hits before the request cycle), so both name the same copy. The listing is
served from memory while nothing it shows has changed: listing_state reads that state with
one Core query (the event page's is campaign.events.event_page.public_page_state).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Connection, bindparam, case, func, select
from werkzeug.datastructures import MultiDict

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import CURRENT_CAMPAIGN_ID
from campaign.core.pagecache import CachedRoute, PageKey, Reads
from campaign.core.pagestate import columns_state, row_text, state_columns
from campaign.core.urls import page_number
from campaign.events import seat_texts
from campaign.events.event_page import PublicPageState, public_page_state
from campaign.events.listing import DateFilter, clean_query
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.events.public import ListingFilters
from campaign.events.seat_texts import SeatFigures
from campaign.extensions import db
from campaign.signups import guard

# --- the listing's state ----------------------------------------------------------------------


def _seats_version() -> Any:
    """The sum of seats_version over the listed events with a limit: every registration,
    promotion and cancellation bumps its event's counter in its own transaction
    (campaign.signups.services.seats_changed), so the sum changes whenever a badge can.
    One column of each listed event, never a count of their registrations."""
    listed_with_limit = (
        (Event.status == STATUS_PUBLISHED)
        & (Event.ends_at > bindparam("now"))
        & Event.capacity.is_not(None)
    )
    return func.coalesce(func.sum(case((listed_with_limit, Event.seats_version), else_=0)), 0)


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
    _seats_version(),
).where(Event.campaign_id == bindparam("campaign_id"))


_CAMPAIGN_STATE = state_columns(Campaign)
_LISTING_STATE = (
    select(
        *_CAMPAIGN_STATE,
        *_LISTING_VERSION.selected_columns,
    )
    .select_from(Campaign)
    .outerjoin(Event, Event.campaign_id == Campaign.id)
    .where(Campaign.id == CURRENT_CAMPAIGN_ID)
    .group_by(Campaign.id)
)


# On PostgreSQL the campaign row comes as the server's digest of it (see the event page's).
_LISTING_DIGEST = (
    select(
        Campaign.id,
        func.max(func.md5(row_text(Campaign))),
        *_LISTING_VERSION.selected_columns,
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
    (the number still listable at `now`); the last follows the seats of listed events with
    a limit (the badges): the sum of their seats_version. One aggregate over the
    campaign's events.
    """
    row = db.session.execute(_LISTING_VERSION, {"campaign_id": campaign_id, "now": now}).one()
    return (int(row[0]), row[1], *(int(n) for n in row[2:]))


# --- the keys --------------------------------------------------------------------------------


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
    """Everything the event page shows (its parts, digested), the seats only as much as
    the page around their texts says (their numbers are holes: seat_texts), the time only
    as before, during or after it."""
    return (state.digest, state.seats.shape, now < state.starts_at, now < state.ends_at)


def event_page_holes(
    slug: str, seats: Callable[[], SeatFigures], locale: str | None = None
) -> dict[str, Callable[[], str]]:
    """The event page's holes: a fresh form token and the seat texts for the figures
    seats() gives when they are filled in (those the page was rendered with)."""
    return {
        "started": lambda: guard.form_token(guard.form_keys(), slug),
        **seat_texts.hole_values(seats, locale),
    }


def _listing_key(
    params: dict[str, str], args: MultiDict[str, str], reads: Reads, now: datetime, locale: str
) -> PageKey | None:
    if asks_for_dates(args):
        return None
    state = listing_state(now, reads.connection())
    if state is None:
        return None
    dates = DateFilter()
    filters = listing_filters(args, dates)
    slot = listing_slot(filters, dates, page_number(args), current_app.config["EVENTS_PER_PAGE"])
    return PageKey(slot, state.key)


def remembered_page_state(reads: Reads, slug: str) -> PublicPageState | None:
    """The event page's state as CachedPages reads it: it depends on the database alone
    (the time is applied by the caller), so it is remembered while nothing is committed,
    under one key for every page stored by it (the event page, the page after registering)."""
    return reads.remembered(
        ("event page", slug), lambda connection: public_page_state(slug, connection)
    )


def _event_page_key(
    params: dict[str, str], args: MultiDict[str, str], reads: Reads, now: datetime, locale: str
) -> PageKey | None:
    slug = params["slug"]
    state = remembered_page_state(reads, slug)
    if state is None:
        return None
    return PageKey(
        (state.event_id, event_page_ref(args)),
        event_page_version(state, now),
        event_page_holes(slug, lambda: state.seats, locale),
    )


# The public pages answered from memory before the request cycle (when stored).
CACHED_ROUTES = (
    CachedRoute(re.compile(r"/events"), "events.index", _listing_key),
    CachedRoute(
        re.compile(r"/events/(?P<slug>[A-Za-z0-9_-]{1,160})"), "events.detail", _event_page_key
    ),
)
