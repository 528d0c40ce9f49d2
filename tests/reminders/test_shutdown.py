"""Stopping a deliverer: on SIGTERM or Ctrl-C the scheduler finishes the message it is
sending, records it and gives the rest of its batch back at once (nothing stays claimed
until the lease runs out), exits 0 without a traceback; a second signal exits at once."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign.config import REPO_ROOT
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail import delivery, jobs
from campaign.mail.models import OutboxMessage
from campaign.reminders import jobs as reminder_jobs
from tests.reminders.conftest import bulk_registrations, rows
from tests.reminders.test_processes import (
    EMAIL,
    due_now,
    scheduler_env,
    start_scheduler,
)
from tests.support.polling import holds_for, wait_until
from tests.support.smtp import hung_server


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Schedulers the test started; any still running are killed at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.fixture
def stop_flag() -> Iterator[None]:
    """request_stop() is for the whole process: cleared again after the test."""
    yield
    delivery._stopping.clear()


def queue_due_reminders(event_at, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` reminders due now (real time), queued and committed."""
    event = due_now(event_at)
    bulk_registrations(event.id, count, utcnow() - timedelta(days=1))
    assert reminder_jobs.run_reminders(utcnow())["reminders"] == count
    db.session.commit()


def assert_nothing_claimed() -> None:
    """Every row that is still queued is free for the next deliverer, untried."""
    for row in rows():
        if row.status == "queued":
            assert (row.claimed_by, row.lease_until, row.attempts) == (None, None, 0), row.id
            assert row.next_attempt_at <= utcnow() + timedelta(seconds=1)


def test_a_stop_mid_batch_records_what_was_sent_and_gives_the_rest_back(
    app, smtp, event_at, stop_flag
):
    queue_due_reminders(event_at, 12)
    accepted = itertools.count(1)
    # The stop is asked for while the server accepts the third message, as a signal
    # arriving during a send would be.
    smtp.handler.temp_fail = lambda _mid, _seen: next(accepted) == 3 and delivery.request_stop()

    result = jobs.run_delivery(utcnow())
    db.session.rollback()

    assert (result["sent"], result["deferred"], result["claimed"]) == (3, 9, 12)
    assert len(smtp.received) == 3
    assert sorted(r.status for r in rows()) == ["queued"] * 9 + ["sent"] * 3
    assert_nothing_claimed()

    delivery._stopping.clear()  # another deliverer (or this one, restarted) takes the rest
    assert jobs.run_delivery(utcnow())["sent"] == 9
    db.session.rollback()
    assert {r.status for r in rows()} == {"sent"}
    assert set(smtp.received_ids().values()) == {1}


def test_a_stopping_deliverer_claims_nothing_more(app, smtp, event_at, stop_flag):
    queue_due_reminders(event_at, 3)
    delivery.request_stop()
    assert jobs.run_delivery(utcnow())["claimed"] == 0
    db.session.rollback()
    assert not smtp.received
    assert_nothing_claimed()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_scheduler_stops_mid_batch_without_a_traceback_and_releases_its_claim(
    app, smtp, event_at, processes, tmp_path, signum
):
    total = 40
    queue_due_reminders(event_at, total)
    smtp.handler.delay = 0.25  # a slow server: the batch takes about ten seconds
    env = scheduler_env(app.config["SQLALCHEMY_DATABASE_URI"], smtp.port, tmp_path / "instance")
    log = tmp_path / "scheduler.log"
    process = start_scheduler(env, log)
    processes.append(process)

    wait_until(lambda: len(smtp.received) >= 3, 60, "the first reminders")
    process.send_signal(signum)
    at_signal = len(smtp.received)
    assert process.wait(30) == 0
    output = log.read_text()
    after = len(smtp.received) - at_signal

    assert after <= 2, f"{after} messages sent after the signal"  # the one in flight
    assert "Traceback" not in output, output
    assert f"stopping on signal {int(signum)}" in output
    assert "scheduler: stopped" in output
    assert "gave back" in output
    assert not EMAIL.findall(output)
    sent = [r for r in rows() if r.status == "sent"]
    assert len(sent) == len(smtp.received) < total
    assert_nothing_claimed()

    # The rest is due at once: the next deliverer sends each remaining message once.
    smtp.handler.delay = 0
    assert jobs.run_delivery(utcnow())["sent"] == total - len(sent)
    db.session.rollback()
    assert {r.status for r in rows()} == {"sent"}
    assert set(smtp.received_ids().values()) == {1}
    assert len(smtp.received) == total


@pytest.mark.slow
def test_a_second_signal_stops_the_scheduler_at_once(app, event_at, processes, tmp_path):
    queue_due_reminders(event_at, 2)
    connected = threading.Event()
    with hung_server(connected) as port:  # the send waits for a greeting that never comes
        env = scheduler_env(
            app.config["SQLALCHEMY_DATABASE_URI"],
            port,
            tmp_path / "instance",
            CAMPAIGN_SMTP_TIMEOUT="60",
        )
        log = tmp_path / "scheduler.log"
        process = start_scheduler(env, log)
        processes.append(process)

        def claimed() -> bool:
            db.session.rollback()
            found = db.session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.claimed_by.is_not(None))
            ).first()
            return found is not None

        wait_until(claimed, 60, "the deliverer to claim the reminders")
        wait_until(connected.is_set, 60, "the deliverer to connect to the SMTP server")
        process.send_signal(signal.SIGTERM)
        wait_until(lambda: "stopping on signal 15" in log.read_text(), 30, "the first signal")
        # The send in flight waits for a greeting for 60 s: the scheduler waits for it.
        holds_for(lambda: process.poll() is None, 0.5, "the scheduler waiting for the send")
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 1
    output = log.read_text()
    assert "stopping on signal 15" in output
    assert "again; exiting without waiting" in output
    assert "Traceback" not in output, output


@pytest.mark.slow
@pytest.mark.parametrize("command", [["jobs", "run", "deliver"], ["mail", "deliver"]])
def test_ctrl_c_during_a_delivery_run_by_hand_gives_the_batch_back(
    app, smtp, event_at, processes, tmp_path, command
):
    """As the scheduler does: the message in flight is finished and recorded, the rest
    of the batch is free again at once, and the command ends without a traceback."""
    total = 30
    queue_due_reminders(event_at, total)
    smtp.handler.delay = 0.25
    env = scheduler_env(app.config["SQLALCHEMY_DATABASE_URI"], smtp.port, tmp_path / "instance")
    log = tmp_path / "deliver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "campaign", *command],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    processes.append(process)

    wait_until(lambda: len(smtp.received) >= 3, 60, "the first messages")
    process.send_signal(signal.SIGINT)
    at_signal = len(smtp.received)
    assert process.wait(30) == 0
    output = log.read_text()
    assert len(smtp.received) - at_signal <= 2, "sent after Ctrl-C"  # the one in flight
    assert "Traceback" not in output, output
    assert "Stopping after the message being sent" in output
    sent = [r for r in rows() if r.status == "sent"]
    assert len(sent) == len(smtp.received) < total
    assert_nothing_claimed()
