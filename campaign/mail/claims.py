"""Who sends which outbox row: claims and leases.

A deliverer claims a batch of due rows (claimed_by, lease_until) and a LeaseKeeper
thread renews the batch's leases while it works, so the lease can be short: the rows of
a deliverer that was killed are claimable again within one lease, and a scheduler
restarted under the same worker id (SCHEDULER_ID) takes its own rows back at once
(take_back()).


Then, per message, a short write transaction checks the row just before its send
(campaign/mail/steps.py). A scheduler's own worker id is held exclusively here too
(scheduler_worker_id).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import random
import re
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, text, update

from campaign.core.database import changed_rows, table_of, write_transaction
from campaign.extensions import db
from campaign.mail.models import STATUS_QUEUED, OutboxMessage

log = logging.getLogger(__name__)

OUTBOX = table_of(OutboxMessage)
LOCKED = OUTBOX.alias("locked")


def free(*conditions: Any) -> Any:
    """Rows matching `conditions` that no other transaction holds (PostgreSQL: locked here
    FOR UPDATE SKIP LOCKED). Every write a deliverer makes after its first, in one
    transaction, goes through this, so it never waits holding a row another writer wants:
    no deadlock with a withdrawal, which locks its rows in id order (withdraw_queued)."""
    return OUTBOX.c.id.in_(select(LOCKED.c.id).where(*conditions).with_for_update(skip_locked=True))


def worker_id() -> str:
    """host:pid:random, unique per deliverer."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{random.getrandbits(32):08x}"


def claim(worker: str, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Atomically claim up to `limit` due rows for `worker`; returns their ids.

    A row is claimable when due, queued, and unclaimed or its lease run out.
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


def take_back(worker: str) -> int:
    """Free every row still claimed under `worker` (a scheduler starting under its own
    SCHEDULER_ID, which it holds exclusively: the rows are those of its previous run,
    which was killed). They are claimable at once instead of after their lease; the
    one it may have had on its way is sent again. Returns how many."""
    write_transaction()
    result = db.session.execute(
        update(OUTBOX)
        .where(free(LOCKED.c.claimed_by == worker))
        .values(claimed_by=None, lease_until=None)
    )
    db.session.commit()
    return changed_rows(result)


def release(row_ids: list[int], worker: str) -> int:
    """Give back the rows of a batch we still hold and are not sending: untried, no
    attempt counted, due as before. Returns how many (a row another transaction holds
    right now keeps our claim until its lease runs out)."""
    if not row_ids:
        return 0
    write_transaction()
    result = db.session.execute(
        update(OUTBOX)
        .where(
            free(
                LOCKED.c.id.in_(row_ids),
                LOCKED.c.claimed_by == worker,
                LOCKED.c.sending_at.is_(None),
            )
        )
        .values(claimed_by=None, lease_until=None)
    )
    db.session.commit()
    return changed_rows(result)


# --- leases kept while working -----------------------------------------------------------


class LeaseKeeper:
    """Renews a batch's leases every third of a lease, from a thread with its own
    database connection, while the deliverer works (a send can take longer than a lease).

    Stops renewing when the deliverer is done or dies with its process; a renewal that
    fails (the database away) is logged and tried again at the next interval.
    """

    def __init__(
        self, worker: str, row_ids: list[int], lease: timedelta, clock: Callable[[], datetime]
    ) -> None:
        self.worker = worker
        self.row_ids = list(row_ids)
        self.lease = lease
        self.clock = clock
        self.engine = db.engine
        self.renewals = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            params = {
                "b_ids": self.row_ids,
                "b_worker": self.worker,
                "v_until": self.clock() + self.lease,
            }
            try:
                with self.engine.begin() as connection:
                    connection.execute(_RENEW, params)
                self.renewals += 1
            except Exception as exc:  # the next interval tries again
                log.warning("deliver: could not renew the lease (%s)", type(exc).__name__)


_RENEW = (
    update(OUTBOX)
    .where(
        free(
            LOCKED.c.id.in_(bindparam("b_ids", expanding=True)),
            LOCKED.c.claimed_by == bindparam("b_worker"),
        )
    )
    .values(lease_until=bindparam("v_until"))
)


# --- a scheduler's own worker id ---------------------------------------------------------

_WORKER_ID = re.compile(r"[A-Za-z0-9._@-]{1,60}")


@contextlib.contextmanager
def scheduler_worker_id(configured: str) -> Iterator[str]:
    """The id a scheduler claims mail under for as long as it runs.

    The configured SCHEDULER_ID when set, so a restarted scheduler takes back at once the
    rows it held; it is held exclusively (a PostgreSQL advisory lock, or a lock file
    beside the SQLite database) and when another live process holds it already, a random
    id is used instead, with a warning, so two processes never share one. Empty: random.
    """
    configured = (configured or "").strip()
    if not configured:
        yield worker_id()
        return
    if not _WORKER_ID.fullmatch(configured):
        raise ValueError(
            "SCHEDULER_ID must be 1 to 60 letters, digits or . _ @ - (for example the host name)"
        )
    with _exclusive(configured) as held:
        if held:
            taken = take_back(configured)
            log.info("scheduler: claiming mail as %s (took back %d)", configured, taken)
            yield configured
        else:
            fallback = worker_id()
            log.warning(
                "scheduler: another running scheduler uses the id %s; using %s instead",
                configured,
                fallback,
            )
            yield fallback


@contextlib.contextmanager
def _exclusive(name: str) -> Iterator[bool]:
    """Hold a lock named `name` in the database's scope while the block runs."""
    engine = db.engine
    digest = hashlib.sha256(f"campaign-scheduler:{name}".encode()).digest()
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(digest[:8], "big", signed=True)
        with engine.connect() as connection:
            held = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            )
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    with contextlib.suppress(Exception):
                        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True
        return
    path = f"{os.path.abspath(database)}.scheduler-{digest[:6].hex()}.lock"
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock
