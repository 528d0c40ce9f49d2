"""Referrals: a personal share link credits its owner once per new registrant, never for
themselves, never across events; garbage codes are ignored; organizers see top referrers."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from campaign.attendees.services import top_referrers
from campaign.extensions import db
from campaign.signups.models import Registration
from tests.signups.conftest import (
    BASE_URL,
    count,
    delivered,
    input_value,
    only_registration,
    token_of,
)


def _register_via_link(client, signup, event, code: str, name: str, email: str):
    """Open the share link, then send the form with the hidden ref field it carries."""
    page = client.get(f"/events/{event.slug}?ref={code}").get_data(as_text=True)
    carried = input_value(page, "ref")
    assert carried is not None
    return signup(event, name=name, email=email, ref=carried)


def _credited(registration_email: str) -> int | None:
    return only_registration(registration_email).referred_by_id


def test_the_share_link_is_in_the_mail_and_on_the_manage_page(
    app, client, make_organizer, make_event, signup, tmp_path
):
    event = make_event(make_organizer())
    signup(event, email="ada@example.org")
    code = only_registration("ada@example.org").referral_code
    assert re.fullmatch(r"[a-z0-9]{6,16}", code)
    share = f"{BASE_URL}/events/{event.slug}?ref={code}"
    [mail] = delivered(app, tmp_path / "mail")
    assert share in mail.text
    page = client.get(f"/r/{token_of('ada@example.org')}").get_data(as_text=True)
    assert input_value(page, "share-link") == share
    landing = client.get(f"/events/{event.slug}?ref={code}").get_data(as_text=True)
    assert input_value(landing, "ref") == code


def test_a_registration_through_the_link_credits_the_referrer_once(
    client, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    signup(event, name="Ada Lovelace", email="ada@example.org")
    ada = only_registration("ada@example.org")
    response = _register_via_link(client, signup, event, ada.referral_code, "Bo", "bo@example.org")
    assert response.status_code == 303
    assert _credited("bo@example.org") == ada.id
    # Bo registering again (even through the link, in other capitals) adds nothing.
    _register_via_link(client, signup, event, ada.referral_code, "Bo", "BO@example.org")
    _register_via_link(client, signup, event, ada.referral_code, "Bo", "bo@example.org")
    assert count(Registration) == 2
    assert top_referrers(event.id) == [("Ada Lovelace", 1)]
    # A registration without the link is not credited.
    signup(event, name="Cy", email="cy@example.org")
    assert _credited("cy@example.org") is None
    assert top_referrers(event.id) == [("Ada Lovelace", 1)]


def test_nobody_is_credited_for_themselves(client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    signup(event, name="Ada Lovelace", email="ada@example.org")
    ada = only_registration("ada@example.org")
    code = ada.referral_code
    # Ada cancels, then registers again through her own link: a new row, not credited.
    assert client.post(f"/r/{token_of('ada@example.org')}/cancel").status_code == 303
    _register_via_link(client, signup, event, code, "Ada Lovelace", "Ada@Example.org")
    rows = _all("ada@example.org")
    assert [r.status for r in rows] == ["cancelled", "confirmed"]
    assert rows[1].referred_by_id is None
    assert top_referrers(event.id) == []


def _all(email: str) -> list[Registration]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Registration).where(Registration.email == email).order_by(Registration.id)
        )
    )


def test_a_code_from_another_event_is_not_credited(client, make_organizer, make_event, signup):
    organizer = make_organizer()
    event, other = make_event(organizer), make_event(organizer)
    signup(other, name="Ada Lovelace", email="ada@example.org")
    code = only_registration("ada@example.org").referral_code
    _register_via_link(client, signup, event, code, "Bo", "bo@example.org")
    assert _credited("bo@example.org") is None
    assert top_referrers(event.id) == [] and top_referrers(other.id) == []


@pytest.mark.parametrize(
    "code",
    [
        "",
        "x",
        "nosuchcode1",
        "'; DROP TABLE registrations; --",
        "%27%20OR%201%3D1",
        "A" * 500,
        "ÄÖÜäöü",
        "abc%00def",
        "<script>",
        "%E2%80%AE",
    ],
)
def test_garbage_codes_are_ignored(client, make_organizer, make_event, signup, code):
    event = make_event(make_organizer())
    signup(event, name="Ada Lovelace", email="ada@example.org")
    page = client.get(f"/events/{event.slug}?ref={code}")
    assert page.status_code == 200
    carried = input_value(page.get_data(as_text=True), "ref") or ""
    assert len(carried) <= 16
    response = signup(event, name="Bo", email="bo@example.org", ref=carried)
    assert response.status_code == 303
    assert _credited("bo@example.org") is None
    # The raw value straight in the hidden field is ignored the same way.
    response = signup(event, name="Cy", email="cy@example.org", ref=unquote(code))
    assert response.status_code == 303
    assert _credited("cy@example.org") is None


def test_organizers_see_top_referrers(client, login_as, make_organizer, make_event, signup):
    owner = make_organizer()
    event = make_event(owner)
    signup(event, name="Ada Lovelace", email="ada@example.org")
    signup(event, name="Grace Hopper", email="grace@example.org")
    ada = only_registration("ada@example.org").referral_code
    grace = only_registration("grace@example.org").referral_code
    for n in range(3):
        _register_via_link(client, signup, event, ada, f"Friend {n}", f"a{n}@example.org")
    _register_via_link(client, signup, event, grace, "Friend g", "g1@example.org")
    assert top_referrers(event.id) == [("Ada Lovelace", 3), ("Grace Hopper", 1)]
    login_as(owner)
    page = client.get(f"/manage/events/{event.id}/attendees").get_data(as_text=True)
    section = page[page.index("Top referrers") :]
    assert re.search(r"Ada Lovelace: 3 registrations", section)
    assert re.search(r"Grace Hopper: 1 registration\b", section)
    assert section.index("Ada Lovelace") < section.index("Grace Hopper")
