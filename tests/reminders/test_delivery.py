"""SMTP delivery against a real server on loopback: 451 is retried with the same message,
550 fails the message with the server's reply, a server that is down or never greets
delays mail without losing it, a rolled-back registration sends nothing, and what
arrives is one well-formed message per recipient whatever is written into the database."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organizers.models import Organizer
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.reminders.conftest import (
    SECRET,
    base_time,
    bulk_registrations,
    calendar_of,
    deliver,
    delivered,
    register,
    rows,
    text_of,
    tick,
)
from tests.support.smtp import hung_server

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def queue_reminders(event_at, count: int):  # type: ignore[no-untyped-def]
    """`count` week-before reminders queued; returns (event, the time they were queued)."""
    start = base_time()
    event = event_at(start)
    bulk_registrations(event.id, count, start - 10 * DAY)
    now = start - 7 * DAY
    assert tick(now)["reminders"] == count
    return event, now


def test_451_to_one_message_in_ten_is_retried_with_the_same_message(app, smtp, event_at):
    _, now = queue_reminders(event_at, 40)
    first_tries = itertools.count()
    smtp.handler.temp_fail = lambda _mid, seen: seen == 0 and next(first_tries) % 10 == 3

    result = deliver(now)
    assert (result["sent"], result["retried"], result["failed"]) == (36, 4, 0)
    waiting = [r for r in rows() if r.status == "queued"]
    assert len(waiting) == 4
    for row in waiting:
        assert row.attempts == 1
        assert row.last_error and row.last_error.startswith("451")
        assert row.next_attempt_at > now
    assert deliver(now)["claimed"] == 0  # backing off, not hammering

    assert deliver(now + HOUR)["sent"] == 4
    final = rows()
    assert {r.status for r in final} == {"sent"}
    assert sorted(r.attempts for r in final) == [1] * 36 + [2] * 4
    assert len(smtp.attempts) == 44
    assert set(smtp.received_ids().values()) == {1}  # every message accepted exactly once
    for row in final:
        tries = [a for a in smtp.attempts if a.rcpt_tos == (row.to_email,)]
        assert len(tries) == row.attempts
        assert {a.message_id for a in tries} == {row.message_id}  # the same on every retry


def test_550_for_one_recipient_fails_that_message_with_the_reply(app, smtp, event_at):
    _, now = queue_reminders(event_at, 5)
    reply = "550 5.1.1 <p2@example.org>: Recipient address rejected: User unknown"
    smtp.handler.reject_recipients["p2@example.org"] = reply

    result = deliver(now)
    assert (result["sent"], result["failed"], result["retried"]) == (4, 1, 0)
    [failed] = rows(status="failed")
    assert failed.to_email == "p2@example.org"
    assert failed.attempts == 1
    assert failed.last_error is not None and "550" in failed.last_error
    assert "User unknown" in failed.last_error
    assert deliver(now + DAY)["claimed"] == 0  # failed stays failed until an organizer retries
    assert sorted(a.rcpt_tos[0] for a in smtp.received) == [
        f"p{i}@example.org" for i in (0, 1, 3, 4)
    ]


def test_a_server_down_for_a_while_loses_nothing_and_charges_no_message(app, smtp, event_at):
    _, now = queue_reminders(event_at, 5)
    smtp.stop()
    for later in (now, now + 10 * MINUTE, now + 40 * MINUTE):
        result = deliver(later)
        assert result["sent"] == 0 and result["failed"] == 0 and result["retried"] == 0
        assert result["deferred"] == 5  # the whole batch given back, untried
        assert {(r.status, r.attempts, r.claimed_by) for r in rows()} == {("queued", 0, None)}

    smtp.start()  # back, on the same port
    assert deliver(now + 3 * HOUR)["sent"] == 5
    assert {r.status for r in rows()} == {"sent"}
    assert sorted(smtp.received_ids().values()) == [1] * 5
    assert sum(r.attempts for r in rows()) == 5


def test_a_hung_server_costs_one_timeout_and_the_next_tick_proceeds(app, smtp, event_at):
    _, now = queue_reminders(event_at, 4)
    with hung_server() as port:
        app.config.update(SMTP_PORT=port, SMTP_TIMEOUT=1)
        began = time.monotonic()
        result = deliver(now)
        took = time.monotonic() - began
        assert deliver(now)["claimed"] == 0  # the deliverer waits before trying again
    assert took < 2.5, f"a tick took {took:.1f}s against a hung server"
    assert result["sent"] == 0 and result["retried"] == 0 and result["deferred"] == 4
    assert {r.attempts for r in rows()} == {0}

    app.config.update(SMTP_PORT=smtp.port, SMTP_TIMEOUT=5)  # the server is fixed
    assert deliver(now + HOUR)["sent"] == 4
    assert len(smtp.received) == 4


@with_config(MAIL_MAX_ATTEMPTS=3)
def test_giving_up_after_the_attempt_limit(app, smtp, event_at):
    _, now = queue_reminders(event_at, 1)
    smtp.handler.temp_fail = lambda _mid, _seen: True
    for hours in range(3):
        deliver(now + hours * 3 * HOUR)
    [row] = rows()
    assert row.status == "failed" and row.attempts == 3
    assert row.last_error is not None and row.last_error.startswith("gave up after 3 attempts")
    assert smtp.received == []


def test_a_rolled_back_registration_leaves_no_row_and_sends_nothing(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    signup_services.register(
        event.id,
        signup_services.SignupInput(name="Sam Jones", email="sam@example.org"),
        start - 10 * DAY,
        SECRET,
    )
    # Inside the transaction the message is queued beside the registration ...
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    db.session.rollback()  # ... and it goes with it.
    assert rows() == []
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    for now in (start - 10 * DAY, start - 7 * DAY, start - DAY):
        tick(now)
        assert deliver(now)["claimed"] == 0
    assert smtp.attempts == []


def test_line_breaks_written_into_the_database_never_become_headers(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    reg = register(event, "sam@example.org", start - 10 * DAY)
    db.session.execute(
        update(Event)
        .where(Event.id == event.id)
        .values(title="Evil\r\nBcc: victim@example.org\r\nX-Injected: yes")
    )
    db.session.execute(
        update(Registration).where(Registration.id == reg).values(name="Sam\r\nCc: cc@example.org")
    )
    db.session.execute(
        update(Organizer).values(email="organizer.a@example.org\r\nBcc: reply@example.org")
    )
    db.session.commit()
    tick(start - 7 * DAY)
    deliver(start - 7 * DAY)

    assert len(smtp.received) == 2  # the confirmation and the reminder
    for attempt in smtp.received:
        assert attempt.rcpt_tos == ("sam@example.org",)
        message = attempt.message()  # the smtp fixture checks every header line too
        assert message["Bcc"] is None and message["Cc"] is None
        assert message["X-Injected"] is None
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    [reminder] = delivered(smtp, "reminder")
    assert "Evil Bcc: victim@example.org X-Injected: yes" in str(reminder["Subject"])
    calendar = calendar_of(reminder)
    assert calendar is not None
    [vevent] = calendar.walk("VEVENT")
    assert "X-Injected" not in vevent


def test_reminders_carry_the_event_calendar_entry(app, smtp, event_at):
    event, now = queue_reminders(event_at, 3)
    deliver(now)
    uids = set()
    for message in delivered(smtp, "reminder"):
        calendar = calendar_of(message)
        assert calendar is not None
        [vevent] = calendar.walk("VEVENT")
        uids.add(str(vevent["UID"]))
        assert vevent.decoded("DTSTART").astimezone(event.starts_at.tzinfo) == event.starts_at
    assert uids == {f"event-{event.id}@campaign.example.org"}


def test_message_id_and_content_are_fixed_on_the_first_attempt(app, smtp, event_at):
    event, now = queue_reminders(event_at, 1)
    [before] = rows()
    smtp.handler.temp_fail = lambda _mid, seen: seen == 0
    deliver(now)
    [queued] = rows()
    assert queued.message_id == before.message_id and queued.subject
    rendered = (queued.subject, queued.text_body, queued.html_body, queued.ics)
    db.session.execute(update(Event).where(Event.id == event.id).values(summary="Edited later"))
    db.session.commit()
    deliver(utcnow() + 30 * DAY)
    [sent] = rows()
    assert (sent.subject, sent.text_body, sent.html_body, sent.ics) == rendered
    first, second = smtp.attempts
    assert first.message_id == second.message_id == before.message_id
    assert text_of(first.message()) == text_of(second.message())


def test_a_message_that_cannot_be_rendered_fails_alone(app, smtp, event_at, monkeypatch):
    from campaign.mail import services as mail_services

    def broken(row):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in a template")

    monkeypatch.setitem(mail_services._renderers, "broken_kind", broken)
    _, now = queue_reminders(event_at, 3)
    mail_services.enqueue("broken_kind", "x@example.org", now - MINUTE)
    mail_services.enqueue("no_such_kind", "y@example.org", now - MINUTE)
    db.session.commit()

    result = deliver(now)
    assert (result["sent"], result["failed"]) == (3, 2)
    failed = {r.kind: r.last_error for r in rows(status="failed")}
    assert failed == {
        "broken_kind": "not sent: could not be rendered (RuntimeError)",
        "no_such_kind": "not sent: no renderer for mail kind 'no_such_kind'",
    }
    assert len(smtp.received) == 3
