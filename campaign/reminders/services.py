"""Turning due reminders and thank-you notes into outbox rows.

Nothing is scheduled per registration: each tick computes what is due from the events'
start times and offsets, and the outbox's unique dedupe key makes every reminder go
out at most once per (registration, offset), whichever process gets there first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.reminders.models import Broadcast
from campaign.signups import seats as signup_seats
from campaign.signups.models import STATUS_CONFIRMED, Registration

log = logging.getLogger(__name__)

OFFSET_MIN = 5
OFFSET_MAX = 60 * 24 * 60  # 60 days


@dataclass(frozen=True)
class ReminderPolicy:
    """How late a reminder may still go out after downtime."""

    grace_short: timedelta = timedelta(hours=1)  # offsets under a day
    grace_long: timedelta = timedelta(hours=6)  # offsets of a day or more
    thank_you_delay: timedelta = timedelta(hours=2)
    thank_you_grace: timedelta = timedelta(days=2)

    def grace(self, offset_minutes: int) -> timedelta:
        return self.grace_short if offset_minutes < 24 * 60 else self.grace_long


@dataclass
class TickReport:
    events: int = 0
    reminders: int = 0
    thank_yous: int = 0
    skipped_late: int = 0
    details: list[str] = field(default_factory=list)


def reminder_key(registration_id: int, offset_minutes: int) -> str:
    return f"reminder:{registration_id}:{offset_minutes}"


def thank_you_key(registration_id: int) -> str:
    return f"thankyou:{registration_id}"


def describe_offset(minutes: int) -> str:
    """'7 days', '1 day', '2 hours', '30 minutes'."""
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            n = minutes // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{minutes} minutes"


def parse_offsets(text: str) -> list[int]:
    """'7d, 1d, 2h, 30m' -> minutes, largest first. Raises ValueError with a message."""
    units = {"d": 1440, "h": 60, "m": 1}
    offsets: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip().lower().replace(" ", "")
        if not part:
            continue
        number, unit = part[:-1], part[-1:]
        if unit not in units or not number.isdigit():
            raise ValueError(f"'{part}' is not like 7d, 24h or 30m.")
        minutes = int(number) * units[unit]
        if not OFFSET_MIN <= minutes <= OFFSET_MAX:
            raise ValueError(f"'{part}': use between {OFFSET_MIN} minutes and 60 days.")
        offsets.add(minutes)
    if len(offsets) > 6:
        raise ValueError("Use at most 6 reminders.")
    return sorted(offsets, reverse=True)


def format_offsets(offsets: list[int]) -> str:
    out = []
    for minutes in offsets:
        if minutes % 1440 == 0:
            out.append(f"{minutes // 1440}d")
        elif minutes % 60 == 0:
            out.append(f"{minutes // 60}h")
        else:
            out.append(f"{minutes}m")
    return ", ".join(out)


def _candidate_events(now: datetime, horizon: timedelta) -> list[int]:
    """Published events starting within the largest offset (plus grace) from now."""
    return list(
        db.session.scalars(
            select(Event.id).where(
                Event.status == STATUS_PUBLISHED,
                Event.is_reminders_enabled.is_(True),
                Event.starts_at > now,
                Event.starts_at <= now + horizon,
            )
        )
    )


def _due_registrations(event_id: int, offset: int, due_at: datetime) -> list[Registration]:
    """Confirmed, subscribed registrations made before due_at without this reminder yet."""
    key = "reminder:" + Registration.id.cast(db.String) + f":{offset}"
    already = exists().where(OutboxMessage.dedupe_key == key)
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status == STATUS_CONFIRMED,
                Registration.is_unsubscribed.is_(False),
                Registration.created_at < due_at,
                ~already,
            )
            .order_by(Registration.id)
        )
    )


def enqueue_due_reminders(now: datetime, policy: ReminderPolicy = ReminderPolicy()) -> TickReport:
    """Queue every reminder that is due and not too late. Commits once per event."""
    from campaign.reminders import mails

    report = TickReport()
    horizon = timedelta(minutes=OFFSET_MAX) + policy.grace_long
    for event_id in _candidate_events(now, horizon):
        event = signup_seats.lock_event(event_id)  # one scheduler per event at a time
        if event is None or event.status != STATUS_PUBLISHED or not event.is_reminders_enabled:
            db.session.rollback()
            continue
        queued = 0
        for offset in event.reminder_offsets or []:
            due_at = event.starts_at - timedelta(minutes=int(offset))
            if due_at > now or event.starts_at <= now:
                continue
            grace = policy.grace(int(offset))
            registrations = _due_registrations(event.id, int(offset), due_at)
            if now - due_at > grace:
                reason = (
                    f"skipped: due {due_at:%Y-%m-%d %H:%M} UTC and more than "
                    f"{describe_offset(int(grace.total_seconds() // 60))} late when found"
                )
                report.skipped_late += mails.queue_reminders(
                    registrations, int(offset), now, skipped=reason
                )
                continue
            queued += mails.queue_reminders(registrations, int(offset), now)
        db.session.commit()
        if queued:
            report.events += 1
            report.reminders += queued
    if report.reminders or report.skipped_late:
        log.info(
            "reminders: queued %d for %d events, skipped %d too late",
            report.reminders,
            report.events,
            report.skipped_late,
        )
    return report


def enqueue_thank_yous(now: datetime, policy: ReminderPolicy = ReminderPolicy()) -> int:
    """Queue the post-event thank-you for events that ended `thank_you_delay` ago."""
    from campaign.reminders import mails

    event_ids = list(
        db.session.scalars(
            select(Event.id).where(
                Event.status == STATUS_PUBLISHED,
                Event.is_thank_you_enabled.is_(True),
                Event.ends_at <= now - policy.thank_you_delay,
                Event.ends_at > now - policy.thank_you_delay - policy.thank_you_grace,
            )
        )
    )
    total = 0
    for event_id in event_ids:
        event = signup_seats.lock_event(event_id)
        if event is None:
            db.session.rollback()
            continue
        key = "thankyou:" + Registration.id.cast(db.String)
        registrations = db.session.scalars(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.status == STATUS_CONFIRMED,
                Registration.is_unsubscribed.is_(False),
                ~exists().where(OutboxMessage.dedupe_key == key),
            )
        )
        for registration in registrations:
            mails.queue_thank_you(registration, now)
            total += 1
        db.session.commit()
    if total:
        log.info("thank-you: queued %d", total)
    return total


@dataclass(frozen=True)
class PlannedReminder:
    offset: int
    label: str
    due_at: datetime
    # "pending": not due yet; "queued": due, being queued now; "sent": queued or sent
    # (queued says how many still wait); "skipped": found too late after downtime;
    # "not_scheduled": the event was created after this reminder's time; "nobody": nobody
    # had a place by then; "off": reminders are off or the event is not published.
    state: str
    recipients: int
    queued: int = 0


def schedule_for(
    event: Event, now: datetime, policy: ReminderPolicy = ReminderPolicy()
) -> list[PlannedReminder]:
    """What will go out when for one event, and what already did."""
    from sqlalchemy import func

    from campaign.mail.models import STATUS_CANCELLED as MAIL_CANCELLED
    from campaign.mail.models import STATUS_QUEUED as MAIL_QUEUED

    def eligible(before: datetime | None) -> int:
        query = (
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == STATUS_CONFIRMED,
                Registration.is_unsubscribed.is_(False),
            )
        )
        if before is not None:
            query = query.where(Registration.created_at < before)
        return db.session.scalar(query) or 0

    planned = []
    for offset in event.reminder_offsets or []:
        due_at = event.starts_at - timedelta(minutes=int(offset))
        by_status: dict[str, int] = {
            status: count
            for status, count in db.session.execute(
                select(OutboxMessage.status, func.count())
                .where(
                    OutboxMessage.event_id == event.id,
                    OutboxMessage.kind == "reminder",
                    OutboxMessage.dedupe_key.like(f"reminder:%:{int(offset)}"),
                    ~(
                        (OutboxMessage.status == MAIL_CANCELLED)
                        & OutboxMessage.last_error.like("skipped:%")
                    ),
                )
                .group_by(OutboxMessage.status)
            )
        }
        skipped = (
            db.session.scalar(
                select(func.count()).where(
                    OutboxMessage.event_id == event.id,
                    OutboxMessage.kind == "reminder",
                    OutboxMessage.dedupe_key.like(f"reminder:%:{int(offset)}"),
                    OutboxMessage.status == MAIL_CANCELLED,
                    OutboxMessage.last_error.like("skipped:%"),
                )
            )
            or 0
        )
        went = sum(n for status, n in by_status.items() if status != MAIL_CANCELLED)
        queued = by_status.get(MAIL_QUEUED, 0)
        if not event.is_reminders_enabled or event.status != STATUS_PUBLISHED:
            state, people = "off", went
        elif due_at > now:
            state, people = "pending", eligible(None)
        elif went:
            state, people = "sent", went
        elif skipped:
            state, people = "skipped", skipped
        elif event.created_at > due_at:
            state, people = "not_scheduled", 0
        elif not (people := eligible(due_at)):
            state = "nobody"
        elif now - due_at > policy.grace(int(offset)):
            state = "skipped"  # the next tick records them as skipped
        else:
            state = "queued"
        planned.append(
            PlannedReminder(
                int(offset), describe_offset(int(offset)), due_at, state, people, queued
            )
        )
    return planned


def send_broadcast(
    event: Event,
    organizer_id: int | None,
    audience: str,
    subject: str,
    body: str,
    now: datetime,
) -> int:
    """Queue an organizer's message to one event's registrants; returns recipients.

    People who unsubscribed from campaign mail are left out.
    """
    from campaign.reminders import mails
    from campaign.reminders.broadcasts import AUDIENCE_STATUSES, clean_message

    subject, body = clean_message(audience, subject, body)
    locked = signup_seats.lock_event(event.id)
    if locked is None:
        raise ValueError("The event no longer exists.")
    recipients = list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == locked.id,
                Registration.status.in_(AUDIENCE_STATUSES[audience]),
                Registration.is_unsubscribed.is_(False),
                Registration.anonymised_at.is_(None),
            )
            .order_by(Registration.id)
        )
    )
    if not recipients:
        raise ValueError("Nobody in that group can receive it yet.")
    broadcast = Broadcast(
        event_id=locked.id,
        organizer_id=organizer_id,
        audience=audience,
        subject=subject,
        body=body,
        recipients=len(recipients),
        created_at=now,
    )
    db.session.add(broadcast)
    db.session.flush()
    for registration in recipients:
        mails.queue_broadcast(registration, broadcast.id, now)
    log.info("broadcast %s: queued %d", broadcast.id, len(recipients))
    return len(recipients)
