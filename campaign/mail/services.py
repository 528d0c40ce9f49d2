"""Writing mail into the outbox: render the templates, fix the Message-ID, add the row.

Nothing here talks to a mail server; delivery.py does that later, outside the request.
The caller commits, so the row lands in the same transaction as the change it reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import exists, select, update

from campaign.extensions import db
from campaign.mail.models import STATUS_CANCELLED, STATUS_QUEUED, OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class Mail:
    """What to send: a template pair under templates/mail/ and its context."""

    kind: str
    to_email: str
    template: str
    context: dict[str, Any]
    event_id: int | None = None
    registration_id: int | None = None
    reply_to: str | None = None
    ics: str | None = None
    dedupe_key: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


def _mail_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) from templates/mail/<template>.txt and .html.

    The text template starts with a 'Subject: ...' line and a blank line.
    """
    text = render_template(f"mail/{template}.txt", **context)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"mail/{template}.txt must start with a Subject: line")
    subject = " ".join(head[len("Subject:") :].split())
    html = render_template(f"mail/{template}.html", subject=subject, **context)
    return subject, body.strip() + "\n", html


def enqueue(mail: Mail, now: datetime) -> OutboxMessage:
    """Render mail and add it to the outbox (flushed, not committed)."""
    subject, text, html = render(mail.template, mail.context)
    headers = dict(mail.extra_headers)
    if mail.reply_to:
        headers["Reply-To"] = mail.reply_to
    row = OutboxMessage(
        kind=mail.kind,
        event_id=mail.event_id,
        registration_id=mail.registration_id,
        to_email=mail.to_email,
        subject=subject,
        text_body=text,
        html_body=html,
        headers=headers,
        ics=mail.ics,
        message_id=make_msgid(domain=_mail_domain()),
        dedupe_key=mail.dedupe_key,
        status=STATUS_QUEUED,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    log.info("outbox: queued one %s message", mail.kind)
    return row


def mailed_recently(event_id: int, to_email: str, now: datetime, window: timedelta) -> bool:
    """True when a message about event_id went to to_email within window."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OutboxMessage.event_id == event_id,
                    OutboxMessage.to_email == to_email,
                    OutboxMessage.created_at > now - window,
                )
            )
        )
    )


def cancel_queued_for_registration(registration_id: int) -> int:
    """Withdraw queued mail for a registration (cancelled or deleted); returns how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.registration_id == registration_id,
            OutboxMessage.status == STATUS_QUEUED,
        )
        .values(status=STATUS_CANCELLED, last_error="withdrawn: registration ended")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def scrub_for_registration(registration_id: int, placeholder_email: str) -> None:
    """Remove personal data from every stored message of a registration."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id)
        .values(to_email=placeholder_email, text_body="", html_body="", ics=None, headers={})
    )
