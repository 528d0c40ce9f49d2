"""The public event page: the event, the site's campaign, the seat counts and the host's
name in one query (the busiest page of the busiest day), and the same as plain values, the
state the page cache serves it from memory by (campaign.core.pagecache).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select
from sqlalchemy.orm import aliased

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import CURRENT_CAMPAIGN_ID
from campaign.core.pagestate import columns_state, row_text, state_columns, state_digest
from campaign.events.models import STATUS_DRAFT, Event
from campaign.events.public import plausible_slug
from campaign.events.seat_texts import SeatFigures
from campaign.extensions import db
from campaign.organizers.models import Organizer
from campaign.signups.models import STATUS_CONFIRMED, STATUS_WAITLISTED, Registration


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
# The page shows the seat counts (read beside the rows), never the counter of their
# changes: left out, a registration changes only the figures, which the stored page
# takes in its holes (campaign.events.seat_texts), not the page.
_NOT_SHOWN: dict[Any, tuple[str, ...]] = {Event: ("seats_version",)}
_STATE_COLUMNS = [state_columns(entity, _NOT_SHOWN.get(entity, ())) for entity in _STATE_PARTS]
_STATE_WIDTHS = [len(columns) for columns in _STATE_COLUMNS]
_EVENT_KEYS = [column.key for column in _STATE_COLUMNS[0]]


def _of_the_page(columns: Select[Any]) -> Select[Any]:
    """`columns` read from the event with the slug, its own campaign, its organizer and
    the current campaign (the rows the page's state is made of)."""
    return (
        columns.select_from(Event)
        .join(_EventCampaign, _EventCampaign.id == Event.campaign_id)
        .join(Organizer, Organizer.id == Event.organizer_id)
        .outerjoin(_CurrentCampaign, _CurrentCampaign.id == CURRENT_CAMPAIGN_ID)
        .where(Event.slug == bindparam("slug"))
    )


_PUBLIC_PAGE_STATE = _of_the_page(
    select(
        *[column for columns in _STATE_COLUMNS for column in columns],
        *_SEAT_COUNTS,
        Organizer.name,
    )
)


# On PostgreSQL the server digests the three rows (each row's text form: every column)
# and sends one string instead of every column: the state costs a cached page a small
# fraction of the client time (the profile showed the column reads as its largest cost).
_ROW_TEXTS = [row_text(entity, _NOT_SHOWN.get(entity, ())) for entity in _STATE_PARTS]
_PUBLIC_PAGE_DIGEST = _of_the_page(
    select(
        Event.id,
        Event.status,
        Event.starts_at,
        Event.ends_at,
        Event.capacity,
        func.md5(func.concat(_ROW_TEXTS[0], "|", _ROW_TEXTS[1], "|", _ROW_TEXTS[2])),
        *_SEAT_COUNTS,
        Organizer.name,
    )
)


@dataclass(frozen=True)
class PublicPageState:
    """Everything the public event page shows, as plain values (no ORM objects): enough
    to serve the page from memory; the page itself is rendered from public_page()."""

    event_id: int
    starts_at: datetime
    ends_at: datetime
    # Every column the page shows of the event, its campaign and the current campaign (as
    # row_state; on PostgreSQL a digest of them) and the host's public name.
    parts: tuple[Any, ...]
    # The seat counts and the limit: the page's seat texts (holes of the stored page).
    seats: SeatFigures

    @cached_property
    def digest(self) -> str:
        """The parts digested once: a state the page cache remembers (CachedPages) is
        keyed on every hit, and digesting every column each time was a fifth of a hit."""
        return state_digest(self.parts)


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
        event_id, _, starts_at, ends_at, capacity, digest, confirmed, waitlisted, host = found
        seats = SeatFigures(int(confirmed), int(waitlisted), capacity)
        return PublicPageState(event_id, starts_at, ends_at, (digest, host), seats)
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
    seats = SeatFigures(int(row[start]), int(row[start + 1]), event["capacity"])
    return PublicPageState(
        event["id"], event["starts_at"], event["ends_at"], (*parts, row[start + 2]), seats
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
