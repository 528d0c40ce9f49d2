"""Claiming outbox rows: several claimers over 20,000 due rows claim each exactly once (on
SQLite and on PostgreSQL), a claim of N never returns more than N even on a table
PostgreSQL has never analysed; a deliverer renews its lease through a batch longer than
the lease, and one whose renewals stop loses its rows without sending any twice; a
scheduler's SCHEDULER_ID is held by one process at a time and a restart takes back what
its previous run held."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail import claims, delivery, steps
from campaign.mail import policy as mail_policy
from campaign.mail.backends import SMTPBackend, SMTPSettings
from campaign.mail.models import OutboxMessage
from campaign.reminders import mails
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.reminders.conftest import base_time, bulk_outbox, bulk_registrations, rows
from tests.support.polling import wait_until

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
                while ids := claims.claim(f"claimer-{n}", now, batch, LEASE):
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
            ids = claims.claim(worker, utcnow(), 50, LEASE)
            assert 0 < len(ids) <= 50, (worker, len(ids))
            held = db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.claimed_by == worker)
            )
            db.session.rollback()
            assert held == len(ids), (worker, held)


def slow_batch(app, smtp, event_at, count: int):  # type: ignore[no-untyped-def]
    """`count` reminders queued, a server taking 0.2 s a message, SMTP settings."""
    start = base_time()
    event = event_at(start)
    bulk_registrations(event.id, count, start - 10 * timedelta(days=1))
    now = utcnow()
    for registration in db.session.scalars(select(Registration).order_by(Registration.id)):
        mails.queue_reminder(registration, 7 * 24 * 60, now)
    db.session.commit()
    smtp.handler.delay = 0.2
    return SMTPSettings(host="127.0.0.1", port=smtp.port, security="none", timeout=5)


def race(app, smtp, settings, count: int, policy):  # type: ignore[no-untyped-def]
    """Deliverer A runs one batch; B, once A is sending, claims and delivers what it can
    until every message is in. Returns (A's report, B's reports)."""
    reports: dict[str, list[delivery.DeliveryReport]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def deliverer(name: str) -> None:
        try:
            with app.app_context():
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    if sum(r.sent for rs in reports.values() for r in rs) >= count:
                        break
                    if name == "a" and reports["a"]:
                        break  # A runs one slow batch
                    report = delivery.deliver_due(
                        SMTPBackend(settings),
                        app.config["MAIL_SENDER"],
                        policy,
                        f"deliverer-{name}",
                    )
                    reports[name].append(report)
                    time.sleep(0.05)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    thread_a = threading.Thread(target=deliverer, args=("a",))
    thread_b = threading.Thread(target=deliverer, args=("b",))
    thread_a.start()
    wait_until(lambda: smtp.attempts, 30, "A sending the batch it claimed")
    thread_b.start()
    thread_a.join(30)
    thread_b.join(30)
    assert not errors, errors
    [a] = reports["a"]
    return a, reports["b"]


def test_a_deliverer_keeps_its_claim_through_a_batch_longer_than_its_lease(app, smtp, event_at):
    """A 1-second lease, a batch of 16 taking over 3 s: A renews its lease while it works,
    so B, polling all along, finds nothing to take and nothing is sent twice."""
    settings = slow_batch(app, smtp, event_at, 16)
    policy = mail_policy.DeliveryPolicy(batch_size=16, lease=timedelta(seconds=1))
    a, b_reports = race(app, smtp, settings, 16, policy)
    assert (a.claimed, a.sent, a.lost_lease) == (16, 16, 0), a
    assert sum(r.claimed for r in b_reports) == 0, b_reports
    assert sorted(smtp.received_ids().values()) == [1] * 16
    assert {r.status for r in rows()} == {"sent"}


def test_a_deliverer_whose_renewals_stop_loses_its_rows_and_sends_none_of_them(
    app, smtp, event_at, monkeypatch
):
    """A frozen (or cut off from the database) deliverer stops renewing: once its lease
    runs out B takes the rest, and A, carrying on, notices and sends none of them."""
    monkeypatch.setattr(claims.LeaseKeeper, "_run", lambda self: None)  # renewals stop
    settings = slow_batch(app, smtp, event_at, 16)
    policy = mail_policy.DeliveryPolicy(batch_size=16, lease=timedelta(seconds=1))
    a, b_reports = race(app, smtp, settings, 16, policy)
    b_sent = sum(r.sent for r in b_reports)
    assert a.claimed == 16 and a.lost_lease > 0 and b_sent > 0, (a, b_reports)
    assert a.sent + b_sent == 16
    assert sorted(smtp.received_ids().values()) == [1] * 16, "a message was sent twice"
    assert {r.status for r in rows()} == {"sent"}


def scheduler_ids_on(app) -> None:  # type: ignore[no-untyped-def]
    with claims.scheduler_worker_id("alpha") as first:
        assert first == "alpha"
        with claims.scheduler_worker_id("alpha") as second:
            assert second != "alpha" and second.count(":") == 2  # a random one instead
        with claims.scheduler_worker_id("beta") as other:
            assert other == "beta"
    with claims.scheduler_worker_id("alpha") as again:  # free once the first has stopped
        assert again == "alpha"
    with claims.scheduler_worker_id("") as random_id:
        assert random_id.count(":") == 2


def test_a_scheduler_id_is_held_by_one_process_at_a_time(app, smtp):
    """On this run's database (SQLite unless TEST_DATABASE_URL is set)."""
    scheduler_ids_on(app)
    with pytest.raises(ValueError, match="SCHEDULER_ID"), claims.scheduler_worker_id("a b"):
        pass


def test_a_scheduler_id_is_held_by_one_process_at_a_time_on_postgres(pg_app, smtp):
    with pg_app.app_context():
        scheduler_ids_on(pg_app)


def test_a_restarted_scheduler_takes_back_its_rows_at_once(app, smtp):
    now = utcnow()
    bulk_outbox(30, now - timedelta(seconds=1))
    held = claims.claim("alpha", now, 20, timedelta(hours=1))  # then the process died
    assert len(held) == 20
    assert claims.claim("someone-else", now, 100, LEASE) != held  # the other 10 only
    with claims.scheduler_worker_id("alpha") as worker:
        assert sorted(claims.claim(worker, now, 100, LEASE)) == sorted(held)


@with_config(SCHEDULER_ID="two words")
def test_the_scheduler_refuses_an_unusable_id_with_a_message(app, runner):
    result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 1
    assert "SCHEDULER_ID must be 1 to 60 letters, digits or . _ @ -" in result.output


def locked_for(seconds: float, row_id: int) -> threading.Thread:
    """Another transaction (as a lease renewal does) holds `row_id` for `seconds`."""
    locked, engine = threading.Event(), db.engine

    def hold() -> None:
        with engine.connect() as connection, connection.begin():
            connection.execute(
                select(OutboxMessage.id).where(OutboxMessage.id == row_id).with_for_update()
            )
            locked.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(5)
    return thread


@pytest.mark.parametrize(("held", "expected"), [(0.03, (True, "")), (2.0, (False, "held_back"))])
def test_a_row_locked_for_a_moment_is_sent_and_one_kept_locked_waits_its_turn(
    pg_app, held, expected
):
    """The mark skips a row another transaction holds (SKIP LOCKED; SQLite has no row
    locks). Held for a moment, as by our own lease renewal: it is tried again and goes.
    Held on: it goes later, rather than the step waiting behind the lock."""
    with pg_app.app_context():
        now = utcnow()
        bulk_outbox(1, now - timedelta(seconds=1))
        [row_id] = claims.claim("w", now, 10, LEASE)
        holder = locked_for(held, row_id)
        with steps.step_connection() as connection:
            result = steps.step(connection, None, row_id, "w", now, LEASE, timedelta(minutes=1))
        holder.join()
        assert (result.go, result.why) == expected
        db.session.remove()
