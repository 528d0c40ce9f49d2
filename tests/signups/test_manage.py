"""The registrant's manage page /r/<token>: the token, GET-safety, one generic page for bad
links, private headers, the join URL, cancel, delete-my-data, export, and CSRF."""

from __future__ import annotations

import hashlib
import json
import re
import secrets

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.signups.models import Registration
from tests.conftest import csrf_token
from tests.core.support import snapshot, with_config
from tests.signups.conftest import (
    BASE_URL,
    count,
    delivered,
    hrefs,
    manage_link,
    only_registration,
    outbox,
    token_of,
)

JOIN_URL = "https://meet.example.org/room-7f3a9c"


def _assert_private(response) -> None:
    assert response.headers.get("Cache-Control") == "no-store", response.headers
    assert "noindex" in response.headers.get("X-Robots-Tag", ""), response.headers
    assert response.headers.get("Referrer-Policy") == "same-origin", response.headers


def unfold(ics: str | None) -> str:
    """Calendar text with RFC 5545 line folding undone."""
    return (ics or "").replace("\r\n ", "")


def _state() -> dict[str, list]:
    """The rows a visit could change: registrations, their mail, events (caches aside)."""
    rows = snapshot()
    return {name: rows[name] for name in ("registrations", "outbox", "events")}


def _tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


# --- the token ------------------------------------------------------------------------------


def test_the_token_has_at_least_128_bits_and_only_its_hash_is_stored(
    app, make_organizer, make_event, signup, tmp_path
):
    event = make_event(make_organizer())
    signup(event, email="one@example.org")
    signup(event, email="two@example.org")
    mails = {m.to: m for m in delivered(app, tmp_path / "mail")}
    token = manage_link(mails["one@example.org"].text).removeprefix("/r/")
    other = manage_link(mails["two@example.org"].text).removeprefix("/r/")
    assert f'href="{BASE_URL}/r/{token}"' in mails["one@example.org"].html
    assert token == token_of("one@example.org")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) * 6 >= 128, token  # base64url: 6 bits per character
    assert token != other
    registration = only_registration("one@example.org")
    assert registration.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # The token itself is in no column of any table except the mail it was sent in.
    for table, rows in snapshot().items():
        if table == "outbox":
            continue
        for row in rows:
            for value in row:
                assert token not in str(value), (table, row)
    for row in outbox():
        assert token not in str(row.headers)


def test_get_changes_nothing(client, make_organizer, make_event, signup):
    event = make_event(make_organizer(), capacity=1)
    signup(event, email="one@example.org")
    signup(event, email="two@example.org")
    before = _state()
    for email in ("one@example.org", "two@example.org"):
        token = token_of(email)
        for path in (f"/r/{token}", f"/r/{token}/export.json", f"/r/{token}/cancel"):
            for _ in range(2):
                assert client.get(path).status_code in (200, 405)
            assert client.head(path).status_code in (200, 405)
    assert _state() == before


def test_bad_links_all_get_one_generic_page(client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    signup(event, email="one@example.org")
    signup(event, email="gone@example.org")
    token = token_of("one@example.org")
    gone = token_of("gone@example.org")
    assert client.post(f"/r/{gone}/delete").status_code == 200
    candidates = {
        "unknown": secrets.token_urlsafe(32),
        "tampered": _tampered(token),
        "truncated": token[:-1],
        "extended": token + "A",
        "anonymised": gone,
        "long": "A" * 500,
        "odd": "%E2%80%AE%00",
    }
    bodies = {}
    for name, candidate in candidates.items():
        response = client.get(f"/r/{candidate}")
        assert response.status_code == 404, name
        _assert_private(response)
        bodies[name] = response.get_data()
    assert len(set(bodies.values())) == 1, bodies.keys()
    assert b"This link is not valid" in bodies["unknown"]
    assert b"one@example.org" not in bodies["tampered"]
    # Actions through a bad link change nothing and answer the same.
    before = _state()
    for name, candidate in candidates.items():
        for action in ("cancel", "delete"):
            response = client.post(f"/r/{candidate}/{action}")
            assert response.status_code == 404, (name, action)
            assert response.get_data() == bodies["unknown"]
        assert client.get(f"/r/{candidate}/export.json").get_data() == bodies["unknown"]
    assert _state() == before


@with_config(WTF_CSRF_ENABLED=True)
def test_every_manage_response_is_private(client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    signup(event, email="one@example.org")
    signup(event, email="two@example.org")
    token = token_of("one@example.org")
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    _assert_private(page)
    html = page.get_data(as_text=True)
    responses = {
        "export": client.get(f"/r/{token}/export.json"),
        "invalid": client.get(f"/r/{_tampered(token)}"),
        "cancel-no-csrf": client.post(f"/r/{token}/cancel"),
        "delete-no-csrf": client.post(f"/r/{token}/delete"),
        "get-on-a-button": client.get(f"/r/{token}/delete"),
        "cancel": client.post(f"/r/{token}/cancel", data={"csrf_token": csrf_token(html)}),
    }
    assert responses["cancel"].status_code == 303
    responses["after-cancel"] = client.get(f"/r/{token}")
    other = token_of("two@example.org")
    other_html = client.get(f"/r/{other}").get_data(as_text=True)
    responses["delete"] = client.post(
        f"/r/{other}/delete", data={"csrf_token": csrf_token(other_html)}
    )
    assert responses["delete"].status_code == 200
    for name, response in responses.items():
        assert response.status_code < 500, name
        try:
            _assert_private(response)
        except AssertionError as exc:
            raise AssertionError(f"{name} ({response.status_code}): {exc}") from None


# --- the join URL ---------------------------------------------------------------------------


def test_the_join_url_is_shown_only_to_confirmed_registrants(
    app, client, make_organizer, make_event, signup, tmp_path
):
    event = make_event(
        make_organizer(), format="online", venue="", city="", join_url=JOIN_URL, capacity=1
    )
    signup(event, email="first@example.org")
    signup(event, email="second@example.org")
    assert JOIN_URL not in client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert JOIN_URL not in unfold(client.get(f"/events/{event.slug}/calendar.ics").get_data(True))
    assert JOIN_URL not in unfold(client.get("/calendar.ics").get_data(as_text=True))
    first, second = token_of("first@example.org"), token_of("second@example.org")
    waiting_page = client.get(f"/r/{second}").get_data(as_text=True)
    assert JOIN_URL not in waiting_page
    assert not any("room-7f3a9c" in link for link in hrefs(waiting_page))
    assert JOIN_URL in client.get(f"/r/{first}").get_data(as_text=True)
    before = {m.kind: m for m in delivered(app, tmp_path / "before")}
    confirmed, waitlisted = before["registration_confirmed"], before["waitlisted"]
    assert JOIN_URL in confirmed.text and JOIN_URL in confirmed.html
    assert JOIN_URL in confirmed.ics
    for part in (waitlisted.text, waitlisted.html, waitlisted.ics, str(waitlisted.message)):
        assert JOIN_URL not in part

    # The first cancels: the second is promoted, and now sees the link, in mail and page.
    assert client.post(f"/r/{first}/cancel").status_code == 303
    assert JOIN_URL not in client.get(f"/r/{first}").get_data(as_text=True)
    assert JOIN_URL in client.get(f"/r/{second}").get_data(as_text=True)
    after = {m.kind: m for m in delivered(app, tmp_path / "after")}
    assert set(after) == {"promoted", "registration_cancelled"}
    promoted = after["promoted"]
    assert promoted.to == "second@example.org"
    assert JOIN_URL in promoted.text and JOIN_URL in promoted.html and JOIN_URL in promoted.ics
    cancelled = after["registration_cancelled"]
    assert JOIN_URL not in cancelled.text + cancelled.html + cancelled.ics


def test_a_waitlist_mail_delivered_after_the_promotion_has_no_join_url(
    app, client, make_organizer, make_event, signup, tmp_path
):
    """Mail is rendered when it is delivered: a waitlist notice still queued when the person
    is promoted must not turn into a second confirmation nor leak the link as a waitlist
    notice."""
    event = make_event(
        make_organizer(), format="online", venue="", city="", join_url=JOIN_URL, capacity=1
    )
    signup(event, email="first@example.org")
    signup(event, email="second@example.org")
    assert client.post(f"/r/{token_of('first@example.org')}/cancel").status_code == 303
    for message in delivered(app, tmp_path / "mail"):
        if message.kind == "waitlisted":
            assert JOIN_URL not in message.text + message.html + message.ics


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_works_once_and_is_idempotent(client, make_organizer, make_event, signup):
    event = make_event(make_organizer(), capacity=1)
    signup(event, email="first@example.org")
    signup(event, email="second@example.org")
    token = token_of("first@example.org")
    for _ in range(3):
        response = client.post(f"/r/{token}/cancel")
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/r/{token}")
    first = only_registration("first@example.org")
    assert first.status == "cancelled" and first.cancelled_at is not None
    assert len(outbox("registration_cancelled")) == 1
    assert [m.to_email for m in outbox("promoted")] == ["second@example.org"]
    assert only_registration("second@example.org").status == "confirmed"
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "You cancelled this registration" in page
    assert "Cancel my registration" not in page


def test_cancel_sits_near_the_top_and_asks_first(client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    signup(event, email="sam@example.org")
    page = client.get(f"/r/{token_of('sam@example.org')}").get_data(as_text=True)
    cancel = page.index("Cancel my registration")
    assert cancel < page.index("Add to your calendar") < page.index("Bring a friend")
    form = page[page.rindex("<form", 0, cancel) : cancel]
    assert 'data-confirm="Cancel your registration?' in form
    # Each form's CSRF field has no id, so a page of several forms repeats none.
    assert 'id="csrf_token"' not in page


# --- delete my data -------------------------------------------------------------------------


def test_delete_my_data_anonymises_withdraws_mail_and_promotes(
    app, client, make_organizer, make_event, signup, tmp_path
):
    event = make_event(make_organizer(), capacity=1)
    signup(event, name="Philippa Quartermaine", email="philippa@example.org")
    signup(event, name="Second Person", email="second@example.org")
    token = token_of("philippa@example.org")
    own = only_registration("philippa@example.org")
    own_id = own.id
    assert all(m.status == "queued" for m in outbox(to="philippa@example.org"))

    response = client.post(f"/r/{token}/delete")
    assert response.status_code == 200
    assert "Your data is deleted" in response.get_data(as_text=True)

    db.session.rollback()
    row = db.session.get(Registration, own_id)
    assert row is not None
    assert row.name != "Philippa Quartermaine" and "philippa" not in row.email
    assert row.anonymised_at is not None and row.status == "cancelled"
    assert row.is_consenting_to_updates is False and row.consent_at is None
    own_mail = [m for m in outbox() if m.registration_id == own_id]
    assert own_mail, "the confirmation mail row is kept, scrubbed"
    for message in own_mail:
        assert message.status == "cancelled", "a queued mail must be withdrawn"
        assert not message.text_body and not message.html_body and not message.ics
        assert "philippa" not in message.to_email
    # Nothing personal is left anywhere in the database.
    for table, rows in snapshot().items():
        for values in rows:
            for value in values:
                text = str(value).lower()
                assert "philippa" not in text and "quartermaine" not in text, (table, values)
                assert token not in str(value)
    # The link is dead, the seat went to the waitlist.
    assert client.get(f"/r/{token}").status_code == 404
    assert client.post(f"/r/{token}/delete").status_code == 404
    assert only_registration("second@example.org").status == "confirmed"
    assert [m.to_email for m in outbox("promoted")] == ["second@example.org"]
    assert not outbox("registration_cancelled"), "no mail to an address that asked to be deleted"
    for message in delivered(app, tmp_path / "mail"):
        assert message.to == "second@example.org", message.kind


# --- export ---------------------------------------------------------------------------------


def test_export_holds_my_data_and_nobody_elses(client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    signup(event, name="Ada Lovelace", email="ada@example.org", keep_informed="y")
    ada = only_registration("ada@example.org")
    signup(event, name="Charles Babbage", email="charles@example.org", ref=ada.referral_code)
    token = token_of("ada@example.org")
    response = client.get(f"/r/{token}/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["name"] == "Ada Lovelace"
    assert data["email"] == "ada@example.org"
    assert data["status"] == "confirmed"
    assert data["keep_me_informed"] is True and data["keep_me_informed_since"]
    assert data["event"]["title"] == event.title
    assert data["people_registered_through_your_link"] == 1
    assert [m["kind"] for m in data["emails"]] == ["registration_confirmed"]
    assert data["referral_code"] == ada.referral_code
    raw = response.get_data(as_text=True).lower()
    assert "charles" not in raw and "babbage" not in raw


# --- CSRF -----------------------------------------------------------------------------------


@with_config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize("action", ["cancel", "delete"])
def test_the_buttons_need_the_csrf_token(client, make_organizer, make_event, signup, action):
    event = make_event(make_organizer())
    response = signup(event, email="one@example.org")
    assert response.status_code == 303
    token = token_of("one@example.org")
    before = snapshot()
    assert client.post(f"/r/{token}/{action}").status_code == 400
    assert client.post(f"/r/{token}/{action}", data={"csrf_token": "forged"}).status_code == 400
    assert snapshot() == before
    html = client.get(f"/r/{token}").get_data(as_text=True)
    response = client.post(f"/r/{token}/{action}", data={"csrf_token": csrf_token(html)})
    assert response.status_code in (200, 303)
    db.session.rollback()
    row = db.session.scalar(select(Registration))
    assert row is not None and row.status == "cancelled"
    assert (row.anonymised_at is not None) == (action == "delete")
    assert count(Registration) == 1
