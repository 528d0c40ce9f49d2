"""A visitor's message to an event's host, mailed through the outbox.

The host's address is never on the page: the message goes from the campaign's sender to
the host (or, for a host without an active account, the campaign's contact address),
with the visitor's address as Reply-To, so the host decides whether to answer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext

from campaign.core.forms import FieldErrors
from campaign.core.text import has_control_characters, normalise_line_breaks
from campaign.core.urls import absolute_url
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import services as mail
from campaign.mail.models import KIND_HOST_CONTACT, OutboxMessage

NAME_MAX = 100
MESSAGE_MAX = 2000


class InvalidMessage(FieldErrors):
    """What is wrong with a message to a host, one message per form field."""


class NoHost(ValueError):
    """Nobody can receive messages about this event (no active host, no campaign contact)."""


@dataclass
class ContactInput:
    name: str
    email: str
    message: str


def host_address(event: Event) -> str | None:
    """Where messages about event go: its host if their account is active, else the
    campaign's contact address (the Reply-To rule of the registration mails)."""
    from campaign.signups.mails import reply_to_for

    return reply_to_for(event)


def clean(data: ContactInput) -> ContactInput:
    """Normalise and validate; raise InvalidMessage with a message per field."""
    from campaign.signups.services import clean_person

    name, email, errors = clean_person(data.name, data.email)
    message = normalise_line_breaks(unicodedata.normalize("NFC", (data.message or "").strip()))
    if not message:
        errors["message"] = gettext("Write your message.")
    elif len(message) > MESSAGE_MAX:
        errors["message"] = gettext(
            "Use at most %(limit)s characters (now %(now)s).", limit=MESSAGE_MAX, now=len(message)
        )
    elif has_control_characters(message, allow_newlines=True):
        errors["message"] = gettext("Remove the invisible control characters.")
    if errors:
        raise InvalidMessage(errors)
    return ContactInput(name, email, message)


def queue_message(event: Event, data: ContactInput, now: datetime) -> None:
    """Queue a clean message to the event's host in the caller's transaction; NoHost when
    nobody can receive it."""
    to = host_address(event)
    if not to:
        raise NoHost(gettext("This event's host cannot receive messages at the moment."))
    mail.enqueue(
        KIND_HOST_CONTACT,
        to,
        now,
        event_id=event.id,
        params={"name": data.name, "email": data.email, "message": data.message},
    )


def render(row: OutboxMessage) -> mail.Rendered:
    """The host's copy: who wrote, about which event, their words; Reply-To the visitor."""
    event = db.session.get(Event, row.event_id) if row.event_id else None
    params = row.params or {}
    if event is None or not params.get("email"):
        raise mail.CannotRender("the event or the message no longer exists")
    context = {
        "event": event,
        "campaign": event.campaign,
        "event_url": absolute_url("events.detail", slug=event.slug),
        "sender_name": params.get("name", ""),
        "sender_email": params["email"],
        "message": params.get("message", ""),
        "manage_url": None,
    }
    subject, text, html = mail.render("host_contact", context)
    return mail.Rendered(subject, text, html, headers={"Reply-To": params["email"]})


def register_renderers() -> None:
    """Tell the mail feature how to render a message to a host."""
    mail.register_renderer(KIND_HOST_CONTACT, render)
