"""The pages around campaign mail: RFC 8058 one-click unsubscribe (and which mails carry
List-Unsubscribe), broadcasts by status, the organizer's outbox with failures and retry
(and only their own), the reminder settings form, and why a reminder did not go out."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from campaign.core.timeutil import format_local, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.reminders import services as reminder_services
from campaign.signups import privacy
from campaign.signups import seats as signup_seats
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.reminders.conftest import (
    base_time,
    cancel_event,
    deliver,
    delivered,
    register,
    reschedule,
    rows,
    tick,
)

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
CAMPAIGN_KINDS = {"reminder", "broadcast", "thank_you"}
TRANSACTIONAL_KINDS = {
    "registration_confirmed",
    "registration_cancelled",
    "event_changed",
    "event_cancelled",
}


def unsubscribe_path(message) -> str:  # type: ignore[no-untyped-def]
    header = str(message["List-Unsubscribe"]).strip()  # a long one is folded onto a new line
    match = re.fullmatch(r"<(https://campaign\.example\.org(/u/\d+/[\w-]+))>", header)
    assert match, header
    return match.group(2)


def _every_kind_delivered(smtp, event_at, organizer) -> None:  # type: ignore[no-untyped-def]
    """One of each campaign mail (reminder, broadcast, thank-you) and each transactional
    one but the waitlist's (confirmed, cancelled by you, event changed, event cancelled),
    delivered to the test's SMTP server."""
    start = base_time()
    event = event_at(start)
    register(event, "ann@example.org", start - 10 * DAY, name="Ann Lee")
    ben = register(event, "ben@example.org", start - 10 * DAY, name="Ben Ode")
    tick(start - 7 * DAY)
    signup_seats.lock_event(event.id)
    reminder_services.send_broadcast(
        db.session.get(Event, event.id),  # type: ignore[arg-type]
        organizer.id, "confirmed", "Bring water", "It will be warm.", start - 6 * DAY,
    )  # fmt: skip
    db.session.commit()
    registration = db.session.get(Registration, ben)
    assert registration is not None
    signup_seats.cancel(registration, start - 5 * DAY)
    db.session.commit()
    reschedule(event.id, start + HOUR, start - 4 * DAY)
    assert tick(start + 3 * HOUR + 2 * HOUR)["thank_yous"] == 1
    other = event_at(start)
    register(other, "cat@example.org", start - 10 * DAY)
    cancel_event(other.id, start - 3 * DAY)
    deliver(start + 6 * HOUR)


def test_list_unsubscribe_is_on_campaign_mail_and_not_on_transactional(
    app, smtp, event_at, organizer
):
    _every_kind_delivered(smtp, event_at, organizer)
    kinds = {r.message_id: r.kind for r in rows()}
    seen = set()
    for attempt in smtp.received:
        kind = kinds[attempt.message_id or ""]
        seen.add(kind)
        message = attempt.message()
        if kind in CAMPAIGN_KINDS:
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", kind
            path = unsubscribe_path(message)
            owner = db.session.get(Registration, int(path.split("/")[2]))
            assert owner is not None and owner.email == attempt.rcpt_tos[0]
        else:
            assert message["List-Unsubscribe"] is None, kind
            assert message["List-Unsubscribe-Post"] is None, kind
    assert seen == CAMPAIGN_KINDS | TRANSACTIONAL_KINDS


@pytest.mark.skipif(shutil.which("spamassassin") is None, reason=".ci/run installs spamassassin")
def test_spamassassin_scores_campaign_and_registrant_mail_far_below_spam(
    app, smtp, event_at, organizer
):
    """Apache SpamAssassin's local rules (no network tests), in one run over the mails of
    _every_kind_delivered: each scores under 2 points, where 5 is spam."""
    _every_kind_delivered(smtp, event_at, organizer)
    kinds = {r.message_id: r.kind for r in rows()}
    mbox = b"".join(
        b"From campaign@example.org Mon Jan  4 10:00:00 2027\n"
        + attempt.data.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From ")
        + b"\n"
        for attempt in smtp.received
    )
    checked = subprocess.run(
        ["spamassassin", "--local", "--mbox", "--test-mode"],
        input=mbox,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout.decode()
    statuses = re.findall(
        r"^X-Spam-Status: (\w+), score=(-?[\d.]+) [^\n]*(?:\n\s+[^\n]*)*", checked, re.M
    )
    ids = re.findall(r"^Message-ID: (\S+)", checked, re.M | re.I)
    assert len(statuses) == len(smtp.received) == len(ids), checked[-2000:]
    scores = [
        (kinds[message_id], float(score))
        for message_id, (_, score) in zip(ids, statuses, strict=True)
    ]
    assert {kind for kind, _ in scores} == CAMPAIGN_KINDS | TRANSACTIONAL_KINDS
    high = [(kind, score) for kind, score in scores if score >= 2.0]
    assert not high, (high, checked[-3000:])


@with_config(WTF_CSRF_ENABLED=True)
def test_one_click_unsubscribe_works_without_a_csrf_token(app, client, smtp, event_at):
    start = base_time()
    event = event_at(start)
    reg = register(event, "sam@example.org", start - 10 * DAY)
    second = event_at(start)
    reg2 = register(second, "sam@example.org", start - 10 * DAY)
    tick(start - 7 * DAY)
    deliver(start - 7 * DAY)
    [reminder, *_] = delivered(smtp, "reminder", to="sam@example.org")
    path = unsubscribe_path(reminder)

    page = client.get(path)  # a link scanner or a person: nothing changes yet
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert re.search(r'<form method="post"[^>]*>\s*<button type="submit"', body)
    assert not db.session.get(Registration, reg).is_unsubscribed  # type: ignore[union-attr]

    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    assert client.post(tampered, data="List-Unsubscribe=One-Click").status_code == 404
    response = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )  # what a mail provider sends (RFC 8058): no cookie, no token
    assert response.status_code == 200
    assert "unsubscribed" in response.get_data(as_text=True).lower()
    db.session.rollback()
    for registration_id in (reg, reg2):  # the address, not just one registration
        registration = db.session.get(Registration, registration_id)
        assert registration is not None and registration.is_unsubscribed
        assert registration.status == "confirmed"  # the place is kept
    assert tick(start - DAY)["reminders"] == 0


def test_broadcast_by_status_from_the_event_page(app, client, smtp, event_at, login_as, organizer):
    start = base_time()
    event = event_at(start, capacity=2)
    now = utcnow()
    register(event, "ann@example.org", now, name="Ann Lee")
    register(event, "ben@example.org", now, name="Ben Ode")
    register(event, "cat@example.org", now, name="Cat Ray")  # waitlisted
    register(event, "dan@example.org", now, name="Dan Roe")  # waitlisted, then unsubscribes
    registration = db.session.scalar(
        select(Registration).where(Registration.email == "dan@example.org")
    )
    privacy.unsubscribe(registration)  # type: ignore[arg-type]
    db.session.commit()
    deliver(utcnow())
    before = len(smtp.received)
    login_as(organizer)

    page = client.get(f"/manage/events/{event.id}/broadcast")
    assert page.status_code == 200
    response = client.post(
        f"/manage/events/{event.id}/broadcast",
        data={
            "audience": "waitlisted",
            "subject": "A place may open",
            "body": "Hang on.\n\nX",
            "action": "send",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert urlsplit(response.headers["Location"]).path == f"/manage/events/{event.id}/outbox"
    assert [r.to_email for r in rows("broadcast")] == ["cat@example.org"]

    response = client.post(
        f"/manage/events/{event.id}/broadcast",
        data={
            "audience": "confirmed",
            "subject": "Bring water",
            "body": "It will be warm.",
            "action": "send",
        },
    )
    assert response.status_code == 303
    assert sorted(r.to_email for r in rows("broadcast")) == [
        "ann@example.org",
        "ben@example.org",
        "cat@example.org",
    ]
    deliver(utcnow())
    got = {a.rcpt_tos[0]: a.message() for a in smtp.received[before:]}
    assert sorted(got) == ["ann@example.org", "ben@example.org", "cat@example.org"]
    assert "A place may open" in str(got["cat@example.org"]["Subject"])
    assert "Bring water" in str(got["ann@example.org"]["Subject"])

    response = client.post(
        f"/manage/events/{event.id}/broadcast",
        data={"audience": "nobody", "subject": "x", "body": "y", "action": "send"},
    )
    assert response.status_code == 400
    assert len(rows("broadcast")) == 3


def test_outbox_shows_failures_with_the_reason_and_retry_works(
    app, client, smtp, event_at, login_as, organizer
):
    start = base_time()
    event = event_at(start)
    smtp.handler.reject_recipients["gone@example.org"] = (
        "550 5.1.1 Mailbox gone@example.org unknown"
    )
    register(event, "gone@example.org", start - 10 * DAY)
    register(event, "fine@example.org", start - 10 * DAY)
    deliver(start - 10 * DAY)
    [failed] = rows(status="failed")
    login_as(organizer)

    for path in (f"/manage/events/{event.id}/outbox?status=failed", "/manage/outbox?status=failed"):
        page = client.get(path)
        assert page.status_code == 200
        text = html.unescape(page.get_data(as_text=True))
        assert "gone@example.org" in text and "fine@example.org" not in text
        assert "550 5.1.1 Mailbox gone@example.org unknown" in text
        assert f"/manage/outbox/{failed.id}/retry" in text

    del smtp.handler.reject_recipients["gone@example.org"]  # the mailbox is back
    response = client.post(f"/manage/outbox/{failed.id}/retry")
    assert response.status_code == 303
    [row] = rows(id=failed.id)
    assert row.status == "queued" and row.attempts == 0
    assert client.post(f"/manage/outbox/{failed.id}/retry").status_code == 303  # not failed
    deliver(utcnow())
    [row] = rows(id=failed.id)
    assert row.status == "sent"
    assert len(smtp.to("gone@example.org")) == 1


def test_organizers_see_only_their_own_outbox(
    app, client, smtp, event_at, login_as, make_organizer, make_event
):
    start = base_time()
    event = event_at(start)  # organizer A's
    smtp.handler.reject_recipients["a.person@example.org"] = "550 no such user"
    register(event, "a.person@example.org", start - 10 * DAY)
    deliver(start - 10 * DAY)
    [row] = rows()
    other = make_organizer(email="organizer.b@example.org")
    own = make_event(other, starts_at=start, ends_at=start + HOUR)
    register(own, "b.person@example.org", start - 10 * DAY)
    login_as(other)

    page = client.get("/manage/outbox").get_data(as_text=True)
    assert "b.person@example.org" in page
    assert "a.person@example.org" not in page
    assert "a.person@example.org" not in client.get("/manage/outbox?status=failed").get_data(True)
    for path in (
        f"/manage/events/{event.id}/outbox",
        f"/manage/events/{event.id}/broadcast",
        f"/manage/events/{event.id}/reminders",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/manage/outbox/{row.id}/retry").status_code == 404
    assert client.post(f"/manage/events/{event.id}/outbox/retry-failed").status_code == 404
    assert rows(id=row.id)[0].status == "failed"


def test_reminder_settings_validate_offsets(app, client, smtp, event_at, login_as, organizer):
    event = event_at(base_time())
    login_as(organizer)
    url = f"/manage/events/{event.id}/reminders"
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert 'value="7d, 1d, 2h"' in page
    for offset in (7 * 1440, 1440, 120):
        due = event.starts_at - timedelta(minutes=offset)
        assert format_local(due, event.timezone) in page

    bad = {
        "7x": "'7x' is not like 7d, 24h or 30m.",
        "1d, 2": "'2' is not like 7d, 24h or 30m.",
        "1m": "'1m': use between 5 minutes and 60 days.",
        "61d": "'61d': use between 5 minutes and 60 days.",
        "1d,2d,3d,4d,5d,6d,7d": "Use at most 6 reminders.",
    }
    for value, message in bad.items():
        response = client.post(url, data={"offsets": value, "is_reminders_enabled": "y"})
        assert response.status_code == 400, value
        assert message in html.unescape(response.get_data(as_text=True)), value
    db.session.rollback()
    assert db.session.get(Event, event.id).reminder_offsets == [10080, 1440, 120]  # type: ignore[union-attr]

    response = client.post(
        url, data={"offsets": "30m, 3d; 12h", "is_reminders_enabled": "y"}
    )  # any order, commas or semicolons
    assert response.status_code == 303
    db.session.rollback()
    saved = db.session.get(Event, event.id)
    assert saved is not None
    assert saved.reminder_offsets == [4320, 720, 30]
    assert saved.is_reminders_enabled and not saved.is_thank_you_enabled
    assert 'value="3d, 12h, 30m"' in client.get(url).get_data(as_text=True)


def schedule_rows(client, event_id: int) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The reminders page's schedule: {'7 days': (state, people), ...}."""
    page = html.unescape(client.get(f"/manage/events/{event_id}/reminders").get_data(True))
    found = re.findall(
        r"<tr>\s*<td>([^<]+)</td>\s*<td>[^<]*</td>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>", page
    )
    return {label: (state, people) for label, state, people in found}


def test_the_reminder_schedule_says_why_a_reminder_did_not_go_out(
    app, client, smtp, event_at, login_as, organizer
):
    now = utcnow()
    late_event = event_at(now + 2 * HOUR + timedelta(minutes=10))  # created just now
    for n in range(5):
        register(late_event, f"late{n}@example.org", now)
    early = event_at(now + 2 * DAY, created_at=now - 10 * DAY)  # registered after 7 days before
    register(early, "newcomer@example.org", now)
    downtime = event_at(now + 2 * DAY, created_at=now - 10 * DAY)
    register(downtime, "early@example.org", now - 9 * DAY)
    tick(now)  # the scheduler back after days away: the 7-day reminder is recorded skipped
    login_as(organizer)

    assert schedule_rows(client, late_event.id) == {
        "7 days": ("Not scheduled: the event was created after this reminder's time", "0"),
        "1 day": ("Not scheduled: the event was created after this reminder's time", "0"),
        "2 hours": ("Waiting", "5"),
    }
    assert schedule_rows(client, early.id)["7 days"] == (
        "Nobody to remind: no one had a place by then",
        "0",
    )
    assert schedule_rows(client, downtime.id)["7 days"] == (
        "Skipped: found too late after downtime",
        "1",
    )
