"""Claiming outbox rows: several claimers over 20,000 due rows claim each exactly once (on
SQLite and on PostgreSQL), a claim of N never returns more than N even on a table
PostgreSQL has never analysed, and a lease shorter than a slow batch sends nothing twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select, text

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail import delivery
from campaign.mail.backends import SMTPBackend, SMTPSettings
from campaign.mail.models import OutboxMessage
from campaign.reminders import mails
from campaign.signups.models import Registration
from tests.reminders.conftest import SECRET, base_time, bulk_outbox, bulk_registrations, rows

LEASE = timedelta(minutes=10)


def claim_concurrently(app: Flask, claimers: int, batch: int) -> list[list[int]]:
    """Start `claimers` threads at once, each claiming batches until none are left."""
    now = utcnow()
    found: list[list[int]] = [[] for _ in range(claimers)]
    errors: list[BaseException] = []
    start = threading.Barrier(claimers)

    def work(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                while ids := delivery.claim(f"claimer-{n}", now, batch, LEASE):
                    assert len(ids) <= batch
                    found[n].extend(ids)
                db.session.remove()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return found


def assert_claimed_exactly_once(found: list[list[int]], total: int) -> None:
    claimed = [row_id for ids in found for row_id in ids]
    assert len(claimed) == total, (len(claimed), total)
    assert len(set(claimed)) == total, "a row was claimed twice"
    assert all(found), [len(ids) for ids in found]  # everyone got some work
    owner = {row_id: f"claimer-{n}" for n, ids in enumerate(found) for row_id in ids}
    db.session.rollback()
    stored = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.claimed_by)).all())
    assert stored == owner


def test_claimers_over_20000_rows_claim_each_once(app, smtp):
    """On this run's database (SQLite unless TEST_DATABASE_URL is set)."""
    bulk_outbox(20_000, utcnow() - timedelta(seconds=1))
    found = claim_concurrently(app, claimers=4, batch=250)
    assert_claimed_exactly_once(found, 20_000)


def test_claimers_over_20000_rows_claim_each_once_on_postgres(pg_app, smtp):
    with pg_app.app_context():
        bulk_outbox(20_000, utcnow() - timedelta(seconds=1))
        found = claim_concurrently(pg_app, claimers=6, batch=250)
        assert_claimed_exactly_once(found, 20_000)


# Planner settings under which `UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP
# LOCKED)` re-runs the subquery for every row and claims the whole table (5,000 of 5,000
# on PostgreSQL 15); a table without statistics can get such a plan on its own.
NESTED_LOOP_ONLY = ("enable_hashagg", "enable_hashjoin", "enable_sort", "enable_material")


def test_a_claim_of_50_on_a_never_analysed_table_returns_at_most_50(pg_app, smtp):
    with pg_app.app_context():
        never = db.session.scalar(
            text("SELECT last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup = 0 "
                 "FROM pg_stat_user_tables WHERE relname = 'outbox'")
        )  # fmt: skip
        assert never, "the outbox table of a fresh database should have no statistics"
        bulk_outbox(5_000, utcnow() - timedelta(seconds=1))
        for worker, settings in (("default-plan", ()), ("nested-loop-plan", NESTED_LOOP_ONLY)):
            for setting in settings:
                db.session.execute(text(f"SET LOCAL {setting} = off"))
            ids = delivery.claim(worker, utcnow(), 50, LEASE)
            assert 0 < len(ids) <= 50, (worker, len(ids))
            held = db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.claimed_by == worker)
            )
            db.session.rollback()
            assert held == len(ids), (worker, held)


def test_a_lease_shorter_than_a_slow_batch_sends_nothing_twice(app, smtp, event_at):
    """Deliverer A claims everything with a 1-second lease and sends at 0.2 s a message;
    B claims what A has not reached when the lease runs out. A must notice and stop."""
    start = base_time()
    event = event_at(start)
    bulk_registrations(event.id, 16, start - 10 * timedelta(days=1))
    now = utcnow()
    for registration in db.session.scalars(select(Registration).order_by(Registration.id)):
        mails.queue_reminder(registration, 7 * 24 * 60, SECRET, now)
    db.session.commit()
    smtp.handler.delay = 0.2
    policy = delivery.DeliveryPolicy(batch_size=16, lease=timedelta(seconds=1))
    settings = SMTPSettings(host="127.0.0.1", port=smtp.port, security="none", timeout=5)
    reports: dict[str, list[delivery.DeliveryReport]] = {"a": [], "b": []}
    errors: list[BaseException] = []
    a_claimed = threading.Event()

    def deliverer(name: str) -> None:
        try:
            with app.app_context():
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    sent = sum(r.sent for rs in reports.values() for r in rs)
                    if sent >= 16:
                        break
                    if name == "b" and not a_claimed.wait(5):
                        break
                    report = delivery.deliver_due(
                        SMTPBackend(settings),
                        app.config["MAIL_SENDER"],
                        policy,
                        f"deliverer-{name}",
                    )
                    reports[name].append(report)
                    if name == "a":
                        break  # A runs one slow batch
                    time.sleep(0.05)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    thread_a = threading.Thread(target=deliverer, args=("a",))
    thread_b = threading.Thread(target=deliverer, args=("b",))
    thread_a.start()
    while not smtp.attempts:  # A has claimed the whole batch and is sending
        time.sleep(0.01)
    a_claimed.set()
    thread_b.start()
    thread_a.join(30)
    thread_b.join(30)
    assert not errors, errors

    [a] = reports["a"]
    b_sent = sum(r.sent for r in reports["b"])
    assert a.claimed == 16 and a.lost_lease > 0 and b_sent > 0, (a, reports["b"])
    assert a.sent + b_sent == 16
    assert sorted(smtp.received_ids().values()) == [1] * 16, "a message was sent twice"
    assert {r.status for r in rows()} == {"sent"}
