"""Figures for the dashboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, SQLColumnExpression, case, func, select

from campaign.core.cache import app_cache
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.organizers import access
from campaign.organizers.models import Organizer

T = TypeVar("T")
RowT = TypeVar("RowT", bound=tuple[Any, ...])


def event_counts(organizer: Organizer, campaign_id: int, now: datetime) -> dict[str, int]:
    """How many of the organizer's events are draft, upcoming, past and cancelled."""
    # One labelled expression: PostgreSQL refuses two copies with separate parameters.
    not_ended = (Event.ends_at > now).label("is_future")
    query = (
        select(Event.status, not_ended, func.count())
        .where(Event.campaign_id == campaign_id)
        .group_by(Event.status, not_ended)
    )
    query = access.scope(query, organizer)
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
    return list(db.session.scalars(access.scope(query, organizer)))


def _scope(query: Select[RowT], organizer: Organizer, campaign_id: int) -> Select[RowT]:
    """query limited to the campaign's events that organizer may see."""
    return access.scope(query.where(Event.campaign_id == campaign_id), organizer)


def registrations_per_day(
    organizer: Organizer, campaign_id: int, now: datetime, days: int = 30
) -> list[tuple[date, int]]:
    """New registrations per UTC day for the last `days` days (zeros included).

    Days before today are over, so their counts are computed once per quarter of an
    hour per worker and scope (_kept); each request then counts today's registrations
    only. Without that, every dashboard view would group the whole window.
    """
    today = now.date()
    start = today - timedelta(days=days - 1)
    past = _kept(
        "days",
        (campaign_id, access.scope_key(organizer), start, today),
        int(now.timestamp() // _PAST_DAYS_SECONDS),
        lambda: _counts_per_day(organizer, campaign_id, start, today),
    )
    counts = {**past, **_counts_per_day(organizer, campaign_id, today, today + _ONE_DAY)}
    return [
        (start + timedelta(days=i), counts.get(str(start + timedelta(days=i)), 0))
        for i in range(days)
    ]


_PAST_DAYS_SECONDS = 15 * 60
_ONE_DAY = timedelta(days=1)
_KEPT_MAX = 1000


def _kept(name: str, key: tuple[Any, ...], version: object, compute: Callable[[], T]) -> T:
    """compute() once per key and version in this worker (campaign.core.cache).

    For figures that need many rows but change rarely; the version is whatever cheap
    value changes when they can (a time bucket, a count), so nothing is invalidated.
    """
    value: T = app_cache(f"dashboard_{name}", _KEPT_MAX).get_or_compute(key, version, compute)
    return value


def _counts_per_day(
    organizer: Organizer, campaign_id: int, start: date, end: date
) -> dict[str, int]:
    """{"YYYY-MM-DD": registrations} for the UTC days from start up to (not including) end.

    The range on created_at drives the query (an index), each row's event is checked by
    its primary key: the reverse order would read every registration of every event.
    """
    from campaign.signups.models import Registration

    created: SQLColumnExpression[Any] = Registration.created_at
    if db.session.get_bind().dialect.name == "postgresql":
        created = func.timezone("UTC", created)
    day = func.date(created)
    in_scope = _scope(
        select(Event.id).where(Event.id == Registration.event_id), organizer, campaign_id
    )
    query = (
        select(day, func.count())
        .where(
            Registration.created_at >= datetime.combine(start, time.min, tzinfo=UTC),
            Registration.created_at < datetime.combine(end, time.min, tzinfo=UTC),
            in_scope.exists(),
        )
        .group_by(day)
    )
    return {str(d): n for d, n in db.session.execute(query)}


TOTALS_PER_PAGE = 10


def totals_query(organizer: Organizer, campaign_id: int, now: datetime) -> Select:
    """The events of the per-event table: upcoming or recent, not drafts, soonest first."""
    return _scope(
        select(Event)
        .where(Event.ends_at > now - timedelta(days=30), Event.status != "draft")
        .order_by(Event.starts_at, Event.id),
        organizer,
        campaign_id,
    )


def totals_for(events: Sequence[Event]) -> list[dict]:
    """Each event with its confirmed, waitlisted, checked-in and referred counts (one query)."""
    from campaign.signups.models import Registration

    confirmed = func.count(case((Registration.status == "confirmed", 1)))
    waitlisted = func.count(case((Registration.status == "waitlisted", 1)))
    # Only people who still have a place count as checked in.
    checked_in = func.count(
        case(
            (
                (Registration.status == "confirmed") & Registration.checked_in_at.is_not(None),
                1,
            )
        )
    )
    referred = func.count(Registration.referred_by_id)
    rows = db.session.execute(
        select(Registration.event_id, confirmed, waitlisted, checked_in, referred)
        .where(Registration.event_id.in_([event.id for event in events]))
        .group_by(Registration.event_id)
    )
    figures = {event_id: counts for event_id, *counts in rows}
    return [
        dict(
            zip(
                ("event", "confirmed", "waitlisted", "checked_in", "referred"),
                (event, *figures.get(event.id, (0, 0, 0, 0))),
                strict=True,
            )
        )
        for event in events
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
    """(name, event title, people referred) across the organizer's events.

    The ranking reads every referred row, so it is kept (_kept) until a cheap version
    changes: the newest registration, how many were referred, the campaign's last event
    change. Names and titles are read fresh, so an anonymised referrer shows as such.
    """
    from campaign.signups.models import Registration

    version = db.session.execute(
        select(
            select(func.max(Registration.id)).scalar_subquery(),
            select(func.count()).where(Registration.referred_by_id.is_not(None)).scalar_subquery(),
            select(func.max(Event.updated_at))
            .where(Event.campaign_id == campaign_id)
            .scalar_subquery(),
        )
    ).one()
    ranked = _kept(
        "referrers",
        (campaign_id, access.scope_key(organizer), limit),
        tuple(version),
        lambda: _rank_referrers(organizer, campaign_id, limit),
    )
    from campaign.signups.models import shown_name

    names = {
        registration_id: (shown_name(name, gone), title)
        for registration_id, name, gone, title in db.session.execute(
            select(Registration.id, Registration.name, Registration.anonymised_at, Event.title)
            .join(Event, Registration.event_id == Event.id)
            .where(Registration.id.in_([referrer_id for referrer_id, _ in ranked]))
        )
    }
    return [(*names[rid], n) for rid, n in ranked if rid in names]


def _rank_referrers(organizer: Organizer, campaign_id: int, limit: int) -> list[tuple[int, int]]:
    """(referrer id, people referred), most first, within the organizer's scope.

    A referral code only counts on its own event, so the referred rows carry the event:
    they are grouped from one index and scoped through the small events table.
    """
    from campaign.signups.models import Registration

    referred = (
        select(
            Registration.referred_by_id.label("referrer_id"),
            Registration.event_id.label("event_id"),
            func.count().label("n"),
        )
        .where(Registration.referred_by_id.is_not(None))
        .group_by(Registration.referred_by_id, Registration.event_id)
        .subquery()
    )
    query = _scope(
        select(referred.c.referrer_id, referred.c.n)
        .select_from(referred)
        .join(Event, Event.id == referred.c.event_id)
        .order_by(referred.c.n.desc(), referred.c.referrer_id)
        .limit(limit),
        organizer,
        campaign_id,
    )
    return [(referrer_id, n) for referrer_id, n in db.session.execute(query)]
