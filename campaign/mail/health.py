"""Whether mail is getting out: what the schedulers last saw, and how long mail waits.

The deliverer notes each round that did something in the one MailStatus row (last
success, last error without addresses, when it tries again after an outage). The
outbox, the dashboard and /healthz/mail read it together with the queue's figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from campaign.core.database import changed_rows, write_transaction
from campaign.extensions import db
from campaign.mail.models import STATUS_FAILED, STATUS_QUEUED, MailStatus, OutboxMessage

QUIET_AFTER = timedelta(minutes=3)
_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")


def scrub(text: str) -> str:
    """The text with every email address replaced (errors may quote recipients)."""
    return _ADDRESS.sub("<address>", text)


def note_round(now: datetime, sent: int, error: str | None, retry_at: datetime | None) -> None:
    """Record what a delivery round saw (the caller commits)."""
    values: dict[str, Any] = {"updated_at": now, "retry_at": retry_at}
    if sent:
        values["last_success_at"] = now
    if error:
        values["last_error"] = scrub(error)[:500]
        values["last_error_at"] = now
    write_transaction()
    statement = update(MailStatus).where(MailStatus.id == 1).values(**values)
    if changed_rows(db.session.execute(statement)):
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(MailStatus).values(id=1, **values))
    except IntegrityError:  # another scheduler inserted it first
        db.session.execute(statement)


@dataclass(frozen=True)
class DeliveryHealth:
    """The queue and the schedulers' view of the server, at `now`."""

    now: datetime
    stuck_after: timedelta
    queued: int = 0
    due: int = 0
    failed: int = 0
    oldest_queued_at: datetime | None = None
    oldest_due_at: datetime | None = None
    next_due_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    retry_at: datetime | None = None
    last_round_at: datetime | None = None  # the last round that sent or failed something

    @property
    def oldest_queued_age(self) -> timedelta | None:
        return self.now - self.oldest_queued_at if self.oldest_queued_at else None

    @property
    def overdue(self) -> timedelta | None:
        """How long the most overdue message has been due."""
        return self.now - self.oldest_due_at if self.oldest_due_at else None

    @property
    def is_failing(self) -> bool:
        """The last thing the deliverers saw was an error, not a delivery."""
        return self.last_error_at is not None and (
            self.last_success_at is None or self.last_error_at > self.last_success_at
        )

    @property
    def is_behind(self) -> bool:
        """Something has been due for over a minute: worth showing why."""
        return self.overdue is not None and self.overdue > timedelta(minutes=1)

    @property
    def is_stuck(self) -> bool:
        """Mail has been due for stuck_after and nothing was delivered meanwhile."""
        limit = self.now - self.stuck_after
        return (
            self.oldest_due_at is not None
            and self.oldest_due_at <= limit
            and (self.last_success_at is None or self.last_success_at <= limit)
        )

    @property
    def is_unattended(self) -> bool:
        """Mail is due but no deliverer has tried for a while: no scheduler is running.
        (A working one notes every round that sends or fails, and waits at most two
        minutes between tries during an outage.)"""
        quiet = self.now - QUIET_AFTER
        return bool(
            self.oldest_due_at is not None
            and self.oldest_due_at <= quiet
            and (self.last_round_at is None or self.last_round_at <= quiet)
        )

    @property
    def next_try_at(self) -> datetime | None:
        """When delivery will next be tried: after an outage's backoff, at the next tick
        when mail is due, else when the next retry falls due."""
        if self.retry_at is not None and self.retry_at > self.now:
            return self.retry_at
        if self.due:
            return self.now
        return self.next_due_at


def stuck_after(config: Any) -> timedelta:
    """MAIL_STUCK_MINUTES as a timedelta."""
    return timedelta(minutes=float(config["MAIL_STUCK_MINUTES"]))


def delivery_health(now: datetime, stuck_after: timedelta, event_ids: Any = None) -> DeliveryHealth:
    """The figures for all mail, or for the mail of `event_ids` (a list of ids or a query
    of them: an organizer's events); the server's state is shared by all."""
    queued = select(
        func.count(),
        func.count(case((OutboxMessage.next_attempt_at <= now, 1))),
        func.min(OutboxMessage.created_at),
        func.min(case((OutboxMessage.next_attempt_at <= now, OutboxMessage.next_attempt_at))),
        func.min(OutboxMessage.next_attempt_at),
    ).where(OutboxMessage.status == STATUS_QUEUED)
    failed = select(func.count()).where(OutboxMessage.status == STATUS_FAILED)
    if event_ids is not None:
        queued = queued.where(OutboxMessage.event_id.in_(event_ids))
        failed = failed.where(OutboxMessage.event_id.in_(event_ids))
    count, due, oldest, oldest_due, next_due = db.session.execute(queued).one()
    status = db.session.get(MailStatus, 1)
    return DeliveryHealth(
        now=now,
        stuck_after=stuck_after,
        queued=count,
        due=due,
        failed=db.session.scalar(failed.select_from(OutboxMessage)) or 0,
        oldest_queued_at=_aware(oldest),
        oldest_due_at=_aware(oldest_due),
        next_due_at=_aware(next_due),
        last_success_at=status.last_success_at if status else None,
        last_error=status.last_error if status else None,
        last_error_at=status.last_error_at if status else None,
        retry_at=status.retry_at if status else None,
        last_round_at=status.updated_at if status else None,
    )


def _aware(value: Any) -> datetime | None:
    """Aggregates may bypass the column type: SQLite can hand back naive UTC (or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def describe_age(age: timedelta | None) -> str:
    """'45 seconds', '12 minutes', '3 hours', '2 days'."""
    if age is None:
        return ""
    seconds = max(int(age.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
