"""A registration's seat once it exists: the event's seat lock and counts, the waitlist
moving up, cancelling, check-in, and what an edited or cancelled event does to its
registrations. Each takes plain values and flushes; the caller commits once.

Every change to an event's seats first takes that event's lock (lock_event): SELECT ...
FOR UPDATE on PostgreSQL, and on SQLite the whole write transaction starts with BEGIN
IMMEDIATE (one writer at a time).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from campaign.core.database import write_transaction
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.mail import services as mail
from campaign.signups import mails
from campaign.signups.models import (
    ACTIVE_STATUSES,
    STATUS_CANCELLED,
    STATUS_CONFIRMED,
    STATUS_WAITLISTED,
    Registration,
)
from campaign.signups.services import SignupError, seats_changed

log = logging.getLogger(__name__)


def lock_event(event_id: int) -> Event | None:
    """Load the event holding its seat lock until the transaction ends."""
    write_transaction()
    return db.session.scalar(select(Event).where(Event.id == event_id).with_for_update())


def seat_counts(event_id: int) -> dict[str, int]:
    """How many registrations of each status an event has."""
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    )
    counts = {STATUS_CONFIRMED: 0, STATUS_WAITLISTED: 0, STATUS_CANCELLED: 0}
    counts.update({status: n for status, n in rows})
    return counts


def seats_left(event: Event, confirmed: int) -> int | None:
    """Free seats, or None when the event has no limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - confirmed, 0)


def is_open_for_signup(event: Event, now: datetime) -> bool:
    return event.status == STATUS_PUBLISHED and event.starts_at > now


def promote_waitlisted(event: Event, now: datetime) -> list[Registration]:
    """Fill free seats from the front of the waitlist (event already locked)."""
    counts = seat_counts(event.id)
    free = seats_left(event, counts[STATUS_CONFIRMED])
    query = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == STATUS_WAITLISTED)
        .order_by(Registration.id)
    )
    if free is not None:
        if free <= 0:
            return []
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    for registration in promoted:
        registration.status = STATUS_CONFIRMED
        registration.confirmed_at = now
        mails.queue_promoted_mail(registration, now)
    db.session.flush()
    if promoted:
        seats_changed(event.id)
        log.info("signup: promoted %d from the waitlist of event %s", len(promoted), event.id)
    return promoted


def cancel(registration: Registration, now: datetime, notify: bool = True) -> None:
    """Cancel a registration; a freed seat goes to the first person on the waitlist."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status == STATUS_CANCELLED:
        return
    was_confirmed = registration.is_confirmed
    registration.status = STATUS_CANCELLED
    registration.cancelled_at = now
    mail.cancel_queued_for_registration(registration.id)
    if notify:
        mails.queue_cancelled_mail(registration, now)
    db.session.flush()
    seats_changed(registration.event_id)
    if was_confirmed and event is not None and is_open_for_signup(event, now):
        promote_waitlisted(event, now)


def promote_one(registration: Registration, now: datetime) -> None:
    """An organizer moves one waitlisted person up, if a seat is free."""
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status != STATUS_WAITLISTED or event is None:
        raise SignupError("Only a waitlisted person can be promoted.")
    counts = seat_counts(event.id)
    free = seats_left(event, counts[STATUS_CONFIRMED])
    if free is not None and free <= 0:
        raise SignupError("The event is full. Raise the capacity first, then promote.")
    registration.status = STATUS_CONFIRMED
    registration.confirmed_at = now
    mails.queue_promoted_mail(registration, now)
    db.session.flush()
    seats_changed(event.id)


def set_checked_in(registration: Registration, checked_in: bool, now: datetime) -> None:
    """Mark a confirmed attendee as arrived (or undo it)."""
    write_transaction()
    db.session.refresh(registration)
    if registration.status != STATUS_CONFIRMED:
        raise SignupError("Only confirmed attendees can be checked in.")
    registration.checked_in_at = now if checked_in else None
    db.session.flush()


def active_registrations(event_id: int) -> list[Registration]:
    """The event's confirmed and waitlisted people who can still be reached."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status.in_(ACTIVE_STATUSES),
                Registration.anonymised_at.is_(None),
            )
            .order_by(Registration.id)
        )
    )


def on_event_updated(
    event: Event,
    time_or_place_changed: bool,
    now: datetime,
    changes: list[dict[str, str]] | None = None,
) -> int:
    """After an edit (event locked): fill new seats, tell registrants what changed.

    changes: what changed from what to what (events.services.describe_changes), said in
    the notice; an empty list (only the map position moved, which calendars pick up from
    the entry itself) sends none. Returns how many change notices were queued.
    """
    if is_open_for_signup(event, now):
        promote_waitlisted(event, now)
    if not time_or_place_changed or event.status != STATUS_PUBLISHED or changes == []:
        return 0
    registrations = active_registrations(event.id)
    for registration in registrations:
        mails.queue_event_changed(registration, now, changes)
    if registrations:
        log.info("event %s changed: queued %d notices", event.id, len(registrations))
    return len(registrations)


def on_event_cancelled(event: Event, now: datetime) -> int:
    """After cancelling (event locked): withdraw queued mail, tell every active registrant."""
    from campaign.mail.models import OutboxMessage

    mail.withdraw_queued("withdrawn: event cancelled", OutboxMessage.event_id == event.id)
    registrations = active_registrations(event.id)
    for registration in registrations:
        mails.queue_event_cancelled(registration, now)
    log.info("event %s cancelled: queued %d notices", event.id, len(registrations))
    return len(registrations)
