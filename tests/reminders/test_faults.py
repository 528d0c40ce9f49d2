"""Delivery under server faults, against a real SMTP server on loopback: a server that
answers after the client's timeout gets at most one copy per attempt and the outbox
says the outcome is unknown; a temporary failure delays only its own message; a refused
connection or a 421 charges no message and backs the deliverer off; with the default
settings no outage shorter than a day fails a message."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from campaign.config import DEFAULTS
from campaign.mail import delivery
from campaign.mail import policy as mail_policy
from campaign.mail.backends import SMTPBackend, SMTPSettings
from tests.core.support import with_config
from tests.reminders.conftest import base_time, bulk_registrations, deliver, rows, tick
from tests.support.polling import wait_until

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def queue_reminders(event_at, count: int):  # type: ignore[no-untyped-def]
    """`count` week-before reminders queued; returns the time they were queued."""
    start = base_time()
    event = event_at(start)
    bulk_registrations(event.id, count, start - 10 * DAY)
    now = start - 7 * DAY
    assert tick(now)["reminders"] == count
    return now


def copies(smtp) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """How many copies of each message the server took (accepted after any wait)."""
    return dict(smtp.received_ids())


def settle(smtp, count: int, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    """Wait until the server has finished `count` DATA commands (it may still be thinking)."""
    wait_until(lambda: len(smtp.attempts) >= count, timeout, f"{count} DATA commands")


@with_config(SMTP_TIMEOUT=0.5)
def test_a_server_answering_after_the_timeout_gets_one_copy_per_attempt(
    app, client, smtp, event_at
):
    now = queue_reminders(event_at, 3)
    smtp.handler.delay = 1.5  # answers 250, but only after the client stopped waiting

    result = deliver(now)
    assert smtp.handler.mail_commands == 1, "the message was sent again after the timeout"
    assert (result["sent"], result["unknown"], result["retried"]) == (0, 1, 1), result
    assert result["deferred"] == 2  # the server is in trouble: the others wait
    settle(smtp, 1)
    [tried] = [r for r in rows() if r.attempts]
    assert tried.status == "queued" and tried.next_attempt_at > now
    assert (tried.last_error or "").startswith("outcome unknown, retried at "), tried.last_error
    assert deliver(now)["claimed"] == 0  # backing off, not resending at once
    assert smtp.handler.mail_commands == 1
    status = client.get("/healthz/mail").json  # what the outbox shows at the top too
    assert status["last_error"].startswith("outcome unknown, retried at "), status

    deliver(now + HOUR)  # a second attempt, still too slow
    settle(smtp, 2)
    smtp.handler.delay = 0
    deliver(now + 2 * HOUR)
    deliver(now + 3 * HOUR)
    final = {r.message_id: r for r in rows()}
    assert {r.status for r in final.values()} == {"sent"}
    for message_id, n in copies(smtp).items():
        assert n <= final[message_id].attempts, (n, final[message_id].attempts)
    assert len(smtp.attempts) == sum(r.attempts for r in final.values())


@with_config(SMTP_TIMEOUT=0.5)
def test_a_server_hung_after_the_data_is_not_sent_the_message_twice(app, smtp, event_at):
    """Resending at once would cost a second timeout (and give the server a second copy)."""
    now = queue_reminders(event_at, 2)
    smtp.handler.delay = 2
    result = deliver(now)
    assert smtp.handler.mail_commands == 1
    assert result["unknown"] == 1 and result["sent"] == 0


def test_an_idle_connection_the_server_closed_is_reopened_and_sent_once(app, smtp, event_at):
    now = queue_reminders(event_at, 2)
    backend = SMTPBackend(SMTPSettings("127.0.0.1", smtp.port, security="none", timeout=5))
    policy = mail_policy.DeliveryPolicy(batch_size=1)
    sender = app.config["MAIL_SENDER"]
    assert delivery.deliver_due(backend, sender, policy, now=now, keep_open=True).sent == 1
    smtp.stop()  # drops the open connection
    smtp.start()
    assert delivery.deliver_due(backend, sender, policy, now=now).sent == 1
    assert sorted(copies(smtp).values()) == [1, 1]
    assert {r.attempts for r in rows()} == {1}


@with_config(MAIL_BATCH_SIZE=5)
def test_a_temporary_failure_delays_that_message_not_the_round(app, smtp, event_at):
    now = queue_reminders(event_at, 20)
    first_tries = itertools.count()
    smtp.handler.temp_fail = lambda _mid, seen: seen == 0 and next(first_tries) in (1, 7, 12)

    result = deliver(now)  # one round: every batch, the 451s notwithstanding
    assert (result["sent"], result["retried"], result["claimed"]) == (17, 3, 20), result
    waiting = [r for r in rows() if r.status == "queued"]
    assert len(waiting) == 3 and all(r.next_attempt_at > now for r in waiting)


def test_a_421_backs_off_the_deliverer_and_charges_no_message(app, smtp, event_at):
    now = queue_reminders(event_at, 5)
    smtp.handler.mail_reply = "421 4.3.2 System not accepting network messages"
    result = deliver(now)
    assert (result["sent"], result["retried"], result["failed"]) == (0, 0, 0), result
    assert result["deferred"] == 4  # the first one was on its way: recorded untried
    assert {(r.status, r.attempts, r.claimed_by, r.sending_at) for r in rows()} == {
        ("queued", 0, None, None)
    }
    assert deliver(now)["claimed"] == 0  # the deliverer waits (5-10 s) before trying again

    smtp.handler.mail_reply = None
    assert deliver(now + MINUTE)["sent"] == 5
    assert {(r.status, r.attempts) for r in rows()} == {("sent", 1)}
    assert sorted(copies(smtp).values()) == [1] * 5


def test_the_default_retry_window_is_at_least_a_day(app):
    policy = mail_policy.policy_from_config(DEFAULTS)
    assert mail_policy.retry_window(policy) >= DAY, mail_policy.retry_window(policy)
    shorter = mail_policy.DeliveryPolicy(max_attempts=8)
    assert mail_policy.retry_window(shorter) < DAY  # the figure would catch a change


@pytest.mark.parametrize("fault", ["server down", "451 to everything"])
def test_no_message_fails_in_a_23_hour_outage_with_the_defaults(app, smtp, event_at, fault):
    now = queue_reminders(event_at, 3)
    if fault == "server down":
        smtp.stop()
    else:
        smtp.handler.temp_fail = lambda _mid, _seen: True
    for tick_at in range(0, 23 * 60, 20):  # a delivery round every 20 minutes
        result = deliver(now + tick_at * MINUTE)
        assert result["failed"] == 0, (tick_at, result)
    assert {r.status for r in rows()} == {"queued"}

    if fault == "server down":
        smtp.start()
    smtp.handler.temp_fail = None
    deliver(now + 26 * HOUR)
    assert {r.status for r in rows()} == {"sent"}
