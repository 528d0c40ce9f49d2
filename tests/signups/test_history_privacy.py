"""Issue 15, point 15: deleting people's data keeps what happened. Anonymised rows of an
event that has started keep their status, check-in and the share link they came through,
so counts, charts and referral totals stay true; a deleted referrer is "a deleted
supporter", and other people's CSV rows no longer carry the deleted person's code."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.reminders import services as reminders
from campaign.signups import privacy
from campaign.signups.models import DELETED_SUPPORTER, Registration
from tests.signups.conftest import only_registration, outbox, registrations, token_of


def _stat(page: str, label: str) -> int:
    match = re.search(rf"<dt>{label}</dt><dd>(\d+)", page)
    assert match, label
    return int(match.group(1))


@pytest.fixture
def owner(make_organizer):
    return make_organizer(email="owner@example.org")


@pytest.fixture
def happened(owner, make_event, register):
    """An event that ended yesterday: Ada (checked in) brought Bea (checked in) through her
    link; Cy cancelled."""
    event = make_event(owner, capacity=10)
    ada = register(event, "Ada Lovelace", "ada@example.org")
    register(event, "Bea Brought", "bea@example.org", referral_code=ada.referral_code)
    register(event, "Cy Cancelled", "cy@example.org")
    now = utcnow()
    for row in registrations(event.id):
        if row.email == "cy@example.org":
            row.status, row.cancelled_at = "cancelled", now
        else:
            row.checked_in_at = now
    event = db.session.merge(event)
    event.starts_at = now - timedelta(days=1, hours=3)
    event.ends_at = now - timedelta(days=1)
    db.session.commit()
    assert only_registration("bea@example.org").referred_by_id == ada.id
    return event


def _csv(client, event_id: int) -> list[dict[str, str]]:
    body = client.get(f"/manage/events/{event_id}/attendees/export.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_retention_keeps_status_check_in_and_referral_so_counts_stay_true(
    client, login_as, owner, happened
):
    login_as(owner)
    before = client.get(f"/manage/events/{happened.id}/attendees").get_data(as_text=True)
    dashboard_before = client.get("/manage/").get_data(as_text=True)

    assert privacy.anonymise_past_retention(utcnow() + timedelta(days=400), 90) == 3
    db.session.commit()

    rows = {r.id: r for r in registrations(happened.id)}
    assert all(r.is_anonymised and r.name == "Deleted" for r in rows.values())
    assert sorted(r.status for r in rows.values()) == ["cancelled", "confirmed", "confirmed"]
    assert sum(r.checked_in_at is not None for r in rows.values()) == 2
    assert [r.referred_by_id for r in rows.values() if r.referred_by_id] == [min(rows)]
    assert all(r.is_unsubscribed for r in rows.values()), "no campaign mail to a placeholder"

    after = client.get(f"/manage/events/{happened.id}/attendees").get_data(as_text=True)
    for label in ("Confirmed", "Checked in", "Waitlisted", "Cancelled"):
        assert _stat(after, label) == _stat(before, label), label
    assert _stat(after, "Confirmed") == 2 and _stat(after, "Cancelled") == 1
    assert "Nobody has registered yet" not in after
    assert "3 people's personal data was deleted" in html.unescape(after)
    assert "Ada" not in after and "ada@example.org" not in after
    assert f"{DELETED_SUPPORTER}: 1 registration" in after

    # The dashboard's row for the event says the same as before.
    def row_of(page: str) -> str:
        match = re.search(rf"<tr>\s*<td><a [^>]*>{happened.title}</a>.*?</tr>", page, re.S)
        assert match, "no dashboard row for the event"
        return re.sub(r"\s+", " ", match.group(0))

    assert row_of(after := client.get("/manage/").get_data(as_text=True)) == row_of(
        dashboard_before
    )
    assert f"{DELETED_SUPPORTER} ({happened.title}): 1" in after


def test_a_deleted_referrer_code_leaves_other_peoples_csv_rows(client, login_as, owner, happened):
    ada = only_registration("ada@example.org")
    old_code = ada.referral_code
    login_as(owner)
    assert [r["Referred by code"] for r in _csv(client, happened.id)] == ["", old_code, ""]

    privacy.anonymise(ada, utcnow())
    db.session.commit()

    gone = db.session.get(Registration, ada.id)
    assert gone is not None and gone.referral_code != old_code
    assert gone.status == "confirmed" and gone.checked_in_at is not None
    rows = _csv(client, happened.id)
    assert [r["Name"] for r in rows] == ["Bea Brought", "Cy Cancelled"]
    assert rows[0]["Referred by code"] == DELETED_SUPPORTER
    body = client.get(f"/manage/events/{happened.id}/attendees/export.csv").get_data(True)
    assert old_code not in body and gone.referral_code not in body
    assert only_registration("bea@example.org").referred_by_id == ada.id


def test_delete_my_data_after_the_event_keeps_the_place_and_sends_nothing(
    app, client, owner, happened
):
    token = token_of("bea@example.org")
    bea_id = only_registration("bea@example.org").id
    assert client.post(f"/r/{token}/delete").status_code == 200
    row = db.session.get(Registration, bea_id)
    assert row is not None and row.is_anonymised
    assert row.status == "confirmed" and row.checked_in_at is not None
    assert row.cancelled_at is None
    # The thank-you sweep and change notices pass over the anonymised row.
    reminders.enqueue_thank_yous(utcnow() + timedelta(hours=1))
    db.session.commit()
    assert not [m for m in outbox() if m.registration_id == bea_id and m.status == "queued"]
    # The manage link is dead, as before.
    assert client.get(f"/r/{token}").status_code == 404


def test_delete_my_data_before_the_event_still_frees_the_seat(client, owner, make_event, register):
    event = make_event(owner, capacity=1)
    ada = register(event, "Ada Lovelace", "ada@example.org")
    register(event, "Wai Ting", "wai@example.org")
    old_code = ada.referral_code
    assert client.post(f"/r/{token_of('ada@example.org')}/delete").status_code == 200
    row = db.session.get(Registration, ada.id)
    assert row is not None and row.status == "cancelled" and row.is_anonymised
    assert only_registration("wai@example.org").status == "confirmed"
    # The old share code no longer points at anyone.
    later = register(event, "Late Comer", "late@example.org", referral_code=old_code)
    assert later.referred_by_id is None
