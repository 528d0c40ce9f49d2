"""The check just before each send, and what happened recorded after it.

Per message, one short write transaction (step()) records what happened to the
previous message and marks the next one as on its way (sending_at), each only while the
row is still as expected:

- the mark needs status 'queued', our claim, and no other message to the same
  registration on its way (a cancellation notice waits for the reminder on the wire).
  A withdrawal (status set to 'cancelled') that commits before the mark wins and the
  message is never sent; one that commits after it finds the message already on its
  way, and the deliverer records it as sent before the withdrawal.
- the record sets the outcome only where the status is still 'queued'; a row withdrawn
  while on its way keeps 'cancelled' unless the server took it (then 'sent', with a
  note saying it was on its way when withdrawn).

A deliverer killed between a send and the next step leaves that one message on its
way; it is sent again when its lease runs out. Nothing else is ever sent twice.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Text, bindparam, exists, func, select, update
from sqlalchemy.engine import Connection

from campaign.core.types import UTCDateTime
from campaign.extensions import db
from campaign.mail.claims import LOCKED, OUTBOX, free
from campaign.mail.models import STATUS_CANCELLED, STATUS_QUEUED

SENT, FAILED, RETRY, UNKNOWN, UNTRIED = "sent", "failed", "retry", "unknown", "untried"

# What a row withdrawn while on its way says afterwards, after its withdrawal reason.
_WITHDRAWN_NOTES = {
    SENT: " (it was already on its way, and was sent)",
    UNKNOWN: " (it was on its way and the server did not confirm it: it may have arrived)",
}


@dataclass(frozen=True)
class Outcome:
    """What one attempt at a message decided; the next step records it."""

    row_id: int
    kind: str  # SENT, FAILED, RETRY, UNKNOWN or UNTRIED
    status: str  # for a row still queued: sent, failed or queued
    charge: int  # attempts to add: 0 when the message itself was not tried
    error: str | None = None
    retry_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class StepResult:
    """recorded: 'queued' (the outcome as decided), 'withdrawn' (the row had been
    withdrawn meanwhile) or 'lost' (the claim was taken over), None without an outcome;
    go: the next message is marked and may be sent; otherwise why not: 'withdrawn',
    'lost' or 'held_back' (another message to the same registrant is on its way)."""

    recorded: str | None
    go: bool
    why: str = ""


@contextlib.contextmanager
def step_connection() -> Iterator[Connection]:
    """A connection of its own for a batch's steps: a plain Core transaction per step
    costs half what a session's does (BEGIN IMMEDIATE on SQLite)."""
    connection = db.engine.connect()
    if connection.dialect.name == "sqlite":
        connection = connection.execution_options(sqlite_immediate=True)
    try:
        yield connection
    finally:
        connection.close()


def step(
    connection: Connection,
    outcome: Outcome | None,
    next_id: int | None,
    worker: str,
    now: datetime,
    lease: timedelta,
    hold_back: timedelta,
) -> StepResult:
    """Record `outcome` and mark `next_id` as on its way, in one short write transaction."""
    with connection.begin():
        recorded = None
        if outcome is not None:
            recorded = _record(connection, outcome, worker)
        go, why = False, ""
        if next_id is not None:
            params = {"b_id": next_id, "b_worker": worker, "b_now": now, "v_until": now + lease}
            for pause in _BUSY_PAUSES:
                go = connection.execute(_MARK, params).rowcount == 1
                if go:
                    why = ""
                    break
                why = _not_sendable(connection, next_id, worker, now, hold_back)
                if why != _BUSY:
                    break
                time.sleep(pause)
            if why == _BUSY:  # still held by another transaction: it goes later
                why = _give_back(connection, next_id, worker, now + hold_back)
    return StepResult(recorded, go, why)


def _record(connection: Any, outcome: Outcome, worker: str) -> str:
    """Store an outcome while we hold the claim; re-checks the status in the statement."""
    params = {
        "b_id": outcome.row_id,
        "b_worker": worker,
        "v_charge": outcome.charge,
        "v_sent_at": outcome.sent_at,
    }
    queued = {
        **params,
        "v_status": outcome.status,
        "v_error": outcome.error,
        "v_retry_at": outcome.retry_at,
    }
    if connection.execute(_RECORD_QUEUED, queued).rowcount == 1:
        return "queued"
    withdrawn = {
        **params,
        "v_status": "sent" if outcome.kind == SENT else STATUS_CANCELLED,
        "v_note": _WITHDRAWN_NOTES.get(outcome.kind, ""),
    }
    if connection.execute(_RECORD_WITHDRAWN, withdrawn).rowcount == 1:
        return "withdrawn"
    return "lost"


# A row can be locked for a moment by another transaction (our own lease renewal, or a
# withdrawal about to commit): the mark skips it (SKIP LOCKED) and is tried again after
# each of these pauses before the message is held back for later.
_BUSY = "busy"
_BUSY_PAUSES = (0.01, 0.05, 0.2, 0.0)


def _not_sendable(
    connection: Any, row_id: int, worker: str, now: datetime, hold_back: timedelta
) -> str:
    """Why a message could not be marked; gives back our claim on it where it cannot go.
    'busy': nothing stops it but a lock held by another transaction right now."""
    row = connection.execute(_STATE, {"b_id": row_id}).first()
    if row is None or row.claimed_by != worker:
        return "lost"
    if row.status != STATUS_QUEUED:
        connection.execute(_UNCLAIM, {"b_id": row_id, "b_worker": worker, "v_due": None})
        return "withdrawn"
    if connection.execute(_ANOTHER_ON_ITS_WAY, {"b_id": row_id, "b_now": now}).first() is None:
        return _BUSY
    return _give_back(connection, row_id, worker, now + hold_back)


def _give_back(connection: Any, row_id: int, worker: str, later: datetime) -> str:
    """Another message to the same registrant is on its way (or the row stays locked):
    this one goes after it."""
    connection.execute(_UNCLAIM, {"b_id": row_id, "b_worker": worker, "v_due": later})
    return "held_back"


_OTHER = OUTBOX.alias("other")


def _on_its_way(row: Any) -> tuple[Any, ...]:
    """Conditions on _OTHER: another message to `row`'s registration is on its way."""
    return (
        _OTHER.c.registration_id == row.c.registration_id,
        _OTHER.c.id != row.c.id,
        _OTHER.c.sending_at.is_not(None),
        _OTHER.c.claimed_by.is_not(None),
        _OTHER.c.lease_until >= bindparam("b_now"),
    )


# Our claim on the row a statement is about (every write below checks it).
_OURS = (OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.claimed_by == bindparam("b_worker"))
_MARK = (
    update(OUTBOX)
    .where(
        *_OURS,
        OUTBOX.c.status == STATUS_QUEUED,
        free(LOCKED.c.id == bindparam("b_id")),
        ~exists().where(*_on_its_way(OUTBOX)),
    )
    .values(sending_at=bindparam("b_now"), lease_until=bindparam("v_until"))
)
_DONE = {"claimed_by": None, "lease_until": None, "sending_at": None}


def _recording(status_was: str, **values: Any) -> Any:
    """The UPDATE that records an outcome on our claimed row while its status is still
    `status_was`: the new status, the attempts charged, when it was sent, our claim
    released, and `values` (what differs between a queued and a withdrawn row)."""
    return (
        update(OUTBOX)
        .where(*_OURS, OUTBOX.c.status == status_was)
        .values(
            status=bindparam("v_status"),
            attempts=OUTBOX.c.attempts + bindparam("v_charge", type_=Integer),
            sent_at=func.coalesce(bindparam("v_sent_at", type_=UTCDateTime()), OUTBOX.c.sent_at),
            **values,
            **_DONE,
        )
    )


_RECORD_QUEUED = _recording(
    STATUS_QUEUED,
    last_error=bindparam("v_error", type_=Text),
    next_attempt_at=func.coalesce(
        bindparam("v_retry_at", type_=UTCDateTime()), OUTBOX.c.next_attempt_at
    ),
)
_RECORD_WITHDRAWN = _recording(
    STATUS_CANCELLED,
    last_error=func.coalesce(OUTBOX.c.last_error, "withdrawn", type_=Text)
    + bindparam("v_note", type_=Text),
)
_STATE = select(OUTBOX.c.status, OUTBOX.c.claimed_by).where(OUTBOX.c.id == bindparam("b_id"))
_ANOTHER_ON_ITS_WAY = (
    select(_OTHER.c.id).where(*_on_its_way(OUTBOX), OUTBOX.c.id == bindparam("b_id")).limit(1)
)
_UNCLAIM = (
    update(OUTBOX)
    .where(*_OURS, free(LOCKED.c.id == bindparam("b_id")))
    .values(
        claimed_by=None,
        lease_until=None,
        next_attempt_at=func.coalesce(
            bindparam("v_due", type_=UTCDateTime()), OUTBOX.c.next_attempt_at
        ),
    )
)
