"""Issue 15, point 8: organizers open any message they may see (subject, recipient,
status, text part) with the registrant's own links hidden; addresses never wrap."""

from __future__ import annotations

import html
import re

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.signups import privacy
from campaign.signups.models import Registration
from tests.reminders.conftest import base_time, deliver, register, rows


def _page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_a_sent_message_opens_with_its_text_and_hidden_personal_links(
    app, client, smtp, event_at, login_as, organizer
):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    deliver(utcnow())
    [row] = rows("registration_confirmed")
    assert row.status == "sent" and "/r/" in (row.text_body or "")
    token = re.search(r"/r/([\w-]+)", row.text_body or "").group(1)  # type: ignore[union-attr]
    login_as(organizer)

    outbox = _page(client, "/manage/outbox")
    assert f'href="/manage/outbox/{row.id}"' in outbox
    assert '<span class="address">ann@example.org</span>' in outbox

    page = _page(client, f"/manage/outbox/{row.id}")
    assert f"<h1>{row.subject}</h1>" in html.unescape(page)
    assert '<span class="address">ann@example.org</span>' in page
    assert ">sent</span>" in page
    assert "Hello Ann" in page and event.title in page
    assert "/r/[personal link hidden]" in page
    assert token not in page, "the manage token would let the organizer act as Ann"


def test_a_queued_message_shows_a_draft_without_writing_it(
    app, client, smtp, event_at, login_as, organizer
):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    [row] = rows("registration_confirmed")
    assert row.status == "queued" and row.subject is None
    login_as(organizer)
    page = _page(client, f"/manage/outbox/{row.id}")
    assert "Not written yet" in page and "Hello Ann" in page
    assert "(written when sent)" in _page(client, "/manage/outbox")
    [after] = rows("registration_confirmed")
    assert after.subject is None and after.text_body is None, "viewing wrote nothing"
    assert after.status == "queued"


def test_a_deleted_persons_message_says_so(app, client, smtp, event_at, login_as, organizer):
    event = event_at(base_time())
    registration_id = register(event, "ann@example.org", utcnow(), name="Ann Lee")
    deliver(utcnow())
    registration = db.session.get(Registration, registration_id)
    assert registration is not None
    privacy.anonymise(registration, utcnow())
    db.session.commit()
    [row] = rows("registration_confirmed")
    login_as(organizer)
    page = _page(client, f"/manage/outbox/{row.id}")
    assert "deleted with the person" in page
    assert "ann@example.org" not in page and "Ann" not in page.split("<h1>")[1].split("</h1>")[0]


def test_only_the_events_organizers_and_admins_open_a_message(
    app, client, smtp, event_at, login_as, organizer, make_organizer
):
    event = event_at(base_time())
    register(event, "ann@example.org", utcnow(), name="Ann Lee")
    [row] = rows("registration_confirmed")
    login_as(make_organizer(email="other@example.org"))
    assert client.get(f"/manage/outbox/{row.id}").status_code == 404
    assert client.get("/manage/outbox/999999").status_code == 404
    client.post("/manage/logout")
    login_as(make_organizer(email="admin@example.org", admin=True))
    assert client.get(f"/manage/outbox/{row.id}").status_code == 200
    client.post("/manage/logout")
    assert client.get(f"/manage/outbox/{row.id}").status_code == 302  # to sign in
