"""Transactional mail as delivered: well-formed multipart MIME, the right senders and one
recipient, links from BASE_URL whatever the Host header says, escaped HTML; no personal
data in logs; anonymisation after the retention period."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from email.utils import getaddresses, parsedate_to_datetime

import pytest
from sqlalchemy import select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.signups import privacy, services
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.signups.conftest import (
    BASE_URL,
    deliver,
    delivered,
    edit_event,
    input_value,
    only_registration,
    outbox,
    registrations,
    token_of,
)

ALL_KINDS = {
    "registration_confirmed",
    "waitlisted",
    "promoted",
    "registration_cancelled",
    "event_changed",
    "event_cancelled",
}


def _every_kind_of_mail(app, client, login_as, organizer, make_event, signup, directory):
    """One of each registrant mail, delivered as it is queued: confirmed, waitlisted,
    cancelled, promoted, event changed (time or place) and event cancelled."""
    sent = []
    event = make_event(organizer, capacity=1)
    signup(event, name="Ann First", email="ann@example.org")
    signup(event, name="Ben Second", email="ben@example.org")
    sent += delivered(app, directory)
    assert client.post(f"/r/{token_of('ann@example.org')}/cancel").status_code == 303
    sent += delivered(app, directory)
    login_as(organizer)
    edit_event(client, event.id, venue="The Other Hall")
    sent += delivered(app, directory)
    assert client.post(f"/manage/events/{event.id}/cancel").status_code == 302
    sent += delivered(app, directory)
    return sent


def test_every_message_is_multipart_with_the_right_headers(
    app, client, login_as, make_organizer, make_event, signup, tmp_path
):
    organizer = make_organizer(email="organizer.reply@example.org")
    messages = _every_kind_of_mail(
        app, client, login_as, organizer, make_event, signup, tmp_path / "mail"
    )
    assert sorted(m.kind for m in messages) == sorted(ALL_KINDS)
    rows = {row.message_id: row for row in outbox()}
    assert len(rows) == len(messages)
    sender = getaddresses([app.config["MAIL_SENDER"]])[0]
    for found in messages:
        message, row = found.message, rows[str(found.message["Message-ID"])]
        assert row.status == "sent", row
        assert message.is_multipart(), row.kind
        alternatives = [
            p for p in message.walk() if p.get_content_type() == "multipart/alternative"
        ]
        assert len(alternatives) == 1, row.kind
        inner = [p.get_content_type() for p in alternatives[0].iter_parts()]
        assert inner == ["text/plain", "text/html"], (row.kind, inner)
        assert re.fullmatch(r"<[^<>@\s]+@campaign\.example\.org>", message["Message-ID"])
        assert len(message.get_all("Message-ID")) == 1
        date = parsedate_to_datetime(message["Date"])
        assert date.tzinfo is not None and abs(date - utcnow()) < timedelta(minutes=5)
        assert getaddresses(message.get_all("From")) == [sender], row.kind
        assert getaddresses(message.get_all("Reply-To")) == [("", "organizer.reply@example.org")]
        recipients = getaddresses(
            message.get_all("To", []) + message.get_all("Cc", []) + message.get_all("Bcc", [])
        )
        assert recipients == [("", row.to_email)], (row.kind, recipients)
        assert message["Subject"] and message["Subject"] == row.subject
        assert found.text.strip() and "<html" in found.html
        if row.kind in ("registration_confirmed", "promoted", "event_changed", "event_cancelled"):
            method = "CANCEL" if row.kind == "event_cancelled" else "PUBLISH"
            assert f"METHOD:{method}" in found.ics, row.kind
        else:
            assert not found.ics, row.kind


def test_the_organizer_is_never_the_sender(
    app, client, login_as, make_organizer, make_event, signup, tmp_path
):
    organizer = make_organizer(email="organizer.reply@example.org")
    event = make_event(organizer)
    signup(event)
    [message] = deliver(app, tmp_path / "mail")
    assert "organizer.reply" in str(message["Reply-To"])
    assert "organizer.reply" not in str(message["From"])
    assert "organizer.reply" not in str(message.get("Sender", ""))


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"base_url": "http://evil.example"}, id="host"),
        pytest.param({"headers": {"Host": "evil.example"}}, id="host-header"),
        pytest.param(
            {"headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}},
            id="forwarded-host",
        ),
    ],
)
@with_config(PROXY_COUNT=1)
def test_links_use_base_url_whatever_the_host_header_says(
    app, client, make_organizer, make_event, signup, tmp_path, forged
):
    event = make_event(make_organizer(), capacity=1)
    assert signup(event, email="one@example.org", **forged).status_code == 303
    assert signup(event, email="two@example.org", **forged).status_code == 303
    messages = delivered(app, tmp_path / "mail")
    assert len(messages) == 2
    for found in messages:
        raw = found.message.as_string()
        assert "evil.example" not in raw
        urls = re.findall(r"https?://[^\s\"'<>]+", found.text)
        ours = [u for u in urls if "calendar.google.com" not in u and "outlook.live" not in u]
        assert ours and all(u.startswith(BASE_URL + "/") for u in ours), ours
        assert f"{BASE_URL}/r/" in found.text
    token = token_of("one@example.org")
    page = client.get(f"/r/{token}", **forged).get_data(as_text=True)
    assert (input_value(page, "share-link") or "").startswith(f"{BASE_URL}/events/{event.slug}?")


def test_html_mail_escapes_the_registrants_name(
    app, client, make_organizer, make_event, signup, tmp_path
):
    event = make_event(make_organizer())
    signup(event, name="<b>Sam</b> O'Neil & Co", email="sam@example.org")
    [found] = delivered(app, tmp_path / "mail")
    assert "<b>Sam</b>" not in found.html
    assert "&lt;b&gt;Sam&lt;/b&gt;" in found.html
    assert "<b>Sam</b>" in found.text  # plain text is shown as text
    page = client.get(f"/r/{token_of('sam@example.org')}").get_data(as_text=True)
    assert "<b>Sam</b>" not in page and "&lt;b&gt;Sam&lt;/b&gt;" in page


def test_mail_headers_cannot_be_injected(app, make_organizer, make_event, tmp_path):
    organizer = make_organizer()
    event = make_event(organizer, title="Talk\r\nBcc: victim@example.org")
    result = services.register(
        event.id,
        services.SignupInput(name="Sam Jones", email="sam@example.org"),
        utcnow(),
        app.config["SECRET_KEY"],
    )
    db.session.commit()
    assert result.is_new
    [message] = deliver(app, tmp_path / "mail")
    assert message.get_all("Bcc") is None
    assert getaddresses(message.get_all("To")) == [("", "sam@example.org")]


# --- privacy --------------------------------------------------------------------------------


def test_no_name_email_or_token_in_the_logs(
    app, client, login_as, make_organizer, make_event, signup, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    organizer = make_organizer()
    event = make_event(organizer, capacity=1)
    secrets_seen: list[str] = []
    people = [
        ("Zebulon Quixote", "zebulon.quixote@example.org"),
        ("Ysolde Wren", "ysolde@example.org"),
    ]
    for name, email in people:
        assert signup(event, name=name, email=email).status_code == 303
        secrets_seen += [*name.split(), email, email.split("@")[0]]
    signup(event, name="Zebulon Quixote", email="zebulon.quixote@example.org")  # duplicate
    signup(event, name="Zebulon Quixote", email="zebulon.quixote@", website="bot")  # bot
    signup(event, name="Zebulon\x00Quixote", email="zebulon.quixote@example")  # invalid
    first, second = token_of(people[0][1]), token_of(people[1][1])
    secrets_seen += [first, second]
    client.get(f"/r/{first}")
    client.get(f"/r/{first}/export.json")
    client.get(f"/r/{first}x")
    client.post(f"/r/{first}/cancel")
    login_as(organizer)
    client.get(f"/manage/events/{event.id}/attendees?q=zebulon")
    client.get(f"/manage/events/{event.id}/attendees/export.csv").get_data()
    deliver(app, tmp_path / "mail")
    client.post(f"/r/{second}/delete")
    client.post(f"/r/{first}/delete")
    with app.app_context():
        privacy.anonymise_past_retention(utcnow() + timedelta(days=400), 90)
        db.session.commit()
    assert caplog.records, "the flow logs something"
    for record in caplog.records:
        text = " ".join(
            [record.getMessage(), repr(record.args), record.exc_text or "", record.name]
        ).lower()
        for secret in secrets_seen:
            assert secret.lower() not in text, (secret, record.name, record.getMessage())


# --- retention ------------------------------------------------------------------------------


def test_anonymise_past_retention_touches_only_events_ended_long_enough_ago(
    app, make_organizer, make_event, register
):
    organizer = make_organizer()
    now = utcnow()
    old = make_event(organizer)
    recent = make_event(organizer)
    upcoming = make_event(organizer)
    for event, tag in ((old, "old"), (recent, "recent"), (upcoming, "upcoming")):
        register(event, f"Person {tag}", f"{tag}1@example.org")
        register(event, f"Person {tag}", f"{tag}2@example.org", is_consenting_to_updates=True)
    # The events happened: one ended 90 days and an hour ago, one 89 days ago.
    for event, ended in ((old, timedelta(days=90, hours=1)), (recent, timedelta(days=89))):
        event.ends_at = now - ended
        event.starts_at = event.ends_at - timedelta(hours=2)
    db.session.commit()

    assert privacy.anonymise_past_retention(now, 90) == 2
    db.session.commit()
    rows = registrations()
    by_event: dict[int, list[Registration]] = {}
    for row in rows:
        by_event.setdefault(row.event_id, []).append(row)
    for row in by_event[old.id]:
        assert row.is_anonymised and row.name != "Person old" and "old" not in row.email
        assert row.consent_at is None
    for event_id in (recent.id, upcoming.id):
        for row in by_event[event_id]:
            assert not row.is_anonymised and row.name.startswith("Person ")
            assert row.email.endswith("@example.org")
    old_ids = {r.id for r in by_event[old.id]}
    for message in db.session.scalars(select(OutboxMessage)):
        if message.registration_id in old_ids:
            assert not message.text_body and "old" not in message.to_email
            assert message.status != "queued"
        else:
            assert message.status == "queued"
    # Running it again finds nothing new.
    assert privacy.anonymise_past_retention(now, 90) == 0
    assert only_registration("recent1@example.org").name == "Person recent"
