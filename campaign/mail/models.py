"""The outbox: every email is a row written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.timeutil import utcnow
from campaign.core.types import UTCDateTime
from campaign.extensions import Model

STATUS_QUEUED = "queued"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"
STATUS_CANCELLED = "cancelled"

KIND_CONFIRMED = "registration_confirmed"
KIND_WAITLISTED = "waitlisted"
KIND_PROMOTED = "promoted"
KIND_CANCELLED_BY_YOU = "registration_cancelled"
KIND_REMINDER = "reminder"
KIND_EVENT_CHANGED = "event_changed"
KIND_EVENT_CANCELLED = "event_cancelled"
KIND_BROADCAST = "broadcast"
KIND_THANK_YOU = "thank_you"
KIND_HOST_CONTACT = "host_contact"  # a visitor's message to an event's host
# A copy of a broadcast sent to the organizer writing it (no registration).
KIND_BROADCAST_TEST = "broadcast_test"


class OutboxMessage(Model):
    """An email waiting for, or past, delivery.

    The row is written in the same transaction as its cause with what is needed to
    render it; the deliverer renders it outside the request, on the first attempt.

    Deliverers claim rows by setting claimed_by and lease_until atomically; a row whose
    lease ran out is claimable again. dedupe_key makes enqueueing idempotent. A queued
    row is withdrawn by setting status to cancelled; the deliverer re-checks that just
    before sending and when recording (see campaign/mail/steps.py).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_event_email", "event_id", "to_email", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Indexed as the first column of ix_outbox_event_email.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    to_email: Mapped[str] = mapped_column(String(254))
    # What the renderer of `kind` needs besides the registration (offset, broadcast id).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Rendered by the deliverer on the first attempt and kept, so retries are identical.
    subject: Mapped[str | None] = mapped_column(String(300))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ics: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set (committed) by the deliverer just before it hands the message to the server,
    # cleared when it records what happened: while set, the message is on its way.
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"


class MailStatus(Model):
    """How delivery is going, as the schedulers last saw it (one row, id 1).

    Written at most once per delivery round; read by the outbox, the dashboard and
    /healthz/mail. Holds no personal data: addresses are removed from the error.
    """

    __tablename__ = "mail_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the deliverer that last failed to reach the server tries again.
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
