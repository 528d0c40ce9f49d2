"""Figures for the dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.organizers.models import Organizer


def event_counts(organizer: Organizer, campaign_id: int, now: datetime) -> dict[str, int]:
    """How many of the organizer's events are draft, upcoming, past and cancelled."""
    query = (
        select(Event.status, Event.ends_at > now, func.count())
        .where(Event.campaign_id == campaign_id)
        .group_by(Event.status, Event.ends_at > now)
    )
    if not organizer.is_admin:
        query = query.where(Event.organizer_id == organizer.id)
    counts = {"draft": 0, "upcoming": 0, "past": 0, "cancelled": 0}
    for status, is_future, n in db.session.execute(query):
        if status == STATUS_PUBLISHED:
            counts["upcoming" if is_future else "past"] += n
        else:
            counts[status] = counts.get(status, 0) + n
    return counts


def next_events(organizer: Organizer, campaign_id: int, now: datetime, limit: int = 8) -> list:
    """The organizer's events that have not ended yet, soonest first."""
    query = (
        select(Event)
        .where(Event.campaign_id == campaign_id, Event.ends_at > now)
        .order_by(Event.starts_at)
        .limit(limit)
    )
    if not organizer.is_admin:
        query = query.where(Event.organizer_id == organizer.id)
    return list(db.session.scalars(query))
