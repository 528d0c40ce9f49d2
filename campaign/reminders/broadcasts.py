"""An organizer's message to an event's registrants, before it is sent: who it reaches,
whether it greets on its own, and a test copy to the organizer. Plain values in; the
caller commits. Sending itself is services.send_broadcast."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from campaign.core.text import has_control_characters
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import models as kinds
from campaign.mail import services as mail
from campaign.mail.models import OutboxMessage
from campaign.signups.models import Registration

AUDIENCE_STATUSES = {
    "confirmed": ("confirmed",),
    "waitlisted": ("waitlisted",),
    "active": ("confirmed", "waitlisted"),
}
# A message that opens like this greets on its own; the app's "Hello Sam," then stays out.
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hiya|dear|greetings|good (morning|afternoon|evening|day)|"
    r"welcome|kia ora|g'day|bonjour|hola)\b",
    re.IGNORECASE,
)
TEST_LIMIT = 5
TEST_WINDOW = timedelta(minutes=10)


def has_own_greeting(body: str) -> bool:
    """True when the organizer's message starts with a greeting of its own."""
    return bool(_GREETING.match(body or ""))


def clean_message(audience: str, subject: str, body: str) -> tuple[str, str]:
    """(subject on one line, body with LF line ends), or ValueError saying what is wrong."""
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if audience not in AUDIENCE_STATUSES:
        raise ValueError("Choose who the message goes to.")
    if not subject or not body:
        raise ValueError("Write a subject and a message.")
    if has_control_characters(subject) or has_control_characters(body, allow_newlines=True):
        raise ValueError("Remove the invisible control characters.")
    return subject, body


def _reachable(event_id: int) -> list:
    return [
        Registration.event_id == event_id,
        Registration.is_unsubscribed.is_(False),
        Registration.anonymised_at.is_(None),
    ]


def audience_counts(event_id: int) -> dict[str, int]:
    """How many people each audience reaches now, and how many unsubscribed are left out."""
    confirmed, waitlisted = db.session.execute(
        select(
            func.count(case((Registration.status == "confirmed", 1))),
            func.count(case((Registration.status == "waitlisted", 1))),
        ).where(*_reachable(event_id))
    ).one()
    unsubscribed = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event_id,
            Registration.status != "cancelled",
            Registration.is_unsubscribed.is_(True),
            Registration.anonymised_at.is_(None),
        )
    )
    return {
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "active": confirmed + waitlisted,
        "unsubscribed": unsubscribed or 0,
    }


def sample_name(event_id: int, audience: str) -> str:
    """The name of the first person the audience reaches, for a true-to-life preview."""
    name = db.session.scalar(
        select(Registration.name)
        .where(
            *_reachable(event_id),
            Registration.status.in_(AUDIENCE_STATUSES.get(audience, ("confirmed",))),
        )
        .order_by(Registration.id)
        .limit(1)
    )
    return name or "Sam Example"


def queue_test(
    event: Event,
    to_email: str,
    audience: str,
    subject: str,
    body: str,
    now: datetime,
) -> None:
    """A copy of the message to the organizer, rendered as its first recipient will see it.

    At most TEST_LIMIT tests per event and address in TEST_WINDOW (ValueError beyond).
    """
    subject, body = clean_message(audience, subject, body)
    recent = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.kind == kinds.KIND_BROADCAST_TEST,
            OutboxMessage.event_id == event.id,
            OutboxMessage.to_email == to_email,
            OutboxMessage.created_at > now - TEST_WINDOW,
        )
    )
    if (recent or 0) >= TEST_LIMIT:
        raise ValueError(
            f"You sent {TEST_LIMIT} tests in the last {int(TEST_WINDOW.total_seconds() // 60)} "
            "minutes. Check your inbox (and spam folder), then try again in a few minutes."
        )
    mail.enqueue(
        kinds.KIND_BROADCAST_TEST,
        to_email,
        now,
        event_id=event.id,
        params={
            "subject": subject,
            "body": body,
            "audience": audience,
            "sample_name": sample_name(event.id, audience),
        },
    )
