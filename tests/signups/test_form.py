"""The public registration form: input rules, consent, and when registration is closed.
Bot protection is in test_bot_protection.py, limits in test_limits.py."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest

from campaign.core.timeutil import utcnow
from campaign.mail.models import OutboxMessage
from campaign.signups.models import Registration
from tests.signups.conftest import (
    count,
    field_error,
    input_value,
    only_registration,
)


def _nothing_created() -> bool:
    return count(Registration) == 0 and count(OutboxMessage) == 0


def _is_success_redirect(response, event) -> bool:
    return response.status_code == 303 and response.headers["Location"].endswith(
        f"/events/{event.slug}/registered"
    )


# --- the name -------------------------------------------------------------------------------


def test_the_name_is_trimmed_and_stored_composed(make_organizer, make_event, signup):
    event = make_event(make_organizer())
    decomposed = "  Jose\u0301 Nu\u0301n\u0303ez \t"
    assert _is_success_redirect(signup(event, name=decomposed), event)
    stored = only_registration("sam@example.org").name
    assert stored == unicodedata.normalize("NFC", decomposed.strip())
    assert stored == "Jos\u00e9 N\u00fa\u00f1ez"
    assert unicodedata.is_normalized("NFC", stored)


def test_the_length_limit_counts_composed_characters(make_organizer, make_event, signup):
    event = make_event(make_organizer())
    # 120 code points that compose to 60 characters: within the limit after NFC.
    assert _is_success_redirect(signup(event, name="e\u0301" * 60), event)
    assert only_registration("sam@example.org").name == "\u00e9" * 60
    assert _is_success_redirect(signup(event, name="x" * 100, email="max@example.org"), event)
    assert only_registration("max@example.org").name == "x" * 100


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter your name"),
        ("   \t  ", "Enter your name"),
        ("x" * 101, "at most 100"),
        ("  " + "y" * 101 + "  ", "at most 100"),
        ("Sam\x00Jones", "control characters"),
        ("Sam\u202eJones", "control characters"),
        ("Sam\nJones", "control characters"),
        ("Sam\rJones", "control characters"),
        ("Sam\u200bJones", "control characters"),
        ("Sam\x07", "control characters"),
    ],
    ids=[
        "empty",
        "blank",
        "101",
        "101-padded",
        "nul",
        "rlo",
        "newline",
        "cr",
        "zero-width",
        "bell",
    ],
)
def test_a_bad_name_is_refused_beside_the_field_with_the_input_kept(
    make_organizer, make_event, signup, name, message
):
    event = make_event(make_organizer())
    response = signup(event, name=name, email="Kept@Example.org")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = field_error(page, "name")
    assert error is not None and message in error, error
    assert 'aria-describedby="name-hint name-error"' in page
    assert field_error(page, "email") is None
    assert input_value(page, "email") == "Kept@Example.org"
    if "\x00" not in name and "\n" not in name and "\r" not in name:
        assert input_value(page, "name") == name
    assert _nothing_created()


def test_a_long_name_is_kept_in_the_form(make_organizer, make_event, signup):
    event = make_event(make_organizer())
    name = "Bartholomew " * 9  # 108 characters
    page = signup(event, name=name).get_data(as_text=True)
    assert input_value(page, "name") == name


# --- the email ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "not-an-email",
        "sam@",
        "@example.org",
        "sam@example",
        "sam@@example.org",
        "sam @example.org",
        "sam@example..org",
        "sam@-example.org",
        "sam@example.org\r\nBcc: victim@example.org",
        "sam@example.org\x00",
        "<sam@example.org>",
        "Sam <sam@example.org>",
        "sam@example.org, eve@example.org",
        "x" * 250 + "@example.org",
        "sam@" + "a" * 64 + ".org",
    ],
)
def test_a_bad_email_is_refused_beside_the_field(make_organizer, make_event, signup, address):
    event = make_event(make_organizer())
    response = signup(event, name="Sam Jones", email=address)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, "email"), page[-3000:]
    assert field_error(page, "name") is None
    assert input_value(page, "name") == "Sam Jones"
    assert _nothing_created()


def test_the_email_is_lower_cased(make_organizer, make_event, signup):
    event = make_event(make_organizer())
    assert _is_success_redirect(signup(event, email="  Sam.Jones@EXAMPLE.Org "), event)
    registration = only_registration("sam.jones@example.org")
    assert registration.email == "sam.jones@example.org"
    # The same address in other capitals is the same person.
    assert _is_success_redirect(signup(event, email="SAM.JONES@example.org"), event)
    assert count(Registration) == 1


# --- consent --------------------------------------------------------------------------------


def test_consent_is_stored_with_its_time(make_organizer, make_event, signup):
    event = make_event(make_organizer())
    before = utcnow().replace(microsecond=0)
    signup(event, email="yes@example.org", keep_informed="y")
    signup(event, email="no@example.org")
    after = utcnow() + timedelta(seconds=1)
    yes = only_registration("yes@example.org")
    assert yes.is_consenting_to_updates is True
    assert yes.consent_at is not None and before <= yes.consent_at <= after
    no = only_registration("no@example.org")
    assert no.is_consenting_to_updates is False
    assert no.consent_at is None


# --- full and closed events ------------------------------------------------------------------


def test_a_full_event_without_waitlist_says_so_and_creates_nothing(
    make_organizer, make_event, signup
):
    event = make_event(make_organizer(), capacity=1, is_waitlist_enabled=False)
    assert signup(event, email="first@example.org").status_code == 303
    response = signup(event, email="second@example.org")
    assert response.status_code == 409
    assert "full" in response.get_data(as_text=True)
    assert count(Registration) == 1
    assert count(OutboxMessage) == 1


@pytest.mark.parametrize("state", ["cancelled", "past", "started", "draft"])
def test_registration_is_closed_for_cancelled_past_started_and_draft_events(
    make_organizer, make_event, signup, state
):
    now = utcnow()
    fields: dict[str, object] = {}
    if state == "cancelled":
        fields = {"status": "cancelled", "cancelled_at": now}
    elif state == "past":
        fields = {
            "starts_at": now - timedelta(days=2),
            "ends_at": now - timedelta(days=2, hours=-2),
        }
    elif state == "started":
        fields = {"starts_at": now - timedelta(minutes=30), "ends_at": now + timedelta(hours=1)}
    else:
        fields = {"status": "draft", "published_at": None}
    event = make_event(make_organizer(), **fields)
    response = signup(event)
    if state == "draft":
        assert response.status_code == 404
    else:
        assert response.status_code == 409
        assert "closed" in response.get_data(as_text=True)
    assert _nothing_created()
