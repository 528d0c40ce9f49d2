"""What an organizer hears about sign-ups and cancellations on their own events: nothing,
a mail for each, or a daily digest. The scheduler's notifications job turns what changed
since an organizer's watermark into outbox rows (mail is data); the deliverer renders them
from the registrations and events as they are then. The caller commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import or_, select

from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import services as mail
from campaign.mail.models import OutboxMessage
from campaign.organizers.models import (
    NOTIFY_DIGEST,
    NOTIFY_EACH,
    NOTIFY_MODES,
    NOTIFY_OFF,
    Organizer,
)
from campaign.signups.models import Registration, shown_name

log = logging.getLogger(__name__)

KIND_NOTICE = "organizer_notice"
KIND_DIGEST = "organizer_digest"
DIGEST_EVERY = timedelta(days=1)
# More changes than this in one run (a popular event's launch) make one summary mail, so
# an organizer's inbox is never flooded.
MAX_NOTICES_PER_RUN = 10
SIGNUP, CANCELLATION = "signup", "cancellation"


def set_mode(organizer: Organizer, mode: str, now: datetime) -> None:
    """Choose what the organizer hears; only what happens from now on is told."""
    if mode not in NOTIFY_MODES:
        raise ValueError("Choose one of the options.")
    if mode != organizer.notify_mode:
        organizer.notify_mode = mode
        organizer.notified_until = now
        if mode == NOTIFY_DIGEST:
            organizer.digest_sent_at = now
    db.session.flush()


@dataclass(frozen=True)
class Change:
    registration_id: int
    event_id: int
    kind: str  # SIGNUP or CANCELLATION
    at: datetime


@dataclass
class DigestLine:
    """One event's part of a digest."""

    event: Event
    figures: dict[str, int]
    attendees_url: str
    signups: int = 0
    cancellations: int = 0


def changes(organizer_id: int, since: datetime, until: datetime) -> list[Change]:
    """Sign-ups and cancellations on the organizer's own events in [since, until)."""
    rows = db.session.execute(
        select(
            Registration.id,
            Registration.event_id,
            Registration.created_at,
            Registration.cancelled_at,
        )
        .join(Event, Registration.event_id == Event.id)
        .where(
            Event.organizer_id == organizer_id,
            or_(
                (Registration.created_at >= since) & (Registration.created_at < until),
                (Registration.cancelled_at >= since) & (Registration.cancelled_at < until),
            ),
        )
        .order_by(Registration.id)
    )
    found = []
    for registration_id, event_id, created, cancelled in rows:
        if since <= created < until:
            found.append(Change(registration_id, event_id, SIGNUP, created))
        if cancelled is not None and since <= cancelled < until:
            found.append(Change(registration_id, event_id, CANCELLATION, cancelled))
    return sorted(found, key=lambda c: (c.at, c.registration_id))


def run(now: datetime) -> dict[str, int]:
    """Queue the notices and digests due at `now`; how many of each."""
    notices = digests = 0
    organizers = list(
        db.session.scalars(
            select(Organizer).where(
                Organizer.notify_mode != NOTIFY_OFF, Organizer.is_enabled.is_(True)
            )
        )
    )
    for organizer in organizers:
        since = organizer.notified_until or now
        if organizer.notify_mode == NOTIFY_EACH:
            found = changes(organizer.id, since, now)
            if len(found) > MAX_NOTICES_PER_RUN:
                _queue_digest(organizer, since, now)
                digests += 1
            else:
                for change in found:
                    _queue_notice(organizer, change, now)
                notices += len(found)
            organizer.notified_until = now
        elif organizer.notify_mode == NOTIFY_DIGEST:
            last = organizer.digest_sent_at or since
            if now - last < DIGEST_EVERY:
                continue
            if changes(organizer.id, since, now):
                _queue_digest(organizer, since, now)
                digests += 1
            organizer.notified_until = now
            organizer.digest_sent_at = now
    db.session.flush()
    if notices or digests:
        log.info("notifications: queued %d notices and %d digests", notices, digests)
    return {"notices": notices, "digests": digests}


def _queue_notice(organizer: Organizer, change: Change, now: datetime) -> None:
    registration = db.session.get(Registration, change.registration_id)
    assert registration is not None
    mail.enqueue(
        KIND_NOTICE,
        organizer.email,
        now,
        event_id=registration.event_id,
        params={"registration_id": change.registration_id, "change": change.kind},
        dedupe_key=f"notice:{organizer.id}:{change.registration_id}:{change.kind}",
    )


def _queue_digest(organizer: Organizer, since: datetime, until: datetime) -> None:
    mail.enqueue(
        KIND_DIGEST,
        organizer.email,
        until,
        params={
            "organizer_id": organizer.id,
            "since": since.isoformat(),
            "until": until.isoformat(),
        },
        dedupe_key=f"digest:{organizer.id}:{until.isoformat()}",
    )


# --- rendering (in the deliverer) ----------------------------------------------------------


def _figures(event: Event) -> dict[str, int]:
    from campaign.signups.seats import seat_counts

    return seat_counts(event.id)


def render_notice(row: OutboxMessage) -> mail.Rendered:
    """One sign-up or cancellation, with the event's figures as they are now."""
    params = row.params or {}
    registration = db.session.get(Registration, params.get("registration_id"))
    if registration is None:
        raise mail.CannotRender("the registration no longer exists")
    event = registration.event
    context: dict[str, Any] = {
        "event": event,
        "campaign": event.campaign,
        "who": shown_name(registration.name, registration.anonymised_at),
        "status": registration.status,
        "change": params.get("change", SIGNUP),
        "figures": _figures(event),
        "attendees_url": absolute_url("attendees.index", event_id=event.id),
        "settings_url": absolute_url("organizers.notifications"),
    }
    subject, text, html = mail.render("organizer_notice", context)
    return mail.Rendered(subject, text, html)


def render_digest(row: OutboxMessage) -> mail.Rendered:
    """What happened on each of the organizer's events between two instants."""
    params = row.params or {}
    organizer = db.session.get(Organizer, params.get("organizer_id"))
    if organizer is None:
        raise mail.CannotRender("the organizer no longer exists")
    since = datetime.fromisoformat(str(params["since"]))
    until = datetime.fromisoformat(str(params["until"]))
    lines: dict[int, DigestLine] = {}
    for change in changes(organizer.id, since, until):
        line = lines.get(change.event_id)
        if line is None:
            event = db.session.get(Event, change.event_id)
            if event is None:
                continue
            line = lines[change.event_id] = DigestLine(
                event, _figures(event), absolute_url("attendees.index", event_id=event.id)
            )
        if change.kind == SIGNUP:
            line.signups += 1
        else:
            line.cancellations += 1
    ordered = sorted(lines.values(), key=lambda line: (line.event.starts_at, line.event.id))
    campaign = ordered[0].event.campaign if ordered else _any_campaign()
    context = {
        "campaign": campaign,
        "lines": ordered,
        "signups": sum(line.signups for line in ordered),
        "cancellations": sum(line.cancellations for line in ordered),
        "settings_url": absolute_url("organizers.notifications"),
        "hours": max(1, round((until - since).total_seconds() / 3600)),
    }
    subject, text, html = mail.render("organizer_digest", context)
    return mail.Rendered(subject, text, html)


def _any_campaign() -> Any:
    from campaign.campaigns.models import Campaign

    return db.session.scalar(select(Campaign).order_by(Campaign.id).limit(1))


def register_renderers() -> None:
    """Tell the mail feature how to render the kinds this module queues."""
    mail.register_renderer(KIND_NOTICE, render_notice)
    mail.register_renderer(KIND_DIGEST, render_digest)


def run_job(now: datetime | None = None) -> dict[str, int]:
    """The scheduler's notifications job: queue what is due, commit."""
    from campaign.core.timeutil import utcnow

    result = run(now or utcnow())
    db.session.commit()
    return result


def mode_labels() -> dict[str, str]:
    """The choices, as the settings page words them."""
    return {
        NOTIFY_OFF: gettext("No mail"),
        NOTIFY_EACH: gettext("A mail for each sign-up or cancellation on my events"),
        NOTIFY_DIGEST: gettext("One mail a day with what changed (only on days something did)"),
    }
