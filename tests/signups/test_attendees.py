"""The organizer's attendee tools: search, filter, counts, pages, check-in, promote, the
waitlist after a capacity rise, the CSV export, and who may see any of it."""

from __future__ import annotations

import contextvars
import csv
import html
import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from campaign.attendees.services import CSV_HEADER, csv_filename, neutralise
from campaign.extensions import db
from campaign.signups.models import Registration
from tests.conftest import login
from tests.signups.conftest import edit_event, only_registration, outbox, registrations


def _names(page: str) -> list[str]:
    """The Name column of the attendee table, top to bottom."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [html.unescape(n) for n in re.findall(r"<tr>\s*<td>\d+</td>\s*<td>(.*?)</td>", body)]


def _stat(page: str, label: str) -> int:
    match = re.search(rf"<dt>{label}</dt><dd>(\d+)", page)
    assert match, label
    return int(match.group(1))


@pytest.fixture
def owner(make_organizer):
    return make_organizer(email="owner@example.org")


@pytest.fixture
def people(owner, make_event, register):
    """An event with capacity 3: three confirmed, two waitlisted, one cancelled."""
    event = make_event(owner, capacity=3)
    for name, email in [
        ("Alice Smith", "alice@example.org"),
        ("Bob 100% Real", "bob@example.org"),
        ("Carol_Underscore", "carol@example.org"),
        ("Dave Jones", "DAVE.J@Example.org"),
        ("Élodie Ωmega", "elodie@example.org"),
        ("Frank Gone", "frank@example.org"),
    ]:
        register(event, name, email)
    frank = only_registration("frank@example.org")
    frank.status = "cancelled"
    db.session.commit()
    return event


def test_search_by_name_and_email_ignores_case_and_treats_wildcards_literally(
    client, login_as, owner, people
):
    login_as(owner)
    url = f"/manage/events/{people.id}/attendees"

    def search(q: str) -> list[str]:
        response = client.get(url, query_string={"q": q})
        assert response.status_code == 200
        return _names(response.get_data(as_text=True))

    assert len(search("")) == 6
    assert search("alice") == search("ALICE") == search("sMiTh") == ["Alice Smith"]
    assert search("dave.j@EXAMPLE") == ["Dave Jones"]
    assert search("CAROL@example.org") == ["Carol_Underscore"]
    assert search("%") == ["Bob 100% Real"]
    assert search("100%") == ["Bob 100% Real"]
    assert search("_") == ["Carol_Underscore"]
    assert search("l_") == ["Carol_Underscore"]  # as a wildcard it would match "li" too
    assert search("\\") == []
    assert search("nobody-here") == []
    # A name with a non-ASCII capital is found as typed, and in capitals, on every database.
    assert search("Élodie") == search("ÉLODIE") == search("Ωmega") == ["Élodie Ωmega"]


def test_status_filter_and_counts(client, login_as, owner, people):
    login_as(owner)
    url = f"/manage/events/{people.id}/attendees"
    waiting = client.get(url, query_string={"status": "waitlisted"}).get_data(as_text=True)
    assert _names(waiting) == ["Dave Jones", "Élodie Ωmega"]
    cancelled = client.get(url, query_string={"status": "cancelled"}).get_data(as_text=True)
    assert _names(cancelled) == ["Frank Gone"]
    both = client.get(url, query_string={"status": "confirmed", "q": "a"}).get_data(as_text=True)
    assert _names(both) == ["Alice Smith", "Bob 100% Real", "Carol_Underscore"]
    assert len(_names(client.get(url, query_string={"status": "bogus"}).get_data(True))) == 6
    page = client.get(url).get_data(as_text=True)
    assert (_stat(page, "Confirmed"), _stat(page, "Waitlisted")) == (3, 2)
    assert (_stat(page, "Cancelled"), _stat(page, "Checked in")) == (1, 0)


def test_the_list_is_paginated(client, login_as, owner, make_event, register):
    event = make_event(owner)
    for n in range(62):
        register(event, f"Person {n:02d}", f"p{n:02d}@example.org")
    login_as(owner)
    url = f"/manage/events/{event.id}/attendees"
    first = client.get(url).get_data(as_text=True)
    assert _names(first) == [f"Person {n:02d}" for n in range(50)]
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get(url, query_string={"page": 2}).get_data(as_text=True)
    assert _names(second) == [f"Person {n:02d}" for n in range(50, 62)]
    assert 'rel="prev"' in second
    for odd in ("0", "-3", "99", "abc", "1e9"):
        assert client.get(url, query_string={"page": odd}).status_code == 200


def _post(client, event, registration, action: str, **data):
    return client.post(f"/manage/events/{event.id}/attendees/{registration.id}/{action}", data=data)


def test_check_in_toggles_for_confirmed_only(client, login_as, owner, people):
    login_as(owner)
    alice, dave = only_registration("alice@example.org"), only_registration("dave.j@example.org")
    assert _post(client, people, alice, "check-in", checked_in="1").status_code == 303
    assert only_registration("alice@example.org").checked_in_at is not None
    page = client.get(f"/manage/events/{people.id}/attendees").get_data(as_text=True)
    assert _stat(page, "Checked in") == 1
    assert "Undo check-in" in page
    assert _post(client, people, alice, "check-in", checked_in="0").status_code == 303
    assert only_registration("alice@example.org").checked_in_at is None
    response = _post(client, people, dave, "check-in", checked_in="1")
    assert response.status_code == 303
    assert only_registration("dave.j@example.org").checked_in_at is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only confirmed attendees can be checked in" in page


def test_manual_promote_is_refused_when_full_and_works_after_a_capacity_rise(
    client, login_as, owner, people
):
    login_as(owner)
    dave = only_registration("dave.j@example.org")
    response = _post(client, people, dave, "promote")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event is full" in html.unescape(page)
    assert only_registration("dave.j@example.org").status == "waitlisted"
    assert not outbox("promoted")
    # Élodie (second in line) can be picked by hand once there is room.
    db.session.execute(update(type(people)).where(type(people).id == people.id).values(capacity=4))
    db.session.commit()
    elodie = only_registration("elodie@example.org")
    response = _post(client, people, elodie, "promote")
    assert response.status_code == 303
    assert only_registration("elodie@example.org").status == "confirmed"
    assert [m.to_email for m in outbox("promoted")] == ["elodie@example.org"]
    alice = only_registration("alice@example.org")
    _post(client, people, alice, "promote")
    assert only_registration("alice@example.org").status == "confirmed"
    assert len(outbox("promoted")) == 1


def test_raising_capacity_in_the_edit_form_promotes_the_waitlist_in_order(
    client, login_as, owner, make_event, register
):
    event = make_event(owner, capacity=1)
    for n in range(5):
        register(event, f"Person {n}", f"p{n}@example.org")
    assert [r.status for r in registrations(event.id)] == ["confirmed"] + ["waitlisted"] * 4
    login_as(owner)
    edit_event(client, event.id, capacity="3")
    assert [r.status for r in registrations(event.id)] == (["confirmed"] * 3 + ["waitlisted"] * 2)
    assert [m.to_email for m in outbox("promoted")] == ["p1@example.org", "p2@example.org"]
    # Lowering it again promotes nobody and demotes nobody.
    edit_event(client, event.id, capacity="2")
    assert [r.status for r in registrations(event.id)] == (["confirmed"] * 3 + ["waitlisted"] * 2)
    edit_event(client, event.id, capacity="")
    assert all(r.status == "confirmed" for r in registrations(event.id))
    assert len(outbox("promoted")) == 4


# --- CSV ------------------------------------------------------------------------------------

DANGEROUS = ["=1+2", "+44 20 7946 0000", "@SUM(A1:A2)", "-x", '=HYPERLINK("http://x")']
NUMBERS = ["-5", "-3.5", "42"]


def test_the_csv_neutralises_formulas_and_keeps_numbers(
    client, login_as, owner, make_event, register
):
    event = make_event(owner, title="Spreadsheet night")
    for n, name in enumerate(DANGEROUS + NUMBERS):
        register(event, name, f"person{n}@example.org")
    register(event, "Plain Name", "=cmd@example.org")
    register(event, "Tab Name", "tab@example.org")
    register(event, "CR Name", "cr@example.org")
    # Names with tab or CR cannot come through the form; put them in directly.
    for email, name in (("tab@example.org", "\t=1+1"), ("cr@example.org", "\r=1+1")):
        db.session.execute(
            update(Registration).where(Registration.email == email).values(name=name)
        )
    db.session.commit()
    login_as(owner)
    # Unbuffered, in one context of its own (as a server runs a request): the body must
    # be produced while it is read, not built up front.
    context = contextvars.Context()
    url = f"/manage/events/{event.id}/attendees/export.csv"
    response = context.run(FlaskClient.open, client, url, buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    text = context.run(response.get_data, as_text=True).lstrip("\ufeff")
    context.run(response.close)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    by_email = {row[1]: row for row in rows[1:]}
    assert len(by_email) == len(DANGEROUS) + len(NUMBERS) + 3
    for n, name in enumerate(DANGEROUS):
        assert by_email[f"person{n}@example.org"][0] == "'" + name
    for n, name in enumerate(NUMBERS, start=len(DANGEROUS)):
        assert by_email[f"person{n}@example.org"][0] == name
    assert "'=cmd@example.org" in by_email
    assert by_email["tab@example.org"][0] == "'\t=1+1"
    assert by_email["cr@example.org"][0] == "' =1+1"  # the CR is a space: one line per row
    for row in rows[1:]:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert re.fullmatch(r"-?\d+(\.\d+)?", cell), cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "-1"),
        ("-1.25", "-1.25"),
        ("-1e5", "'-1e5"),
        ("-", "'-"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", " x"),
        ("\r=x", "' =x"),
        (" =1", "' =1"),
        ("a\r\nb\u2028c\x85d", "a b c d"),
        ("plain", "plain"),
        ("", ""),
        (None, ""),
        (-5, "-5"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def test_every_csv_row_is_one_line_whatever_the_names_hold(
    client, login_as, owner, make_event, register
):
    """A line break inside a cell is a space: readers that split on breaks (inside quotes
    too, or on U+2028) still see one row per registrant."""
    event = make_event(owner, title="Breaks")
    for n, br in enumerate(BREAKS):
        register(event, f"Person {n}", f"p{n}@example.org")
        name = f"Ann{br}=cmd|' /C calc'!A0{br}Bob"
        db.session.execute(
            update(Registration).where(Registration.email == f"p{n}@example.org").values(name=name)
        )
    db.session.commit()
    login_as(owner)
    response = client.get(f"/manage/events/{event.id}/attendees/export.csv")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    lines = text.splitlines()
    assert len(lines) == 1 + len(BREAKS), lines
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + len(BREAKS)
    for row in rows[1:]:
        assert row[0] == "Ann =cmd|' /C calc'!A0 Bob", row


def test_the_csv_filename_is_safe(client, login_as, owner, make_event):
    event = make_event(owner, title='Say "hi"\r\nto Ünïcode café', slug='Say "hi"\r\nÜnïcode café')
    login_as(owner)
    response = client.get(f"/manage/events/{event.id}/attendees/export.csv")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="attendees-[a-z0-9-]+\.csv"', disposition)
    assert disposition.startswith('attachment; filename="attendees-say-hi-')
    for slug in ('a"b', "a\r\nb", "../../etc/passwd", "ÜÜÜ", "", "-" * 10, "x" * 500):
        name = csv_filename(slug)
        assert re.fullmatch(r"attendees-[a-z0-9-]+\.csv", name), (slug, name)
        assert len(name) <= 80


# --- who may see it -------------------------------------------------------------------------


def test_another_organizer_gets_404_for_everything(
    app, client, make_organizer, make_event, owner, people, register
):
    stranger = make_organizer(email="stranger@example.org")
    theirs = make_event(stranger)
    register(theirs, "Their Guest", "guest@example.org")
    login(client, stranger.email)
    alice, dave = only_registration("alice@example.org"), only_registration("dave.j@example.org")
    base = f"/manage/events/{people.id}/attendees"
    assert client.get(base).status_code == 404
    assert client.get(base + "/export.csv").status_code == 404
    assert client.post(f"{base}/{alice.id}/check-in", data={"checked_in": "1"}).status_code == 404
    assert client.post(f"{base}/{dave.id}/promote").status_code == 404
    # Their own event's URL does not reach someone else's registration either.
    own = f"/manage/events/{theirs.id}/attendees"
    assert client.post(f"{own}/{alice.id}/check-in", data={"checked_in": "1"}).status_code == 404
    assert client.post(f"{own}/{dave.id}/promote").status_code == 404
    assert "Alice Smith" not in client.get("/manage/").get_data(as_text=True)
    assert only_registration("alice@example.org").checked_in_at is None
    assert only_registration("dave.j@example.org").status == "waitlisted"
    # Signed out, it is a sign-in redirect, not data.
    anonymous = app.test_client()
    assert anonymous.get(base + "/export.csv").status_code == 302


def test_the_dashboard_shows_totals_per_event(
    client, login_as, make_organizer, make_event, owner, register
):
    big = make_event(owner, title="Big talk", capacity=2)
    small = make_event(owner, title="Small talk")
    hidden = make_event(make_organizer(), title="Not yours")
    for n in range(4):
        register(big, f"Big {n}", f"big{n}@example.org")
    register(small, "Small 0", "small0@example.org")
    register(hidden, "Hidden 0", "hidden0@example.org")
    big0 = only_registration("big0@example.org")
    big0.checked_in_at = big0.created_at
    db.session.commit()
    login_as(owner)
    page = client.get("/manage/").get_data(as_text=True)
    assert "Not yours" not in page

    def row_of(title: str) -> list[str]:
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
            if f">{title}<" in row:
                cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
        raise AssertionError(f"no row for {title}")

    # Confirmed (of capacity), waitlisted, checked in, via share links.
    assert row_of("Big talk")[2:6] == ["2 of 2", "2", "1", "0"]
    assert row_of("Small talk")[2:6] == ["1", "0", "0", "0"]


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("published", "Share the event page to get the word out."),
        ("draft", "the event is a draft. Once it is published, people can register"),
        ("cancelled", "Nobody is registered: the event is cancelled."),
    ],
)
def test_an_empty_list_says_what_fits_the_event(client, login_as, owner, make_event, status, says):
    """A draft cannot be shared yet and a cancelled event should not be: the empty list
    only suggests sharing a published event's page."""
    event = make_event(owner, status=status)
    login_as(owner)
    page = html.unescape(client.get(f"/manage/events/{event.id}/attendees").get_data(as_text=True))
    assert says in page
    assert ("Share the event page" in page) is (status == "published")
