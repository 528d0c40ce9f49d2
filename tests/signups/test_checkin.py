"""Issue 15, point 10: the attendee list numbers rows and shows times in the event's zone;
walk-ins are added by hand; the QR code on a person's registration page holds what the
organizer's check-in page reads (decoded with zbarimg), and a typed code works too."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from campaign.attendees import checkin
from campaign.core.timeutil import format_local, utcnow
from campaign.extensions import db
from campaign.signups.models import Registration
from campaign.signups.tokens import check_in_code
from tests.conftest import PASSWORD, csrf_token
from tests.core.support import with_config
from tests.signups.conftest import BASE_URL, delivered, only_registration, outbox, token_of

SECRET = "test-secret-key-not-for-production"


@pytest.fixture
def owner(make_organizer):
    return make_organizer(email="owner@example.org")


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _code_on_manage_page(client, token: str) -> str:  # type: ignore[no-untyped-def]
    page = _page(client.get(f"/r/{token}"))
    match = re.search(r'<strong class="check-in-pass__code">([0-9A-Z-]+)</strong>', page)
    assert match, "no check-in code on the manage page"
    return match.group(1)


def _zbar(png: bytes, tmp_path: Path) -> str:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg not installed (apt-get install zbar-tools)")
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


# --- codes ----------------------------------------------------------------------------------


def test_read_code_forgives_case_spaces_and_lookalikes_and_refuses_the_rest():
    code = check_in_code(SECRET, "abc")
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    assert checkin.read_code(code) == code
    assert checkin.read_code(code.lower().replace("-", " ")) == code
    assert checkin.read_code("0000-1111") == checkin.read_code("oooo iiLL") == "0000-1111"
    url = f"{BASE_URL}/manage/events/3/attendees/check-in?code={code}"
    assert checkin.read_code(url) == code
    for bad in ("", "ABC", "ABCD-12345", "ABCD-12U4", "ABCD_1234", f"{BASE_URL}/x?nocode=1"):
        assert checkin.read_code(bad) == "", bad
    assert check_in_code(SECRET, "abc") != check_in_code(SECRET, "abd")
    assert check_in_code(SECRET, "abc") != check_in_code("another key", "abc")


# --- the QR code and the check-in page -------------------------------------------------------


def test_the_qr_code_holds_what_the_check_in_page_reads(
    app, client, login_as, owner, make_event, register, tmp_path
):
    event = make_event(owner)
    register(event, "Ann Lee", "ann@example.org")
    token = token_of("ann@example.org")
    code = _code_on_manage_page(client, token)
    qr = client.get(f"/r/{token}/check-in.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png"
    assert "no-store" in qr.headers["Cache-Control"]
    scanned = _zbar(qr.data, tmp_path)
    assert scanned == f"{BASE_URL}/manage/events/{event.id}/attendees/check-in?code={code}"
    # The mail gives the same code.
    [mail] = [m for m in delivered(app, tmp_path / "mail") if m.kind == "registration_confirmed"]
    assert f"check-in code: {code}" in mail.text

    login_as(owner)
    parts = urlsplit(scanned)
    found = client.get(f"{parts.path}?{parts.query}")
    assert found.status_code == 200
    assert found.headers["Permissions-Policy"].startswith("camera=(self)")
    page = _page(found)
    assert '<h2 id="result-heading">Ann Lee</h2>' in page and "Check in Ann Lee" in page
    assert only_registration("ann@example.org").checked_in_at is None, "looking is not checking in"

    response = client.post(
        f"/manage/events/{event.id}/attendees/check-in", data={"code": code.lower()}
    )
    assert response.status_code == 303
    assert only_registration("ann@example.org").checked_in_at is not None
    page = _page(client.get(f"{parts.path}?{parts.query}"))
    assert "Already checked in at" in page and "1 of 1 person with a place checked in" in page
    # Checking in again changes nothing and says so.
    first = only_registration("ann@example.org").checked_in_at
    client.post(f"/manage/events/{event.id}/attendees/check-in", data={"code": code})
    assert only_registration("ann@example.org").checked_in_at == first
    assert "Ann Lee was already checked in" in _page(
        client.get(f"/manage/events/{event.id}/attendees/check-in")
    )


def test_wrong_codes_other_events_and_people_without_a_place(
    client, login_as, owner, make_event, register
):
    event = make_event(owner, capacity=1)
    other = make_event(owner)
    register(event, "Ann Lee", "ann@example.org")
    register(event, "Wai Ting", "wai@example.org")  # waitlisted
    register(other, "Oli Other", "oli@example.org")
    wai = _code_on_manage_page_from_row("wai@example.org")
    oli = _code_on_manage_page_from_row("oli@example.org")
    login_as(owner)
    url = f"/manage/events/{event.id}/attendees/check-in"

    for typed in ("ZZZZ-ZZZZ", "nonsense", oli, "<script>alert(1)</script>"):
        response = client.get(url, query_string={"code": typed})
        assert response.status_code == 404, typed
        assert "No registration for this event has the code" in _page(response)
        assert "<script>alert(1)</script>" not in _page(response)
    response = client.post(url, data={"code": oli})
    assert response.status_code == 303
    assert only_registration("oli@example.org").checked_in_at is None

    page = _page(client.get(url, query_string={"code": wai}))
    assert "Not a confirmed attendee: on the waitlist" in page and "Check in Wai" not in page
    client.post(url, data={"code": wai})
    assert only_registration("wai@example.org").checked_in_at is None
    assert "Only confirmed attendees can be checked in" in _page(client.get(url))


def _code_on_manage_page_from_row(email: str) -> str:
    return check_in_code(SECRET, only_registration(email).token_nonce)


def test_no_qr_code_without_a_place_or_for_a_cancelled_event(client, owner, make_event, register):
    event = make_event(owner, capacity=1)
    register(event, "Ann Lee", "ann@example.org")
    register(event, "Wai Ting", "wai@example.org")
    waiting = token_of("wai@example.org")
    assert client.get(f"/r/{waiting}/check-in.png").status_code == 404
    assert "check-in-pass" not in _page(client.get(f"/r/{waiting}"))
    assert client.get("/r/not-a-real-token/check-in.png").status_code == 404
    online = make_event(owner, format="online", venue="", city="", join_url="https://x.example/")
    register(online, "Ona Line", "ona@example.org")
    assert "check-in-pass" not in _page(client.get(f"/r/{token_of('ona@example.org')}"))
    row = db.session.merge(event)
    row.status = "cancelled"
    db.session.commit()
    assert client.get(f"/r/{token_of('ann@example.org')}/check-in.png").status_code == 404


def test_other_organizers_cannot_use_the_check_in_page(
    client, login_as, owner, make_organizer, make_event, register
):
    event = make_event(owner)
    register(event, "Ann Lee", "ann@example.org")
    code = _code_on_manage_page_from_row("ann@example.org")
    login_as(make_organizer(email="other@example.org"))
    url = f"/manage/events/{event.id}/attendees/check-in"
    assert client.get(url, query_string={"code": code}).status_code == 404
    assert client.post(url, data={"code": code}).status_code == 404
    assert (
        client.post(f"/manage/events/{event.id}/attendees/walk-in", data={"name": "X"}).status_code
        == 404
    )
    assert only_registration("ann@example.org").checked_in_at is None


@with_config(WTF_CSRF_ENABLED=True)
def test_check_in_and_walk_in_need_the_form_token(client, owner, make_event, register):
    event = make_event(owner)
    register(event, "Ann Lee", "ann@example.org")
    code = _code_on_manage_page_from_row("ann@example.org")
    token = csrf_token(_page(client.get("/manage/login")))
    client.post(
        "/manage/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token}
    )
    base = f"/manage/events/{event.id}/attendees"
    assert client.post(f"{base}/check-in", data={"code": code}).status_code == 400
    assert client.post(f"{base}/walk-in", data={"name": "Walter"}).status_code == 400
    assert only_registration("ann@example.org").checked_in_at is None
    assert len(outbox()) == 1  # Ann's confirmation only


# --- walk-ins -------------------------------------------------------------------------------


def _walk_in(client, event_id: int, **data: str):  # type: ignore[no-untyped-def]
    return client.post(f"/manage/events/{event_id}/attendees/walk-in", data=data)


def test_a_walk_in_without_an_address_is_checked_in_and_never_mailed(
    client, login_as, owner, make_event
):
    starts = utcnow() - timedelta(minutes=30)
    event = make_event(owner, starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=5)
    login_as(owner)
    assert _walk_in(client, event.id, name="Walter Door", email="").status_code == 303
    [row] = db.session.query(Registration).filter_by(event_id=event.id).all()
    assert row.name == "Walter Door" and row.status == "confirmed"
    assert row.checked_in_at is not None and row.is_unsubscribed
    assert outbox() == []
    page = _page(client.get(f"/manage/events/{event.id}/attendees"))
    assert "Walter Door is added and checked in." in page
    assert "walk-in, no email" in page and "walk-in.invalid" not in page
    assert "alert--warning" not in page


def test_a_walk_in_already_on_the_waitlist_gets_the_place_past_capacity(
    client, login_as, owner, make_event, register
):
    event = make_event(owner, capacity=1)
    register(event, "Ann Lee", "ann@example.org")
    register(event, "Wai Ting", "wai@example.org")
    login_as(owner)
    assert _walk_in(client, event.id, name="Wai T", email="WAI@example.org").status_code == 303
    wai = only_registration("wai@example.org")
    assert wai.status == "confirmed" and wai.checked_in_at is not None
    assert wai.name == "Wai Ting", "the existing registration is kept, not duplicated"
    page = _page(client.get(f"/manage/events/{event.id}/attendees"))
    assert "Wai Ting was already registered: now checked in." in page
    assert "over its capacity of 1" in page
    assert "Checked in early" in page  # the event is next week


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "email": ""}, "name", "Enter their name."),
        ({"name": "Walt", "email": "not an address"}, "email", "Enter a valid email address"),
        ({"name": "W\u202ealt", "email": ""}, "name", "control characters"),
        ({"name": "W" * 101, "email": ""}, "name", "101"),
    ],
)
def test_a_bad_walk_in_changes_nothing_and_says_why(
    client, login_as, owner, make_event, data, field, message
):
    event = make_event(owner)
    login_as(owner)
    response = _walk_in(client, event.id, **data)
    assert response.status_code == 400
    page = html.unescape(_page(response))
    error = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1), page[:200]
    assert db.session.query(Registration).count() == 0


def test_no_walk_ins_for_a_draft_or_cancelled_event(client, login_as, owner, make_event):
    draft = make_event(owner, status="draft", published_at=None)
    cancelled = make_event(owner, status="cancelled")
    login_as(owner)
    for event in (draft, cancelled):
        assert _walk_in(client, event.id, name="Walt").status_code == 303
        assert "Only a published event takes walk-ins" in _page(
            client.get(f"/manage/events/{event.id}/attendees")
        )
    assert db.session.query(Registration).count() == 0


# --- the list -------------------------------------------------------------------------------


def test_rows_are_numbered_and_times_are_in_the_events_zone(
    client, login_as, owner, make_event, register
):
    event = make_event(owner, timezone="Australia/Sydney")
    make_other = make_event(owner)
    register(make_other, "Someone Else", "else@example.org")  # pushes the ids up
    ann = register(event, "Ann Lee", "ann@example.org")
    register(event, "Ben Ode", "ben@example.org")
    login_as(owner)
    page = _page(client.get(f"/manage/events/{event.id}/attendees"))
    numbers = re.findall(r"<tr>\s*<td>(\d+)</td>", page)
    assert numbers == ["1", "2"] and ann.id != 1
    assert format_local(ann.created_at, "Australia/Sydney") in page
    assert "Registered (Australia/Sydney time)" in page
    assert " UTC</td>" not in page
    # Page two continues the numbering.
    for n in range(55):
        register(event, f"Person {n:02d}", f"p{n}@example.org")
    second = _page(client.get(f"/manage/events/{event.id}/attendees?page=2"))
    assert re.findall(r"<tr>\s*<td>(\d+)</td>", second)[0] == "51"
