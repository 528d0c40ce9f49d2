"""Delivering the outbox: claim due rows atomically, send, record the outcome.

Several deliverers may run at once (scheduler processes on one PostgreSQL database).
Each claims rows with a lease; a row is sent only after its claim is renewed, and is
marked sent only while the claim is still held, so no row is sent twice unless a
deliverer dies after the server accepted a message and before it recorded it.

Between sends there are short write transactions ("steps"): one records the outcomes
decided since the last step and renews the claim on the next group of messages
(DeliveryPolicy.renew_group, and again whenever half the lease has passed). A crash
re-sends at most the messages sent since the last step; with renew_group=1 that is the
one message in flight. A send starts only with at least half a lease left, so keep the
lease (MAIL_LEASE_SECONDS) well above twice the SMTP timeout. The content of the whole
batch is read once, with the rendering, not once per message.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.base64mime import body_encode
from email.header import Header
from email.message import EmailMessage, Message
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, text, update

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
    # How many of the next messages one claim renewal covers, and so how many outcomes
    # one transaction records. 1 renews and records per message. Larger groups cost
    # fewer commits, but a deliverer that dies after sending may re-send up to this many
    # (the outcomes it had not recorded yet). Every send still starts with at least half
    # a lease left: a group is renewed again once half the lease has passed.
    renew_group: int = 10


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


@dataclass(frozen=True)
class Outgoing:
    """What sending one claimed row needs; read for the whole batch at once."""

    id: int
    attempts: int
    to_email: str
    subject: str
    text_body: str
    html_body: str
    headers: dict[str, Any]
    ics: str | None
    message_id: str


def build_message(row: OutboxMessage | Outgoing, sender: str, now: datetime) -> Message:
    """The MIME message for a row: text and HTML alternatives, the .ics attached.

    Assembled from plain compat32 Message parts with their headers written out: the
    policy-based EmailMessage parses every header it is given and costs about ten times
    as much per message. Every header value goes through _one_line (no header
    injection) and is RFC 2047-encoded when not ASCII.
    """
    from_header, address = _from_header(sender)
    if not (row.to_email.isascii() and address.isascii()):
        return _build_international(row, sender, now)
    body = _multipart(
        "alternative",
        _text_part(row.text_body or "", "plain"),
        _text_part(row.html_body or "", "html"),
    )
    message = body
    if row.ics:
        method = "CANCEL" if "METHOD:CANCEL" in row.ics else "PUBLISH"
        calendar = _text_part(row.ics, "calendar", f"; method={method}")
        calendar["Content-Disposition"] = 'attachment; filename="event.ics"'
        message = _multipart("mixed", body, calendar)
    message["MIME-Version"] = "1.0"
    message["Subject"] = _header(row.subject or "")
    message["From"] = from_header
    message["To"] = _one_line(row.to_email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = _one_line(row.message_id)
    for header, value in (row.headers or {}).items():
        message[_one_line(header)] = _header(str(value))
    message["Auto-Submitted"] = "auto-generated"
    return message


def _multipart(subtype: str, *parts: Message) -> Message:
    container = Message()
    container["Content-Type"] = f"multipart/{subtype}"
    for part in parts:
        container.attach(part)
    return container


def _text_part(text: str, subtype: str, params: str = "") -> Message:
    """7bit when ASCII, 8bit UTF-8 otherwise, base64 only when a line is too long for SMTP."""
    text = text.replace("\r\n", "\n")
    if any(len(line) > 990 for line in text.split("\n")):
        charset, encoding, payload = "utf-8", "base64", body_encode(text.encode())
    elif text.isascii():
        charset, encoding, payload = "us-ascii", "7bit", text
    else:  # the generators write surrogate-escaped bytes back as they were
        charset, encoding = "utf-8", "8bit"
        payload = text.encode().decode("ascii", "surrogateescape")
    part = Message()
    part["Content-Type"] = f'text/{subtype}; charset="{charset}"{params}'
    part["Content-Transfer-Encoding"] = encoding
    part.set_payload(payload)
    return part


@functools.lru_cache(maxsize=8)
def _from_header(sender: str) -> tuple[str, str]:
    """(the From header, the bare address) for the configured sender."""
    name, address = parseaddr(_one_line(sender))
    return formataddr((name, address)), address


def _header(value: str) -> str | Header:
    value = _one_line(value)
    return value if value.isascii() else Header(value, "utf-8")


def _build_international(row: OutboxMessage | Outgoing, sender: str, now: datetime) -> Message:
    """The same message for non-ASCII addresses (SMTPUTF8), with the policy-based API."""
    message = EmailMessage()
    message["Subject"] = _one_line(row.subject or "")
    message["From"] = _one_line(sender)
    message["To"] = _one_line(row.to_email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = _one_line(row.message_id)
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


def _step(
    records: list[_Outcome], renew: list[int], worker: str, until: datetime
) -> tuple[set[int], set[int]]:
    """One short write transaction between sends.

    Records the outcomes decided since the last step, each only while its claim is
    still held, and extends the claim on the next messages just before they are sent.
    Returns (ids recorded, ids still held). Prebuilt Core statements: this runs often.
    """
    write_transaction()
    connection = db.session.connection()
    recorded: set[int] = set()
    if records:
        # Which of them we still hold (locked until commit), then one executemany each.
        ids = [o.row_id for o in records]
        recorded = set(connection.execute(_HELD, {"b_ids": ids, "b_worker": worker}).scalars())
        by_statement: dict[frozenset[str], list[dict[str, Any]]] = {}
        for o in records:
            if o.row_id in recorded:
                params = {"b_id": o.row_id, "b_worker": worker}
                params.update({f"v_{name}": value for name, value in o.values.items()})
                by_statement.setdefault(frozenset(o.values), []).append(params)
        for columns, params_list in by_statement.items():
            connection.execute(_record_statement(columns), params_list)
    held: set[int] = set()
    if renew:
        result = connection.execute(_RENEW, {"b_ids": renew, "b_worker": worker, "v_until": until})
        held = {row_id for (row_id,) in result}
    db.session.commit()
    return recorded, held


_OUTBOX = OutboxMessage.__table__
_RENEW = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("b_ids", expanding=True)),
        _OUTBOX.c.claimed_by == bindparam("b_worker"),
        _OUTBOX.c.status == STATUS_QUEUED,
    )
    .values(lease_until=bindparam("v_until"))
    .returning(_OUTBOX.c.id)
)
_HELD = (
    select(_OUTBOX.c.id)
    .where(
        _OUTBOX.c.id.in_(bindparam("b_ids", expanding=True)),
        _OUTBOX.c.claimed_by == bindparam("b_worker"),
    )
    .with_for_update()
)
_RECORD_STATEMENTS: dict[frozenset[str], Any] = {}


def _record_statement(columns: frozenset[str]) -> Any:
    """UPDATE ... SET the given columns, releasing the claim, only while we hold it."""
    statement = _RECORD_STATEMENTS.get(columns)
    if statement is None:
        statement = (
            update(_OUTBOX)
            .where(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.claimed_by == bindparam("b_worker"))
            .values(
                claimed_by=None,
                lease_until=None,
                **{name: bindparam(f"v_{name}") for name in sorted(columns)},
            )
        )
        _RECORD_STATEMENTS[columns] = statement
    return statement


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
    keep_open: bool = False,
) -> DeliveryReport:
    """Claim one batch of due messages and try each once. Safe to run concurrently.

    The backend is closed at the end unless keep_open (the caller delivers several
    batches over one connection and closes it).

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
        if not keep_open:
            backend.close()
        return report
    outgoing = _render_claimed(ids, worker, report)
    done: list[_Outcome] = []  # decided since the last step, recorded by the next one
    asked: set[int] = set()  # ids the last renewal covered
    held: set[int] = set()  # ... and still held then
    renewed_at = now or clock()
    try:
        for index, item in enumerate(outgoing):
            now = clock()
            if item.id not in asked or now - renewed_at >= policy.lease / 2:
                group = [o.id for o in outgoing[index : index + max(policy.renew_group, 1)]]
                recorded, held = _step(done, group, worker, now + policy.lease)
                _count(done, recorded, report)
                done, asked, renewed_at = [], set(group), now
            if item.id not in held:
                report.lost_lease += 1
                continue
            outcome = _send(item, backend, sender, policy, clock, now, report)
            done.append(outcome)
            if outcome.unreachable_until is not None:
                # The server is unreachable: one wait for the timeout per batch, not per
                # message. The rest go back to the queue, untried, until the retry time.
                recorded, _ = _step(done, [], worker, now)
                _count(done, recorded, report)
                done = []
                rest = [other.id for other in outgoing[index + 1 :]]
                report.deferred += _release(rest, worker, outcome.unreachable_until)
                break
    finally:
        if done:  # the last outcomes (or those decided before an error)
            db.session.rollback()
            recorded, _ = _step(done, [], worker, clock())
            _count(done, recorded, report)
        if not keep_open or report.deferred:
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


def _render_claimed(ids: list[int], worker: str, report: DeliveryReport) -> list[Outgoing]:
    """Render the claimed rows that have no content yet and read what every held row
    needs for sending, in one transaction (no query per message afterwards).

    The content is stored with one executemany UPDATE rather than an ORM flush per row.
    """
    from campaign.signups.models import Registration

    write_transaction()
    rows = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claimed_by == worker,
                OutboxMessage.status == STATUS_QUEUED,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        )
    )
    fresh = [r for r in rows if r.subject is None]
    registration_ids = [r.registration_id for r in fresh if r.registration_id]
    # One query instead of one per row; kept referenced, as the session only holds weakly.
    registrations = list(
        db.session.scalars(select(Registration).where(Registration.id.in_(registration_ids)))
        if registration_ids
        else []
    )
    outgoing, contents = [], []
    for row in rows:
        if row.subject is None:
            row_id = row.id
            try:
                rendered = mail_services.renderer_for(row.kind)(row)
            except mail_services.CannotRender as exc:
                _fail_unrendered(row, str(exc), report)
                continue
            except Exception as exc:
                # A bug in a renderer (or the database failing under it) must not block
                # the queue: store nothing of this batch, fail that row, give the rest back.
                log.exception("deliver: message %s could not be rendered", row_id)
                db.session.rollback()
                _abandon_batch(ids, worker, row_id, f"could not be rendered ({type(exc).__name__})")
                report.failed += 1
                report.deferred += len(rows) - 1
                return []
            content = {
                "subject": rendered.subject,
                "text_body": rendered.text,
                "html_body": rendered.html,
                "headers": dict(rendered.headers),
                "ics": rendered.ics,
            }
            contents.append(
                {"b_id": row.id, "b_worker": worker, **{f"v_{k}": v for k, v in content.items()}}
            )
        else:
            content = {
                "subject": row.subject,
                "text_body": row.text_body or "",
                "html_body": row.html_body or "",
                "headers": dict(row.headers or {}),
                "ics": row.ics,
            }
        outgoing.append(
            Outgoing(
                id=row.id,
                attempts=row.attempts,
                to_email=row.to_email,
                message_id=row.message_id,
                **content,
            )
        )
    if contents:  # kept, so every retry sends exactly the same message
        db.session.connection().execute(_STORE_CONTENT, contents)
    db.session.commit()
    del registrations
    return outgoing


_STORE_CONTENT = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("b_id"),
        _OUTBOX.c.claimed_by == bindparam("b_worker"),
        _OUTBOX.c.subject.is_(None),
    )
    .values(
        subject=bindparam("v_subject"),
        text_body=bindparam("v_text_body"),
        html_body=bindparam("v_html_body"),
        headers=bindparam("v_headers"),
        ics=bindparam("v_ics"),
    )
)


def _abandon_batch(ids: list[int], worker: str, failed_id: int, reason: str) -> None:
    """Fail one row and release our other claims of the batch, untried, due at once."""
    write_transaction()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == failed_id, OutboxMessage.claimed_by == worker)
        .values(
            status=STATUS_FAILED,
            last_error=f"not sent: {reason}",
            claimed_by=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker)
        .values(claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _fail_unrendered(row: OutboxMessage, reason: str, report: DeliveryReport) -> None:
    row.status = STATUS_FAILED
    row.last_error = f"not sent: {reason}"
    row.claimed_by = None
    row.lease_until = None
    report.failed += 1


@dataclass
class _Outcome:
    """What one send attempt decided, waiting to be recorded."""

    row_id: int
    values: dict[str, Any]
    is_sent: bool = False
    unreachable_until: datetime | None = None


def _count(outcomes: list[_Outcome], recorded: set[int], report: DeliveryReport) -> None:
    """A sent message counts once its outcome is stored while we still held it."""
    for outcome in outcomes:
        if not outcome.is_sent:
            continue
        if outcome.row_id in recorded:
            report.sent += 1
        else:
            report.lost_lease += 1
            log.warning("deliver: message %s sent but its claim was taken over", outcome.row_id)


def _send(
    item: Outgoing,
    backend: Backend,
    sender: str,
    policy: DeliveryPolicy,
    clock: Any,
    now: datetime,
    report: DeliveryReport,
) -> _Outcome:
    """Try one message once; what to record (the caller stores it)."""
    attempts = item.attempts + 1
    message = build_message(item, sender, now)
    try:
        backend.open()
        backend.send(message)
    except PermanentError as exc:
        report.failed += 1
        values = {"status": STATUS_FAILED, "attempts": attempts, "last_error": str(exc)[:1000]}
        return _Outcome(item.id, values)
    except TransientError as exc:
        report.errors.append(str(exc)[:200])
        retry_at = clock() + backoff(attempts, policy)
        unreachable = retry_at if isinstance(exc, ConnectionFailed) else None
        if attempts >= policy.max_attempts:
            report.failed += 1
            values = {
                "status": STATUS_FAILED,
                "attempts": attempts,
                "last_error": f"gave up after {attempts} attempts: {exc}"[:1000],
            }
            return _Outcome(item.id, values, unreachable_until=unreachable)
        report.retried += 1
        values = {"attempts": attempts, "last_error": str(exc)[:1000], "next_attempt_at": retry_at}
        return _Outcome(item.id, values, unreachable_until=unreachable)
    values = {"status": STATUS_SENT, "attempts": attempts, "sent_at": clock(), "last_error": None}
    return _Outcome(item.id, values, is_sent=True)


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
