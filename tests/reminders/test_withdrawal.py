"""Withdrawn means withdrawn: a message withdrawn while a deliverer holds it (event
cancelled, registration cancelled, waitlist notice superseded by a promotion) is not
sent after the withdrawal commits; the one already on its way is recorded as sent, with
a note; and the cancellation notice reaches the registrant after that reminder, never
before. Against a slow server, in this process (two schedulers as processes, on
SQLite and PostgreSQL, are in test_processes.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import jobs
from campaign.signups import seats as signup_seats
from campaign.signups.models import Registration
from tests.reminders.conftest import (
    base_time,
    bulk_registrations,
    cancel_event,
    deliver,
    register,
    rows,
    tick,
)
from tests.support.polling import wait_until
from tests.support.smtp import SMTPServer

DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)
ON_ITS_WAY = "(it was already on its way, and was sent)"


class Deliverer:
    """One deliverer (a scheduler's delivery job) running in a thread of this process."""

    def __init__(self, app: Flask, now: Any) -> None:
        self.result: dict[str, int] = {}
        self.errors: list[BaseException] = []

        def run() -> None:
            try:
                with app.app_context():
                    self.result = jobs.run_delivery(now)
                    db.session.remove()
            except BaseException as exc:  # reported by the test
                self.errors.append(exc)

        self.thread = threading.Thread(target=run, name="deliverer")
        self.thread.start()

    def join(self) -> dict[str, int]:
        self.thread.join(60)
        assert not self.thread.is_alive(), "the deliverer did not finish"
        assert not self.errors, self.errors
        return self.result


@pytest.fixture
def deliverers(app: Flask) -> Iterator[Callable[[Any], Deliverer]]:
    started: list[Deliverer] = []

    def start(now: Any) -> Deliverer:
        started.append(Deliverer(app, now))
        return started[-1]

    yield start
    for deliverer in started:
        deliverer.thread.join(60)


def reminders_due(event_at: Callable[..., Event], count: int) -> tuple[Event, Any, list[int]]:
    """`count` week-before reminders queued (confirmations already delivered)."""
    start = base_time()
    event = event_at(start)
    bulk_registrations(event.id, count, start - 10 * DAY)
    now = start - 7 * DAY
    assert tick(now)["reminders"] == count
    ids = list(
        db.session.scalars(
            select(Registration.id)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        )
    )
    return event, now, ids


def test_cancelling_the_event_mid_batch_stops_the_rest_at_once(
    app, smtp: SMTPServer, event_at, deliverers
):
    event, now, _ = reminders_due(event_at, 12)
    smtp.handler.delay = 0.2
    a = deliverers(now)
    wait_until(lambda: len(smtp.attempts) >= 2, 20, "two reminders delivered")
    cancel_event(event.id, now + MINUTE)
    committed = time.monotonic()
    result = a.join()

    reminders = {r.message_id: r for r in rows("reminder")}
    got = [x for x in smtp.received if x.message_id in reminders]
    late = [x for x in got if x.at > committed]
    # Only the one on its way when the cancellation committed may arrive after it, and
    # its row says so; nothing was started after the commit.
    assert len(late) <= 1, [round(x.at - committed, 2) for x in late]
    for attempt in late:
        row = reminders[attempt.message_id]
        assert row.status == "sent" and ON_ITS_WAY in (row.last_error or ""), row.last_error
    assert len(got) < 12 and result["withdrawn"] == 12 - len(got), result
    # What the outbox says is what the server saw.
    assert {r.message_id for r in reminders.values() if r.status == "sent"} == {
        x.message_id for x in got
    }
    assert {
        r.status for r in reminders.values() if r.message_id not in {x.message_id for x in got}
    } == {"cancelled"}

    smtp.handler.delay = 0
    deliver(now + 2 * MINUTE)  # the cancellation notices
    for attempt in got:
        [notice] = [
            x
            for x in smtp.received
            if x.rcpt_tos == attempt.rcpt_tos and x.message_id not in reminders
        ]
        assert notice.started > attempt.at  # after the reminder, never before


def test_a_registration_cancelled_mid_batch_gets_no_reminder(
    app, smtp: SMTPServer, event_at, deliverers
):
    _, now, ids = reminders_due(event_at, 8)
    smtp.handler.delay = 0.2
    a = deliverers(now)
    wait_until(lambda: len(smtp.attempts) >= 2, 20, "two reminders delivered")
    registration = db.session.get(Registration, ids[6])
    assert registration is not None
    signup_seats.cancel(registration, now + MINUTE)
    db.session.commit()
    a.join()

    [withdrawn] = rows("reminder", registration_id=ids[6])
    assert withdrawn.status == "cancelled"
    assert withdrawn.last_error == "withdrawn: registration ended"
    assert withdrawn.message_id not in smtp.received_ids()
    assert len([r for r in rows("reminder") if r.status == "sent"]) == 7


def test_a_waitlist_notice_superseded_mid_batch_is_not_sent(
    app, smtp: SMTPServer, event_at, deliverers
):
    event, now, ids = reminders_due(event_at, 4)
    db.session.execute(update(Event).where(Event.id == event.id).values(capacity=4))
    db.session.commit()
    waiting = register(event, "wait@example.org", now)  # queued after the reminders
    [notice] = rows("waitlisted")
    smtp.handler.delay = 0.3
    a = deliverers(now + MINUTE)  # the reminders first, then the waitlist notice
    wait_until(lambda: len(smtp.attempts) >= 1, 20, "a reminder delivered")
    registration = db.session.get(Registration, ids[0])
    assert registration is not None
    signup_seats.cancel(registration, now + MINUTE)  # the seat goes to wait@
    db.session.commit()
    a.join()

    [superseded] = rows("waitlisted")
    assert superseded.status == "cancelled" and superseded.last_error == "withdrawn: promoted"
    assert notice.message_id not in smtp.received_ids()
    assert [r.registration_id for r in rows("promoted")] == [waiting]


def test_the_cancellation_notice_waits_for_the_reminder_on_the_wire(
    app, smtp: SMTPServer, event_at, deliverers
):
    """A sends ann's reminder to a server that takes 1.5 s over it; ann cancels meanwhile;
    B, delivering the cancellation notice, holds it back until the reminder is in."""
    _, now, ids = reminders_due(event_at, 3)
    ann = ids[1]
    ann_email = db.session.get(Registration, ann).email  # type: ignore[union-attr]
    smtp.handler.delays[ann_email] = 1.5
    a = deliverers(now)
    wait_until(lambda: any(x.rcpt_tos == (ann_email,) for x in smtp.attempts), 20, "ann's reminder")
    registration = db.session.get(Registration, ann)
    assert registration is not None
    signup_seats.cancel(registration, now)
    db.session.commit()

    b = deliver(now)  # B (on A's clock): only the notice is free, and it must wait
    a.join()
    deliver(now + 2 * MINUTE)

    [reminder] = rows("reminder", registration_id=ann)
    [notice] = rows("registration_cancelled")
    to_ann = [x for x in smtp.received if x.rcpt_tos == (ann_email,)]
    assert [x.message_id for x in to_ann] == [reminder.message_id, notice.message_id]
    assert to_ann[1].started > to_ann[0].at, "the notice went out before the reminder was in"
    assert b.get("held_back") == 1 and b["sent"] == 0, b
    assert reminder.status == "sent" and ON_ITS_WAY in (reminder.last_error or "")
    assert notice.status == "sent"
