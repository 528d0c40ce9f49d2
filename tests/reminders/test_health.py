"""Stuck mail is visible: during an SMTP outage the outbox and the dashboard say at the top
how much mail waits, how old it is, the last delivery error and the next try, with a
banner once nothing has gone out for MAIL_STUCK_MINUTES; /healthz/mail reports the same
for monitoring, without personal data, while /healthz stays a database check."""

from __future__ import annotations

import html
import json
from datetime import timedelta

from campaign.core.timeutil import utcnow
from tests.reminders.conftest import bulk_registrations, deliver, tick

MINUTE = timedelta(minutes=1)


def reminders_due_for(event_at, minutes: int, count: int = 5):  # type: ignore[no-untyped-def]
    """`count` two-hours-before reminders that fell due `minutes` ago (real time)."""
    now = utcnow()
    event = event_at(now + timedelta(minutes=120 - minutes), reminder_offsets=[120])
    bulk_registrations(event.id, count, now - timedelta(days=1))
    assert tick(now - minutes * MINUTE)["reminders"] == count
    return event


def page_text(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


def test_an_outage_shows_at_the_top_of_the_outbox_and_the_dashboard(
    app, client, smtp, event_at, login_as, organizer
):
    event = reminders_due_for(event_at, minutes=20)
    smtp.stop()
    deliver(utcnow())  # the scheduler tries and cannot connect
    login_as(organizer)

    for path in ("/manage/outbox", f"/manage/events/{event.id}/outbox", "/manage/"):
        text = page_text(client, path)
        assert '<section class="alert alert--error" role="alert"' in text, path
        top = text[text.index('id="mail-health"') :]
        assert "Mail is stuck: nothing has been delivered for over 15 minutes" in top, path
        assert "5 messages queued; the oldest was queued 20 minutes ago" in top, path
        assert "Connection refused" in top, path
        assert "Next try: " in top, path
        if "outbox" in path:  # above the list of messages
            assert text.index('id="mail-health"') < text.index("<table")

    smtp.start()
    deliver(utcnow() + MINUTE)
    for path in ("/manage/outbox", "/manage/"):
        assert 'id="mail-health"' not in page_text(client, path), path


def test_mail_waiting_a_little_shows_without_the_banner(
    app, client, smtp, event_at, login_as, organizer
):
    reminders_due_for(event_at, minutes=3)
    smtp.stop()
    deliver(utcnow())
    login_as(organizer)
    text = page_text(client, "/manage/outbox")
    top = text[text.index('id="mail-health"') :]
    assert "Mail is waiting to go out" in top and '<section class="alert" role="status"' in text
    assert "Mail is stuck" not in text
    assert "Last delivery error" in top


def test_healthz_mail_reports_the_backlog_for_monitoring_without_personal_data(
    app, client, smtp, event_at
):
    reminders_due_for(event_at, minutes=20)
    response = client.get("/healthz/mail")
    assert response.status_code == 503  # due for 20 minutes and nothing delivered
    assert response.json["status"] == "stuck" and response.json["last_error"] is None

    smtp.handler.temp_fail = lambda _mid, _seen: True
    smtp.handler.temp_fail_reply = "451 4.2.1 <{rcpt}>: mailbox busy"  # quotes the address
    deliver(utcnow())
    response = client.get("/healthz/mail")
    body = response.get_data(as_text=True)
    assert "@" not in body, body  # no address, not even in the server's reply
    report = json.loads(body)
    assert report["status"] == "failing" and response.status_code == 200  # tried just now
    assert (report["queued"], report["due"], report["failed"]) == (5, 0, 0)
    assert report["oldest_queued_seconds"] >= 20 * 60
    assert report["last_error"].startswith("451")
    assert report["next_try_at"] and report["stuck_after_seconds"] == 15 * 60
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}

    smtp.handler.temp_fail = None
    deliver(utcnow() + 3 * 60 * MINUTE)
    report = client.get("/healthz/mail").json
    assert report["status"] == "ok" and report["queued"] == 0
    assert report["last_success_at"]


def test_mail_due_with_no_scheduler_running_says_so(
    app, client, smtp, event_at, login_as, organizer
):
    reminders_due_for(event_at, minutes=20)  # and no scheduler has run since
    login_as(organizer)
    top = page_text(client, "/manage/outbox")
    assert "No scheduler has tried to deliver mail yet." in top
    assert client.get("/healthz/mail").json["scheduler_running"] is False

    smtp.stop()
    deliver(utcnow() - 10 * MINUTE)  # a scheduler tried ten minutes ago, then stopped
    top = page_text(client, "/manage/outbox")
    assert "No scheduler has tried to deliver mail since " in top
    assert "Next try" not in top
    deliver(utcnow())  # one is running again
    top = page_text(client, "/manage/outbox")
    assert "No scheduler has tried" not in top and "Next try: " in top
    assert client.get("/healthz/mail").json["scheduler_running"] is True
