"""Bot protection on the public form: a filled honeypot is the only submission dropped
with a normal-looking answer; anything else that looks automatic (too fast, a used,
missing, forged or expired form token) gets a second step a person passes with one
click, and is never answered with a fake success."""

from __future__ import annotations

import re
from typing import Any

import pytest

from campaign.core.pagecache import cache as page_cache
from campaign.mail.models import OutboxMessage
from campaign.signups import guard
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.signups.conftest import (
    count,
    input_value,
    is_second_step,
    only_registration,
    outbox,
    press,
    sign_started,
    signup_form,
    token_of,
)

BASE_URL = "https://campaign.example.org"  # the test config's


def _nothing_created() -> bool:
    return count(Registration) == 0 and count(OutboxMessage) == 0


def _is_success_redirect(response, event) -> bool:
    return response.status_code == 303 and response.headers["Location"].endswith(
        f"/events/{event.slug}/registered"
    )


# --- the honeypot ---------------------------------------------------------------------------


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
def test_the_second_step_has_the_honeypot_too(app, client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    step = signup(event, started=sign_started(event, 0.5))
    assert is_second_step(step)
    action, fields = signup_form(step.get_data(as_text=True))
    assert fields["website"] == ""
    response = client.post(action, data={**fields, "website": "http://spam.example"})
    assert _is_success_redirect(response, event)
    assert _nothing_created()


# --- too fast -------------------------------------------------------------------------------


@with_config(SIGNUP_MIN_SECONDS=3)
def test_a_person_who_submits_after_one_second_confirms_with_one_click(
    app, client, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    first = signup(
        event,
        name="Quinn Quick",
        email="Quick@Example.org",
        keep_informed="y",
        started=sign_started(event, 1),
    )
    # Not a fake success, and nothing stored yet: the details come back to be confirmed.
    assert is_second_step(first)
    assert first.headers["Cache-Control"] == "no-store"
    page = first.get_data(as_text=True)
    assert input_value(page, "name") == "Quinn Quick"
    assert input_value(page, "email") == "Quick@Example.org"
    assert signup_form(page)[1].get("keep_informed") == "y"
    assert "educational content" in page.lower()
    assert _nothing_created()

    # One click, at once: registered, with one confirmation mail.
    second = press(client, first)
    assert _is_success_redirect(second, event)
    registration = only_registration("quick@example.org")
    assert registration.name == "Quinn Quick"
    assert registration.is_consenting_to_updates
    assert [m.kind for m in outbox(to="quick@example.org")] == ["registration_confirmed"]

    # The second step is a per-visitor answer: the cached event page never shows it.
    later = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Quinn Quick" not in later and "Confirm your registration" not in later
    assert len(page_cache()) == 1


@with_config(SIGNUP_MIN_SECONDS=1.5)
def test_the_fill_time_is_measured_to_a_fraction_of_a_second(
    app, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    assert is_second_step(
        signup(event, email="early@example.org", started=sign_started(event, 1.2))
    )
    later = signup(event, email="later@example.org", started=sign_started(event, 1.8))
    assert _is_success_redirect(later, event)
    assert only_registration("later@example.org").name == "Sam Jones"
    assert count(Registration) == 1


@with_config(SIGNUP_MIN_SECONDS=3)
def test_a_form_shown_again_with_errors_needs_no_second_wait(
    app, client, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    bad = signup(event, email="not-an-email", started=sign_started(event, 60))
    assert bad.status_code == 400
    action, fields = signup_form(bad.get_data(as_text=True))
    # The person fixes the address and sends at once: their token was made a moment ago.
    fixed = client.post(action, data={**fields, "email": "fixed@example.org"})
    assert _is_success_redirect(fixed, event)
    assert only_registration("fixed@example.org")


# --- used, missing, forged and expired tokens ------------------------------------------------


def test_a_used_form_token_gets_the_second_step_not_a_fake_success(
    client, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    token = sign_started(event, 60)
    assert _is_success_redirect(signup(event, email="first@example.org", started=token), event)
    # Back to the same page (or a replay): the token is used, so the person confirms.
    again = signup(event, email="second@example.org", started=token)
    assert is_second_step(again)
    assert input_value(again.get_data(as_text=True), "email") == "second@example.org"
    assert count(Registration) == 1
    assert _is_success_redirect(press(client, again), event)
    assert only_registration("second@example.org")
    assert count(Registration) == 2


@with_config(SIGNUP_MIN_SECONDS=3)
def test_the_second_step_token_works_once(app, client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    step = signup(event, started=sign_started(event, 0))
    assert _is_success_redirect(press(client, step), event)
    # The same confirmation sent again (a double click, a replay) is asked again.
    assert is_second_step(press(client, step))
    assert count(Registration) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            # The signature's first character: every bit of it counts (the last one's low
            # bits are base64 padding, so changing it alone may leave the bytes as they were).
            lambda token, other: _flip_signature(token),
            id="sig",
        ),
        pytest.param(lambda token, other: other, id="other-event"),
        pytest.param(lambda token, other: "", id="empty"),
        pytest.param(lambda token, other: "not.a.token", id="garbage"),
        pytest.param(lambda token, other: token.split(".")[0] + ".x", id="forged-signature"),
        pytest.param(
            lambda token, other: guard._serializer("another secret").dumps(
                ["event-1", "c", 0, "x"]
            ),
            id="other-secret",
        ),
    ],
)
def test_a_missing_forged_or_foreign_token_gets_the_second_step(
    client, make_organizer, make_event, signup, tamper
):
    organizer = make_organizer()
    event = make_event(organizer)
    other = make_event(organizer)
    response = signup(event, started=tamper(sign_started(event, 60), sign_started(other, 60)))
    assert is_second_step(response)
    assert _nothing_created()
    assert _is_success_redirect(press(client, response), event)
    assert count(Registration) == 1


def test_a_post_without_the_token_field_gets_the_second_step(client, make_organizer, make_event):
    event = make_event(make_organizer())
    response = client.post(
        f"/events/{event.slug}/register", data={"name": "Sam", "email": "sam@example.org"}
    )
    assert is_second_step(response)
    assert _nothing_created()
    assert _is_success_redirect(press(client, response), event)


def test_a_form_left_open_for_more_than_a_day_gets_the_second_step(
    client, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    response = signup(event, started=sign_started(event, guard.FORM_MAX_AGE + 60))
    assert is_second_step(response)
    assert _nothing_created()
    assert _is_success_redirect(press(client, response), event)


# --- no enumeration, real CSRF -----------------------------------------------------------------


@with_config(SIGNUP_MIN_SECONDS=3)
def test_the_second_step_never_tells_whether_someone_is_registered(
    app, client, make_organizer, make_event, signup, register
):
    event = make_event(make_organizer())
    register(event, "Known Person", "known@example.org")

    def answer(email: str):  # type: ignore[no-untyped-def]
        step = signup(event, name="Some One", email=email, started=sign_started(event, 0.2))
        body = step.get_data(as_text=True).replace(email, "EMAIL")
        return step, re.sub(r'name="started" type="hidden" value="[^"]+"', "TOKEN", body)

    known_step, known_body = answer("known@example.org")
    new_step, new_body = answer("new@example.org")
    assert known_step.status_code == new_step.status_code == 200
    assert known_body == new_body
    known, new = press(client, known_step), press(client, new_step)
    assert (known.status_code, known.headers["Location"]) == (
        new.status_code,
        new.headers["Location"],
    )
    assert count(Registration) == 2


@with_config(WTF_CSRF_ENABLED=True, SIGNUP_MIN_SECONDS=3)
def test_the_public_form_needs_no_session_and_its_second_step_none_either(
    app, client, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    page = client.get(f"/events/{event.slug}")
    assert "Set-Cookie" not in page.headers, "a first visit creates no session"
    assert "csrf_token" not in signup_form(page.get_data(as_text=True))[1]
    step = signup(event, started=sign_started(event, 1))
    assert is_second_step(step)
    assert "Set-Cookie" not in step.headers
    assert _is_success_redirect(press(client, step), event)
    assert count(Registration) == 1


SAME_SITE = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
FOREIGN = [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://other.campaign.example.org"},
]


@with_config(WTF_CSRF_ENABLED=True)
def test_a_form_from_this_site_registers(app, client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    for number, headers in enumerate(
        [SAME_SITE, {"Origin": BASE_URL}, {"Sec-Fetch-Site": "same-origin"}, {}]
    ):
        response = signup(event, email=f"person{number}@example.org", headers=headers)
        assert _is_success_redirect(response, event), headers
    assert count(Registration) == 4


def test_a_form_from_this_site_under_an_internationalised_name_registers(
    app, client, make_organizer, make_event, signup
):
    """Browsers send such a host name in its ASCII form (punycode), in Host and Origin."""
    event = make_event(make_organizer())
    host = "xn--bcher-kva.example"
    response = signup(
        event,
        headers={"Host": host, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"},
    )
    assert _is_success_redirect(response, event)


@pytest.mark.parametrize("headers", FOREIGN)
@with_config(WTF_CSRF_ENABLED=True)
def test_a_form_sent_from_another_site_gets_the_second_step_with_the_details_kept(
    app, client, make_organizer, make_event, signup, headers
):
    event = make_event(make_organizer())
    response = signup(event, name="Night Owl", email="owl@example.org", headers=headers)
    assert is_second_step(response, status=400)
    page = response.get_data(as_text=True)
    assert input_value(page, "name") == "Night Owl"
    assert input_value(page, "email") == "owl@example.org"
    assert _nothing_created()
    # The person confirms on this site: one click, and registered.
    assert _is_success_redirect(press(client, response, headers=SAME_SITE), event)
    assert only_registration("owl@example.org").name == "Night Owl"


@with_config(WTF_CSRF_ENABLED=True)
def test_from_another_site_a_filled_honeypot_is_still_dropped(
    app, client, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    response = signup(event, website="http://spam.example", headers=FOREIGN[0])
    assert _is_success_redirect(response, event)
    assert _nothing_created()


@with_config(WTF_CSRF_ENABLED=True)
def test_other_public_forms_with_an_expired_token_get_the_error_page(
    app, client, make_organizer, make_event, register
):
    event = make_event(make_organizer())
    register(event, "Sam Jones", "sam@example.org")
    response = client.post(f"/r/{token_of('sam@example.org')}/cancel", data={"csrf_token": "x"})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


def _flip_signature(token: str) -> str:
    """The token with the first character of its signature changed."""
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize("keys", ["one-key", ("old-key", "new-key")])
def test_a_form_token_is_the_one_itsdangerous_signs(monkeypatch, keys) -> None:
    import time as time_module

    monkeypatch.setattr(guard.secrets, "token_urlsafe", lambda n: "one-time-id-123")
    made = time_module.time()
    token = guard.form_token(keys, "walk-and-talk", now=made)
    value = ["walk-and-talk", guard.KIND_FORM, int(made * 1000), "one-time-id-123"]
    assert token == guard._serializer(keys).dumps(value)
    claim = guard.read_token(keys, token, "walk-and-talk", 0, made + 5)
    assert claim == guard.TokenClaim(None, "one-time-id-123")


def test_a_form_token_reads_back_whatever_the_slug_and_only_under_its_keys() -> None:
    import time as time_module

    made = time_module.time()
    # A payload deflate would shorten (itsdangerous would deflate it): still read back.
    for slug in ("a" * 160, "straße-café", "walk"):
        token = guard.form_token(("old-key", "new-key"), slug, now=made)
        assert guard.read_token("new-key", token, slug, 0, made + 5).verdict is None
        assert guard.read_token(("new-key",), token, slug, 0, made + 5).verdict is None
        assert guard.read_token("other-key", token, slug, 0, made + 5).verdict == guard.INVALID
        assert guard.read_token("new-key", token, slug + "x", 0, made + 5).verdict == (
            guard.INVALID
        )


def test_a_token_is_read_as_itsdangerous_reads_it() -> None:
    """The prepared-HMAC reader accepts exactly what itsdangerous's loads accepts, under
    every key in use, and gives the same value (deflated payloads included)."""
    from itsdangerous import BadData

    keys = ("old-key", "new-key")
    value = ["walk", guard.KIND_FORM, 1_700_000_000_000, "one-time-id"]
    deflated = ["a" * 300, guard.KIND_FORM, 1, "id"]
    good = guard._serializer(keys).dumps(value)
    payload, _, signature = good.rpartition(".")
    tokens = [
        good,
        guard._serializer(keys).dumps(deflated),
        guard._serializer("old-key").dumps(value),
        guard._serializer("other-key").dumps(value),
        _flip_signature(good),
        f"x{payload}.{signature}",
        f"{payload}.{signature}==",
        f"{payload}.",
        "",
        "no-separator",
        "abc.!!!",
        "straße.café",
    ]

    def outcome(read: Any, token: str) -> Any:
        try:
            return read(token)
        except BadData:
            return BadData

    for token in tokens:
        expected = outcome(guard._serializer(keys).loads, token)
        assert outcome(lambda t: guard._loads(keys, t), token) == expected, token
    assert guard._loads(keys, tokens[1]) == deflated
