"""Delivering the outbox: claim due rows atomically, send, record the outcome.

Several deliverers may run at once (scheduler processes on one PostgreSQL database).
Each claims rows with a lease; a row is sent only after its claim is renewed, and is
marked sent only while the claim is still held, so no row is sent twice unless a
deliverer dies after the server accepted a message and before it recorded it.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import and_, or_, select, text, update

from campaign.core.database import write_transaction
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail import services as mail_services
from campaign.mail.backends import (
    Backend,
    ConnectionFailed,
    ConsoleBackend,
    FileBackend,
    PermanentError,
    SMTPBackend,
    SMTPSettings,
    TransientError,
)
from campaign.mail.models import STATUS_FAILED, STATUS_QUEUED, STATUS_SENT, OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    batch_size: int = 100
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=2)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost_lease: int = 0
    deferred: int = 0  # left for later, untried, because the server was unreachable
    errors: list[str] = field(default_factory=list)


def worker_id() -> str:
    """host:pid:random, unique per deliverer."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{random.getrandbits(32):08x}"


def backend_from_config(config: dict[str, Any], instance_path: str) -> Backend:
    """The configured backend: file (default), console or smtp."""
    kind = str(config.get("MAIL_BACKEND", "file")).lower()
    if kind == "file":
        return FileBackend(config.get("MAIL_FILE_DIR") or os.path.join(instance_path, "mail"))
    if kind == "console":
        return ConsoleBackend()
    if kind == "smtp":
        return SMTPBackend(
            SMTPSettings(
                host=config.get("SMTP_HOST") or "localhost",
                port=int(config.get("SMTP_PORT") or 587),
                security=str(config.get("SMTP_SECURITY") or "starttls").lower(),
                username=config.get("SMTP_USERNAME") or "",
                password=config.get("SMTP_PASSWORD") or "",
                timeout=float(config.get("SMTP_TIMEOUT") or 20),
            )
        )
    raise ValueError(f"Unknown MAIL_BACKEND {kind!r}: use file, console or smtp")


def build_message(row: OutboxMessage, sender: str, now: datetime) -> EmailMessage:
    """The MIME message for a row: text and HTML alternatives, the .ics attached."""
    message = EmailMessage()
    message["Subject"] = _one_line(row.subject or "")
    message["From"] = sender
    message["To"] = _one_line(row.to_email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = row.message_id
    for name, value in (row.headers or {}).items():
        message[_one_line(name)] = _one_line(str(value))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body or "")
    message.add_alternative(row.html_body or "", subtype="html")
    if row.ics:
        method = "CANCEL" if "METHOD:CANCEL" in row.ics else "PUBLISH"
        message.add_attachment(
            row.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="event.ics",
            params={"method": method},
        )
    return message


def _one_line(value: str) -> str:
    """Header values never carry line breaks (no header injection)."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def claim(worker: str, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Atomically claim up to `limit` due rows for `worker`; returns their ids.

    PostgreSQL: a MATERIALIZED CTE with FOR UPDATE SKIP LOCKED, so the LIMIT holds even
    on a table without statistics. SQLite: one writer at a time (BEGIN IMMEDIATE), then
    a conditional UPDATE.
    """
    until = now + lease
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        rows = db.session.execute(
            text(
                """
                WITH picked AS MATERIALIZED (
                    SELECT id FROM outbox
                    WHERE status = 'queued' AND next_attempt_at <= :now
                      AND (lease_until IS NULL OR lease_until < :now)
                    ORDER BY next_attempt_at, id
                    LIMIT :limit
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE outbox SET claimed_by = :worker, lease_until = :until
                FROM picked WHERE outbox.id = picked.id
                RETURNING outbox.id
                """
            ),
            {"now": now, "limit": limit, "worker": worker, "until": until},
        )
        ids = sorted(r[0] for r in rows)
    else:
        write_transaction()
        candidates = list(
            db.session.scalars(
                select(OutboxMessage.id)
                .where(_claimable(now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            )
        )
        if not candidates:
            db.session.commit()
            return []
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), _claimable(now))
            .values(claimed_by=worker, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.id.in_(candidates),
                    OutboxMessage.claimed_by == worker,
                    OutboxMessage.lease_until == until,
                )
            )
        )
    db.session.commit()
    return ids


def _claimable(now: datetime) -> Any:
    return and_(
        OutboxMessage.status == STATUS_QUEUED,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    )


def _renew(row_id: int, worker: str, until: datetime) -> bool:
    """Extend our claim on a row just before sending it; False if we lost it."""
    write_transaction()
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.claimed_by == worker,
            OutboxMessage.status == STATUS_QUEUED,
        )
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _finish(row_id: int, worker: str, values: dict[str, Any]) -> bool:
    """Record an outcome only while still holding the claim."""
    write_transaction()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker)
        .values(claimed_by=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff(attempts: int, policy: DeliveryPolicy) -> timedelta:
    """Exponential backoff with full jitter: up to base * 2^(attempts-1), capped."""
    ceiling = min(
        policy.backoff_base.total_seconds() * 2 ** max(attempts - 1, 0),
        policy.backoff_max.total_seconds(),
    )
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def deliver_due(
    backend: Backend,
    sender: str,
    policy: DeliveryPolicy = DeliveryPolicy(),
    worker: str | None = None,
    now: datetime | None = None,
    clock: Any = utcnow,
) -> DeliveryReport:
    """Claim one batch of due messages and try each once. Safe to run concurrently.

    With `now` given, the clock starts there and runs at the real pace, so the leases
    renewed before each send, the retry times and sent_at agree with the claim.
    """
    worker = worker or worker_id()
    report = DeliveryReport()
    if now is not None and clock is utcnow:
        skew = now - utcnow()

        def clock() -> datetime:
            return utcnow() + skew

    ids = claim(worker, now or clock(), policy.batch_size, policy.lease)
    report.claimed = len(ids)
    if not ids:
        return report
    _render_claimed(ids, worker, report)
    try:
        for index, row_id in enumerate(ids):
            retry_at = _deliver_one(row_id, backend, sender, policy, worker, clock, report)
            if retry_at is not None:
                # The server is unreachable: one wait for the timeout per batch, not per
                # message. The rest go back to the queue, untried, until the retry time.
                report.deferred += _release(ids[index + 1 :], worker, retry_at)
                break
    finally:
        backend.close()
    log.info(
        "deliver: claimed %d, sent %d, retry %d, failed %d, lost lease %d, deferred %d",
        report.claimed,
        report.sent,
        report.retried,
        report.failed,
        report.lost_lease,
        report.deferred,
    )
    return report


def _render_claimed(ids: list[int], worker: str, report: DeliveryReport) -> None:
    """Render the claimed rows that have no content yet, in one transaction."""
    from campaign.signups.models import Registration

    write_transaction()
    rows = list(
        db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claimed_by == worker,
                OutboxMessage.subject.is_(None),
            )
        )
    )
    registration_ids = [r.registration_id for r in rows if r.registration_id]
    if registration_ids:  # one query instead of one per row
        list(db.session.scalars(select(Registration).where(Registration.id.in_(registration_ids))))
    for row in rows:
        try:
            mail_services.ensure_rendered(row)
        except mail_services.CannotRender as exc:
            row.status = STATUS_FAILED
            row.last_error = f"not sent: {exc}"
            row.claimed_by = None
            row.lease_until = None
            report.failed += 1
    db.session.commit()


def _deliver_one(
    row_id: int,
    backend: Backend,
    sender: str,
    policy: DeliveryPolicy,
    worker: str,
    clock: Any,
    report: DeliveryReport,
) -> datetime | None:
    """Send one claimed row and record the outcome.

    Returns when to try again if the server could not be reached (else None).
    """
    now = clock()
    if not _renew(row_id, worker, now + policy.lease):
        report.lost_lease += 1
        return None
    row = db.session.get(OutboxMessage, row_id)
    if row is None or row.subject is None:
        return None
    attempts = row.attempts + 1
    message = build_message(row, sender, now)
    db.session.rollback()  # end the read before the slow network call
    try:
        backend.open()
        backend.send(message)
    except PermanentError as exc:
        report.failed += 1
        _finish(
            row_id,
            worker,
            {"status": STATUS_FAILED, "attempts": attempts, "last_error": str(exc)[:1000]},
        )
        return None
    except TransientError as exc:
        report.errors.append(str(exc)[:200])
        retry_at = clock() + backoff(attempts, policy)
        if attempts >= policy.max_attempts:
            report.failed += 1
            _finish(
                row_id,
                worker,
                {
                    "status": STATUS_FAILED,
                    "attempts": attempts,
                    "last_error": f"gave up after {attempts} attempts: {exc}",
                },
            )
        else:
            report.retried += 1
            _finish(
                row_id,
                worker,
                {
                    "attempts": attempts,
                    "last_error": str(exc)[:1000],
                    "next_attempt_at": retry_at,
                },
            )
        return retry_at if isinstance(exc, ConnectionFailed) else None
    if _finish(
        row_id,
        worker,
        {"status": STATUS_SENT, "attempts": attempts, "sent_at": clock(), "last_error": None},
    ):
        report.sent += 1
    else:
        report.lost_lease += 1
        log.warning("deliver: message %s sent but its claim was taken over", row_id)
    return None


def _release(row_ids: list[int], worker: str, retry_at: datetime) -> int:
    """Give back claimed rows untried (no attempt counted), due again at retry_at."""
    if not row_ids:
        return 0
    write_transaction()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.claimed_by == worker)
        .values(claimed_by=None, lease_until=None, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def retry_failed(row_ids: list[int], now: datetime) -> int:
    """Queue failed messages again (organizer's retry); returns how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == STATUS_FAILED)
        .values(
            status=STATUS_QUEUED, next_attempt_at=now, attempts=0, claimed_by=None, lease_until=None
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
