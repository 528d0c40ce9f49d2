"""Figures for the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.organizers.models import Organizer


def event_counts(organizer: Organizer, campaign_id: int, now: datetime) -> dict[str, int]:
    """How many of the organizer's events are draft, upcoming, past and cancelled."""
    # One labelled expression: PostgreSQL refuses two copies with separate parameters.
    not_ended = (Event.ends_at > now).label("is_future")
    query = (
        select(Event.status, not_ended, func.count())
        .where(Event.campaign_id == campaign_id)
        .group_by(Event.status, not_ended)
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


def _scope(query, organizer: Organizer, campaign_id: int):  # type: ignore[no-untyped-def]
    query = query.where(Event.campaign_id == campaign_id)
    if not organizer.is_admin:
        query = query.where(Event.organizer_id == organizer.id)
    return query


def registrations_per_day(
    organizer: Organizer, campaign_id: int, today: date, days: int = 30
) -> list[tuple[date, int]]:
    """New registrations per UTC day for the last `days` days (zeros included)."""
    from campaign.signups.models import Registration

    start = today - timedelta(days=days - 1)
    start_at = datetime.combine(start, time.min, tzinfo=UTC)
    created = Registration.created_at
    if db.session.get_bind().dialect.name == "postgresql":
        created = func.timezone("UTC", created)
    day = func.date(created)
    query = _scope(
        select(day, func.count())
        .join(Event, Registration.event_id == Event.id)
        .where(Registration.created_at >= start_at)
        .group_by(day),
        organizer,
        campaign_id,
    )
    counts = {str(d): n for d, n in db.session.execute(query)}
    return [
        (start + timedelta(days=i), counts.get(str(start + timedelta(days=i)), 0))
        for i in range(days)
    ]


def per_event_totals(organizer: Organizer, campaign_id: int, now: datetime) -> list[dict]:
    """Each upcoming or recent event with its confirmed, waitlisted and checked-in counts."""
    from sqlalchemy import case

    from campaign.signups.models import Registration

    confirmed = func.count(case((Registration.status == "confirmed", 1)))
    waitlisted = func.count(case((Registration.status == "waitlisted", 1)))
    checked_in = func.count(case((Registration.checked_in_at.is_not(None), 1)))
    referred = func.count(case((Registration.referred_by_id.is_not(None), 1)))
    query = _scope(
        select(Event, confirmed, waitlisted, checked_in, referred)
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(Event.ends_at > now - timedelta(days=30), Event.status != "draft")
        .group_by(Event.id)
        .order_by(Event.starts_at),
        organizer,
        campaign_id,
    )
    return [
        {
            "event": event,
            "confirmed": c,
            "waitlisted": w,
            "checked_in": ci,
            "referred": r,
        }
        for event, c, w, ci, r in db.session.execute(query)
    ]


def failed_mail_count(organizer: Organizer, campaign_id: int) -> int:
    from campaign.mail.models import STATUS_FAILED, OutboxMessage

    query = _scope(
        select(func.count())
        .select_from(OutboxMessage)
        .join(Event, OutboxMessage.event_id == Event.id)
        .where(OutboxMessage.status == STATUS_FAILED),
        organizer,
        campaign_id,
    )
    return db.session.scalar(query) or 0


def top_referrers(organizer: Organizer, campaign_id: int, limit: int = 5) -> list[tuple]:
    """(name, event title, people referred) across the organizer's events."""
    from sqlalchemy.orm import aliased

    from campaign.signups.models import Registration

    referred = aliased(Registration)
    query = _scope(
        select(Registration.name, Event.title, func.count(referred.id))
        .join(referred, referred.referred_by_id == Registration.id)
        .join(Event, Registration.event_id == Event.id)
        .group_by(Registration.id, Registration.name, Event.title)
        .order_by(func.count(referred.id).desc(), Registration.id)
        .limit(limit),
        organizer,
        campaign_id,
    )
    return [tuple(row) for row in db.session.execute(query)]
