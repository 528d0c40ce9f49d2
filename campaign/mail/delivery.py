"""Delivering the outbox: claim due rows, send each at most once per attempt, record what
really happened.

Several deliverers may run at once (scheduler processes on one PostgreSQL database).
Claims and leases live in campaign/mail/claims.py and the per-message check in
campaign/mail/steps.py: a message is sent only after a step marks it as on its way
(still queued, still ours), and its
outcome is recorded only where it is still as expected, so a withdrawn message is never
sent and a deliverer that dies re-sends at most the one message it had on the wire.

What a failure is charged to:
- the server, when it cannot take mail (no connection, no greeting, a refused login or
  sender, a 421, no answer before the message went out): no message is charged an
  attempt, the batch goes back to the queue untried and the deliverer backs off as a
  whole (Outage, with jitter) until it tries again;
- the message, when the answer is about it: a 4xx delays that message (backoff), the
  round goes on with the others; a 5xx fails it; no answer after its content went out
  is an unknown outcome, retried later (never at once) and counted.
The content of the whole batch is read once, with the rendering, not once per message.
The policies live in campaign/mail/policy.py, the MIME message in campaign/mail/mime.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from campaign.core.database import table_of, write_transaction
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail import claims, steps
from campaign.mail import services as mail_services
from campaign.mail.backends import (
    Backend,
    OutcomeUnknown,
    PermanentError,
    ServerUnavailable,
    TransientError,
)
from campaign.mail.mime import Outgoing, build_message
from campaign.mail.models import STATUS_FAILED, STATUS_QUEUED, STATUS_SENT, OutboxMessage
from campaign.mail.policy import DeliveryPolicy, backoff, running_clock

log = logging.getLogger(__name__)

worker_id = claims.worker_id
DEFAULT_POLICY = DeliveryPolicy()


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0  # sent, but no answer came: retried later (counted in retried too)
    withdrawn: int = 0  # withdrawn after the claim, before being sent: not sent
    sent_while_withdrawn: int = 0  # on its way when withdrawn; sent (counted in sent too)
    held_back: int = 0  # another message to the same registrant was on its way
    lost_lease: int = 0
    deferred: int = 0  # given back untried: the server could not take mail
    unavailable: str | None = None  # why the server could not take mail, if it could not
    errors: list[str] = field(default_factory=list)


def deliver_due(
    backend: Backend,
    sender: str,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    worker: str | None = None,
    now: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
    keep_open: bool = False,
) -> DeliveryReport:
    """Claim one batch of due messages and try each once. Safe to run concurrently.

    The backend is closed at the end unless keep_open (the caller delivers several
    batches over one connection and closes it); it is closed anyway when the server
    could not take mail.

    With `now` given, the clock starts there and runs at the real pace, so the leases,
    the retry times and sent_at agree with the claim.
    """
    worker = worker or claims.worker_id()
    report = DeliveryReport()
    if _stopping.is_set():  # shutting down: claim nothing more
        if not keep_open:
            backend.close()
        return report
    clock = running_clock(now, clock)
    ids = claims.claim(worker, clock(), policy.batch_size, policy.lease)
    report.claimed = len(ids)
    if ids:
        with claims.LeaseKeeper(worker, ids, policy.lease, clock):
            try:
                outgoing = _render_claimed(ids, worker, report)
                if outgoing:
                    _deliver(outgoing, backend, sender, policy, worker, clock, report)
            finally:
                report.deferred += _give_back(ids, worker)
    if not keep_open or report.unavailable:
        backend.close()
    if report.claimed:
        log.info(
            "deliver: claimed %d, sent %d, retry %d (outcome unknown %d), failed %d, "
            "withdrawn %d, held back %d, lost lease %d, deferred %d",
            report.claimed,
            report.sent,
            report.retried,
            report.unknown,
            report.failed,
            report.withdrawn,
            report.held_back,
            report.lost_lease,
            report.deferred,
        )
    return report


def _deliver(
    outgoing: list[Outgoing],
    backend: Backend,
    sender: str,
    policy: DeliveryPolicy,
    worker: str,
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> None:
    """Send the rendered batch, one step (record the last, mark the next) per message."""
    try:
        backend.open()
    except ServerUnavailable as exc:
        _unavailable(str(exc), report)
        return
    with steps.step_connection() as connection:
        pending: steps.Outcome | None = None
        try:
            for item in outgoing:
                if _stopping.is_set():
                    break  # shutting down: the rest go back at once, untried (_give_back)
                result = steps.step(
                    connection, pending, item.id, worker, clock(), policy.lease, policy.hold_back
                )
                _count(pending, result.recorded, report)
                pending = None
                if not result.go:
                    if result.why == "withdrawn":
                        report.withdrawn += 1
                    elif result.why == "held_back":
                        report.held_back += 1
                    else:
                        report.lost_lease += 1
                    continue
                pending = _send(item, backend, sender, policy, clock, report)
                if report.unavailable:
                    break  # the server cannot take mail: the rest go back untried
        finally:
            if pending is not None:  # the last outcome (or the one decided before an error)
                result = steps.step(
                    connection, pending, None, worker, clock(), policy.lease, policy.hold_back
                )
                _count(pending, result.recorded, report)


def _send(
    item: Outgoing,
    backend: Backend,
    sender: str,
    policy: DeliveryPolicy,
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> steps.Outcome:
    """Try one message once; what to record (the next step stores it)."""
    attempts = item.attempts + 1
    message = build_message(item, sender, clock())
    try:
        backend.send(message)
    except PermanentError as exc:
        report.failed += 1
        return steps.Outcome(item.id, steps.FAILED, STATUS_FAILED, 1, str(exc)[:1000])
    except ServerUnavailable as exc:
        # Not tried: nothing was sent. It waits a moment so that, should it be this
        # message the server chokes on, the others go first next time.
        _unavailable(str(exc), report)
        return steps.Outcome(
            item.id,
            steps.UNTRIED,
            STATUS_QUEUED,
            0,
            f"not tried yet: {exc}"[:1000],
            retry_at=clock() + policy.hold_back,
        )
    except TransientError as exc:
        retry_at = clock() + backoff(attempts, policy)
        kind = steps.RETRY
        error = str(exc)
        if isinstance(exc, OutcomeUnknown):
            # It may have arrived: never sent again at once. A server that takes mail and
            # then does not answer is in trouble, so the deliverer backs off too.
            kind = steps.UNKNOWN
            report.unknown += 1
            error = f"outcome unknown, retried at {retry_at:%d %b %H:%M} UTC: {exc}"
            report.unavailable = f"no answer after a message was sent: {exc}"[:300]
        report.errors.append(error[:200])
        if attempts >= policy.max_attempts:
            report.failed += 1
            error = f"gave up after {attempts} attempts: {error}"
            return steps.Outcome(item.id, kind, STATUS_FAILED, 1, error[:1000])
        report.retried += 1
        return steps.Outcome(item.id, kind, STATUS_QUEUED, 1, error[:1000], retry_at=retry_at)
    return steps.Outcome(item.id, steps.SENT, STATUS_SENT, 1, sent_at=clock())


def _unavailable(reason: str, report: DeliveryReport) -> None:
    report.unavailable = reason[:300]
    report.errors.append(reason[:200])


def _count(outcome: steps.Outcome | None, recorded: str | None, report: DeliveryReport) -> None:
    """A sent message counts once its outcome is stored while we still held it."""
    if outcome is None or outcome.kind != steps.SENT:
        return
    if recorded == "queued":
        report.sent += 1
    elif recorded == "withdrawn":
        report.sent += 1
        report.sent_while_withdrawn += 1
    else:
        report.lost_lease += 1
        log.warning("deliver: message %s sent but its claim was taken over", outcome.row_id)


def _give_back(ids: list[int], worker: str) -> int:
    """Release what is left of the batch; a database error here only delays those rows
    until their lease runs out."""
    try:
        released = claims.release(ids, worker)
    except Exception:
        log.exception("deliver: could not give back the rest of the batch")
        db.session.rollback()
        return 0
    if released and _stopping.is_set():
        log.info("deliver: stopping; gave back %d claimed messages", released)
    return released


def _render_claimed(ids: list[int], worker: str, report: DeliveryReport) -> list[Outgoing]:
    """Render the claimed rows that have no content yet and read what every held row
    needs for sending, in one transaction (no query per message afterwards).

    The content is stored with one executemany UPDATE rather than an ORM flush per row.
    What depends only on the event and the language is worked out once for the batch
    (mail_services.rendering_batch).
    """
    with mail_services.rendering_batch():
        return _render_rows(ids, worker, report)


def _render_rows(ids: list[int], worker: str, report: DeliveryReport) -> list[Outgoing]:
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
    outgoing: list[Outgoing] = []
    contents: list[dict[str, Any]] = []
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
            item = Outgoing.of(
                row, rendered.subject, rendered.text, rendered.html, rendered.headers, rendered.ics
            )
            contents.append(
                {
                    "b_id": row.id,
                    "b_worker": worker,
                    "v_subject": item.subject,
                    "v_text_body": item.text_body,
                    "v_html_body": item.html_body,
                    "v_headers": item.headers,
                    "v_ics": item.ics,
                }
            )
        else:
            item = Outgoing.of(
                row, row.subject, row.text_body or "", row.html_body or "", row.headers, row.ics
            )
        outgoing.append(item)
    if contents:  # kept, so every retry sends exactly the same message; in id order,
        # the order withdrawals lock rows in (no deadlock with one)
        contents.sort(key=lambda params: int(params["b_id"]))
        db.session.connection().execute(_STORE_CONTENT, contents)
    db.session.commit()
    del registrations
    return outgoing


_OUTBOX = table_of(OutboxMessage)
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


_stopping = threading.Event()


def request_stop() -> None:
    """Shutting down (SIGTERM, Ctrl-C): every deliverer in this process finishes the
    message it is sending, records it and gives the rest of its batch back at once, so
    another scheduler takes it without waiting for the lease."""
    _stopping.set()


def stop_requested() -> bool:
    """Whether request_stop() was called in this process."""
    return _stopping.is_set()
