"""The public registration form: bot traps, input rules, consent, rate limits, and when
registration is closed."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest

from campaign.core.timeutil import utcnow
from campaign.mail.models import OutboxMessage
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.signups.conftest import (
    count,
    field_error,
    input_value,
    only_registration,
    sign_started,
)


def _nothing_created() -> bool:
    return count(Registration) == 0 and count(OutboxMessage) == 0


def _is_success_redirect(response, event) -> bool:
    return response.status_code == 303 and response.headers["Location"].endswith(
        f"/events/{event.slug}/registered"
    )


# --- bot traps ------------------------------------------------------------------------------


def test_a_filled_honeypot_gets_the_normal_answer_and_creates_nothing(
    make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    response = signup(event, website="http://spam.example")
    assert _is_success_redirect(response, event)
    assert _nothing_created()
    # The same person without the honeypot is registered: the trap is what refused it.
    assert _is_success_redirect(signup(event), event)
    assert count(Registration) == 1


@with_config(SIGNUP_MIN_SECONDS=3)
def test_a_submit_faster_than_the_minimum_fill_time_creates_nothing(
    app, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    response = signup(event, started=sign_started(event))
    assert _is_success_redirect(response, event)
    assert _nothing_created()
    # Stamps are whole seconds: "1 s ago" is under 2 s, leaving a second for a slow machine.
    assert _is_success_redirect(signup(event, started=sign_started(event, 1)), event)
    assert _nothing_created()
    # A person who took ten seconds is registered.
    response = signup(event, started=sign_started(event, 10))
    assert _is_success_redirect(response, event)
    assert count(Registration) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda token, other: token[:-1] + ("A" if token[-1] != "A" else "B"), id="sig"
        ),
        pytest.param(lambda token, other: other, id="other-event"),
        pytest.param(lambda token, other: "", id="empty"),
        pytest.param(lambda token, other: "not.a.token", id="garbage"),
        pytest.param(lambda token, other: token.split(".")[0] + ".x.y", id="forged-stamp"),
    ],
)
def test_a_tampered_render_time_token_creates_nothing(make_organizer, make_event, signup, tamper):
    organizer = make_organizer()
    event = make_event(organizer)
    other = make_event(organizer)
    token = sign_started(event, 60)
    response = signup(event, started=tamper(token, sign_started(other, 60)))
    assert _is_success_redirect(response, event)
    assert _nothing_created()


def test_a_missing_render_time_field_creates_nothing(client, make_organizer, make_event):
    event = make_event(make_organizer())
    response = client.post(
        f"/events/{event.slug}/register", data={"name": "Sam", "email": "sam@example.org"}
    )
    assert _is_success_redirect(response, event)
    assert _nothing_created()


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


# --- rate limit -----------------------------------------------------------------------------


def _post_from(signup, event, n: int, remote: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return signup(
        event,
        email=f"person{n}.{remote.replace('.', '-')}@example.org",
        environ_base={"REMOTE_ADDR": remote},
        headers=headers,
    )


@with_config(RATELIMIT_ENABLED=True)
def test_ten_registrations_per_address_then_a_friendly_429(app, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    statuses = [_post_from(signup, event, n, "203.0.113.9").status_code for n in range(10)]
    assert statuses == [303] * 10
    response = _post_from(signup, event, 10, "203.0.113.9")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page and "<html" in page
    assert "Traceback" not in page
    assert count(Registration) == 10
    # Another address is not affected, and looking at the event page is never limited.
    assert _post_from(signup, event, 11, "198.51.100.4").status_code == 303
    client = app.test_client()
    page_view = client.get(f"/events/{event.slug}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert page_view.status_code == 200


@with_config(RATELIMIT_ENABLED=True, PROXY_COUNT=1)
def test_behind_one_proxy_the_forwarded_address_is_the_key(app, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    proxy = "10.0.0.2"
    statuses = [
        _post_from(signup, event, n, proxy, forwarded="198.51.100.7").status_code for n in range(10)
    ]
    assert statuses == [303] * 10
    assert _post_from(signup, event, 10, proxy, forwarded="198.51.100.7").status_code == 429
    # Another client behind the same proxy has its own budget.
    assert _post_from(signup, event, 11, proxy, forwarded="198.51.100.8").status_code == 303
    # Only the address the trusted proxy added counts, not what the client claimed before it.
    response = _post_from(signup, event, 12, proxy, forwarded="203.0.113.1, 198.51.100.7")
    assert response.status_code == 429


@with_config(RATELIMIT_ENABLED=True, PROXY_COUNT=0)
def test_without_a_trusted_proxy_a_spoofed_forwarded_for_changes_nothing(
    app, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    statuses = [
        _post_from(signup, event, n, "203.0.113.9", forwarded=f"192.0.2.{n}").status_code
        for n in range(10)
    ]
    assert statuses == [303] * 10
    response = _post_from(signup, event, 10, "203.0.113.9", forwarded="192.0.2.200")
    assert response.status_code == 429
    assert count(Registration) == 10


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
