"""Campaign mail: reminders, thank-yous and broadcasts, with one-click unsubscribe.

Queued cheaply (by the scheduler or an organizer), rendered by the deliverer. Each
carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext, ngettext

from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.extensions import db
from campaign.i18n.web import in_locale
from campaign.mail import models as kinds
from campaign.mail import services as mail
from campaign.mail.models import OutboxMessage
from campaign.reminders.broadcasts import has_own_greeting
from campaign.reminders.models import Broadcast
from campaign.reminders.services import reminder_key, thank_you_key
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
    return unsubscribe_headers(unsubscribe_url(registration, secret_key))


def unsubscribe_headers(url: str) -> dict[str, str]:
    """campaign_headers() for the registration whose unsubscribe_url() is `url`."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def queue_reminder(registration: Registration, offset: int, now: datetime) -> None:
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


def queue_thank_you(registration: Registration, now: datetime) -> None:
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
    unsubscribe = unsubscribe_url(registration, current_app.config["SECRET_KEY"])
    with in_locale(registration.language):  # a language no longer offered: the default
        words = {name: value() if callable(value) else value for name, value in extra.items()}
        context = context_for(registration, unsubscribe_url=unsubscribe, **words)
        subject, text, html = mail.render(template, context)
        ics = calendar_text(registration, context) if with_ics else None
    headers = unsubscribe_headers(unsubscribe)
    reply_to = reply_to_for(registration.event)
    if reply_to:
        headers["Reply-To"] = reply_to
    return mail.Rendered(subject, text, html, headers=headers, ics=ics)


def offset_phrase(minutes: int) -> str:
    """When the event starts, seen from a reminder sent `minutes` before it, in the locale
    being rendered: "tomorrow", "in 7 days", "in 2 hours", "in 30 minutes"."""
    if minutes == 1440:
        return gettext("tomorrow")
    if minutes % 1440 == 0:
        return ngettext("in %(num)s day", "in %(num)s days", minutes // 1440)
    if minutes % 60 == 0:
        return ngettext("in %(num)s hour", "in %(num)s hours", minutes // 60)
    return ngettext("in %(num)s minute", "in %(num)s minutes", minutes)


def render_reminder(row: OutboxMessage) -> mail.Rendered:
    offset = int((row.params or {}).get("offset", 0))
    return _render(row, "reminder", True, offset_phrase=lambda: offset_phrase(offset))


def render_thank_you(row: OutboxMessage) -> mail.Rendered:
    """The thank-you after an event: its share links point at the campaign and the events
    to come, never at the event that has ended."""
    return _render(row, "thank_you", False, campaign_url=absolute_url("campaigns.home"))


def render_broadcast(row: OutboxMessage) -> mail.Rendered:
    broadcast = db.session.get(Broadcast, (row.params or {}).get("broadcast_id"))
    if broadcast is None:
        raise mail.CannotRender("the broadcast no longer exists")
    return _render(row, "broadcast", False, broadcast_subject=broadcast.subject,
                   broadcast_body=broadcast.body,
                   own_greeting=has_own_greeting(broadcast.body))  # fmt: skip


def preview_broadcast(
    event: Event, subject: str, body: str, name: str, is_test: bool = False
) -> mail.Rendered:
    """The broadcast exactly as a recipient called `name` gets it (same templates and links).

    The stand-in registration is never saved: its manage and unsubscribe links are of the
    right form but open nothing, so a preview or test copy cannot act for anyone.
    """
    stand_in = Registration(
        id=0,
        event_id=event.id,
        name=name,
        email="preview@example.invalid",
        status="confirmed",
        token_nonce=secrets.token_hex(16),
        token_hash="",
        referral_code="preview",
    )
    stand_in.event = event
    secret = current_app.config["SECRET_KEY"]
    context = context_for(
        stand_in,
        unsubscribe_url=unsubscribe_url(stand_in, secret),
        broadcast_subject=subject,
        broadcast_body=body,
        own_greeting=has_own_greeting(body),
        is_test=is_test,
    )
    subject_line, text, html = mail.render("broadcast", context)
    if is_test:
        subject_line = "[Test] " + subject_line
    reply_to = reply_to_for(event)
    return mail.Rendered(
        subject_line, text, html, headers={"Reply-To": reply_to} if reply_to else {}
    )


def render_broadcast_test(row: OutboxMessage) -> mail.Rendered:
    """A test copy of a broadcast, to the organizer who asked for it."""
    params = row.params or {}
    event = db.session.get(Event, row.event_id) if row.event_id else None
    if event is None:
        raise mail.CannotRender("the event no longer exists")
    return preview_broadcast(
        event,
        str(params.get("subject", "")),
        str(params.get("body", "")),
        str(params.get("sample_name", "Sam Example")),
        is_test=True,
    )


def register_renderers() -> None:
    """Tell the mail feature how to render the kinds this module queues."""
    mail.register_renderer(kinds.KIND_REMINDER, render_reminder)
    mail.register_renderer(kinds.KIND_THANK_YOU, render_thank_you)
    mail.register_renderer(kinds.KIND_BROADCAST, render_broadcast)
    mail.register_renderer(kinds.KIND_BROADCAST_TEST, render_broadcast_test)
