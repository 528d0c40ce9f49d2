"""Campaign mail: reminders, thank-yous and broadcasts, with one-click unsubscribe.

Queued cheaply (by the scheduler or an organizer), rendered by the deliverer. Each
carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from campaign.core.urls import absolute_url
from campaign.extensions import db
from campaign.mail import models as kinds
from campaign.mail import services as mail
from campaign.mail.models import Broadcast, OutboxMessage
from campaign.reminders.services import describe_offset, reminder_key, thank_you_key
from campaign.signups.mails import calendar_text, context_for, registration_of, reply_to_for
from campaign.signups.models import Registration
from campaign.signups.tokens import unsubscribe_signature


def unsubscribe_url(registration: Registration, secret_key: str) -> str:
    return absolute_url(
        "signups.unsubscribe",
        registration_id=registration.id,
        signature=unsubscribe_signature(secret_key, registration.id, registration.token_nonce),
    )


def campaign_headers(registration: Registration, secret_key: str) -> dict[str, str]:
    """List-Unsubscribe (one-click, RFC 8058) for mail that is not strictly transactional."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(registration, secret_key)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def queue_reminder(registration: Registration, offset: int, secret_key: str, now: datetime) -> None:
    """A reminder `offset` minutes before the start."""
    mail.enqueue(
        kinds.KIND_REMINDER, registration.email, now,
        event_id=registration.event_id, registration_id=registration.id,
        params={"offset": offset}, dedupe_key=reminder_key(registration.id, offset),
    )  # fmt: skip


def queue_reminders(
    registrations: list[Registration], offset: int, now: datetime, *, skipped: str | None = None
) -> int:
    """The reminder `offset` minutes before the start for each registration, at once.

    skipped: the reason these reminders are recorded instead of sent (found too late to be
    useful): kept in the outbox as withdrawn, so they are decided and reported once.
    """
    return mail.enqueue_many(
        kinds.KIND_REMINDER,
        now,
        [
            {
                "to_email": r.email,
                "event_id": r.event_id,
                "registration_id": r.id,
                "params": {"offset": offset},
                "dedupe_key": reminder_key(r.id, offset),
            }
            for r in registrations
        ],
        withdrawn=skipped,
    )


def queue_thank_you(registration: Registration, secret_key: str, now: datetime) -> None:
    mail.enqueue(
        kinds.KIND_THANK_YOU, registration.email, now,
        event_id=registration.event_id, registration_id=registration.id,
        dedupe_key=thank_you_key(registration.id),
    )  # fmt: skip


def queue_broadcast(registration: Registration, broadcast_id: int, now: datetime) -> None:
    mail.enqueue(
        kinds.KIND_BROADCAST, registration.email, now,
        event_id=registration.event_id, registration_id=registration.id,
        params={"broadcast_id": broadcast_id},
        dedupe_key=f"broadcast:{broadcast_id}:{registration.id}",
    )  # fmt: skip


def _render(row: OutboxMessage, template: str, with_ics: bool, **extra: object) -> mail.Rendered:
    registration = registration_of(row)
    secret = current_app.config["SECRET_KEY"]
    context = context_for(registration, unsubscribe_url=unsubscribe_url(registration, secret),
                          **extra)  # fmt: skip
    subject, text, html = mail.render(template, context)
    headers = campaign_headers(registration, secret)
    reply_to = reply_to_for(registration.event)
    if reply_to:
        headers["Reply-To"] = reply_to
    ics = calendar_text(registration, context) if with_ics else None
    return mail.Rendered(subject, text, html, headers=headers, ics=ics)


def render_reminder(row: OutboxMessage) -> mail.Rendered:
    offset = int((row.params or {}).get("offset", 0))
    return _render(row, "reminder", True, offset_label=describe_offset(offset))


def render_thank_you(row: OutboxMessage) -> mail.Rendered:
    return _render(row, "thank_you", False)


def render_broadcast(row: OutboxMessage) -> mail.Rendered:
    broadcast = db.session.get(Broadcast, (row.params or {}).get("broadcast_id"))
    if broadcast is None:
        raise mail.CannotRender("the broadcast no longer exists")
    return _render(row, "broadcast", False, broadcast_subject=broadcast.subject,
                   broadcast_body=broadcast.body)  # fmt: skip


def register_renderers() -> None:
    """Tell the mail feature how to render the kinds this module queues."""
    mail.register_renderer(kinds.KIND_REMINDER, render_reminder)
    mail.register_renderer(kinds.KIND_THANK_YOU, render_thank_you)
    mail.register_renderer(kinds.KIND_BROADCAST, render_broadcast)
