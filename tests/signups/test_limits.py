"""Sign-up limits: a crowd behind one address gets through, one abuser cannot flood an
event or a mailbox, and a limited person keeps what they typed and is told what to do.

Limits count in moving windows of real time; the `clock` fixture moves time.time() (which
the store, the form tokens and the limits all read) so an hour passes in a moment.
"""

from __future__ import annotations

from typing import Any

from campaign.mail.models import OutboxMessage
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.signups.conftest import (
    count,
    input_value,
    is_second_step,
    only_registration,
    outbox,
    press,
    signup_form,
)

VENUE = "192.0.2.10"  # a venue's wifi: one public address for everybody
ABUSER = "203.0.113.66"
ELSEWHERE = "198.51.100.4"


def _at(address: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return {"environ_base": {"REMOTE_ADDR": address}, "headers": headers}


def _is_success_redirect(response, event) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 303 and response.headers["Location"].endswith(
        f"/events/{event.slug}/registered"
    )


def _limited(response, words: str) -> bool:  # type: ignore[no-untyped-def]
    """A limited answer: 429 with Retry-After, the form kept, and what to do."""
    page = response.get_data(as_text=True)
    return (
        response.status_code == 429
        and int(response.headers["Retry-After"]) > 0
        and words in page
        and "Try again" in page
        and 'class="signup-form"' in page
    )


# --- a crowd on one address ------------------------------------------------------------------


@with_config(RATELIMIT_ENABLED=True)
def test_thirty_people_on_one_address_within_a_minute_are_all_registered(
    app, client, clock, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    for n in range(30):
        if n % 3 == 0:  # every third person mistypes the address first, then fixes it
            typo = signup(event, name=f"Person {n}", email=f"person{n}@example", **_at(VENUE))
            assert typo.status_code == 400
            action, fields = signup_form(typo.get_data(as_text=True))
            response = client.post(
                action, data={**fields, "email": f"person{n}@example.org"}, **_at(VENUE)
            )
        else:
            response = signup(
                event, name=f"Person {n}", email=f"person{n}@example.org", **_at(VENUE)
            )
        assert _is_success_redirect(response, event), (n, response.status_code)
        clock.advance(2)
    assert count(Registration) == 30
    assert count(OutboxMessage) == 30


@with_config(RATELIMIT_ENABLED=True)
def test_two_hundred_people_on_one_address_within_an_hour_are_all_registered(
    app, clock, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    for n in range(200):
        response = signup(event, name=f"Person {n}", email=f"person{n}@example.org", **_at(VENUE))
        assert _is_success_redirect(response, event), (n, response.status_code)
        clock.advance(17)
    assert count(Registration) == 200


# --- one abuser ------------------------------------------------------------------------------


@with_config(RATELIMIT_ENABLED=True)
def test_one_address_cannot_flood_an_event(app, clock, make_organizer, make_event, signup):
    organizer = make_organizer()
    event, other = make_event(organizer), make_event(organizer)
    for n in range(60):  # SIGNUP_EVENT_RATE_LIMIT: 60 per minute
        assert _is_success_redirect(
            signup(event, email=f"fake{n}@example.org", **_at(ABUSER)), event
        )
    refused = signup(event, email="fake60@example.org", **_at(ABUSER))
    assert _limited(refused, "Many people on your network have just signed up for this event")
    assert count(Registration) == 60
    # The same address may still sign up for another event; others for this one.
    assert _is_success_redirect(signup(other, email="fake61@example.org", **_at(ABUSER)), other)
    assert _is_success_redirect(signup(event, email="real@example.org", **_at(ELSEWHERE)), event)
    assert count(Registration) == 62


@with_config(RATELIMIT_ENABLED=True, SIGNUP_EVENT_RATE_LIMIT="60 per minute; 100 per hour")
def test_the_event_limit_holds_over_the_hour_too(app, clock, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    for n in range(100):
        response = signup(event, email=f"fake{n}@example.org", **_at(ABUSER))
        assert _is_success_redirect(response, event), n
        clock.advance(30)  # 2 a minute: under the per-minute part
    assert signup(event, email="fake100@example.org", **_at(ABUSER)).status_code == 429
    clock.advance(601)  # an hour after the first sign-up, it leaves the window
    assert _is_success_redirect(signup(event, email="fake101@example.org", **_at(ABUSER)), event)


@with_config(RATELIMIT_ENABLED=True)
def test_one_address_cannot_post_the_form_in_a_loop(
    app, client, clock, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    # SIGNUP_RATE_LIMIT counts every submission, mistakes included: 120 a minute.
    for n in range(120):
        assert signup(event, email=f"junk{n}", **_at(ABUSER)).status_code == 400
    refused = signup(event, name="Real Person", email="real@example.org", **_at(ABUSER))
    assert _limited(refused, "from your network")
    assert count(Registration) == 0
    clock.advance(61)
    assert _is_success_redirect(press(client, refused, **_at(ABUSER)), event)
    assert only_registration("real@example.org").name == "Real Person"


@with_config(RATELIMIT_ENABLED=True)
def test_a_mailbox_cannot_be_flooded(app, clock, make_organizer, make_event, signup):
    organizer = make_organizer()
    events = [make_event(organizer) for _ in range(9)]
    victim = "victim@example.org"
    # SIGNUP_EMAIL_RATE_LIMIT: 8 per hour, from any address, for any event.
    for n, event in enumerate(events[:8]):
        assert _is_success_redirect(signup(event, email=victim, **_at(f"192.0.2.{n + 1}")), event)
    refused = signup(events[8], email=victim, **_at("192.0.2.99"))
    assert _limited(refused, "This email address has been used for many sign-ups")
    assert len(outbox(to=victim)) == 8
    # Repeating a registration counts like a new one (no hint of who is registered).
    assert signup(events[0], email=victim, **_at("192.0.2.100")).status_code == 429
    clock.advance(3601)
    assert _is_success_redirect(signup(events[8], email=victim, **_at("192.0.2.99")), events[8])
    assert len(outbox(to=victim)) == 9


@with_config(RATELIMIT_ENABLED=True)
def test_a_mailbox_gets_at_most_a_day_limit_of_sign_ups(
    app, clock, make_organizer, make_event, signup
):
    organizer = make_organizer()
    events = [make_event(organizer) for _ in range(8)]
    victim = "victim@example.org"
    for hour in range(3):  # 8 an hour for three hours: the day's 24
        for n, event in enumerate(events):
            response = signup(event, email=victim, **_at(f"192.0.2.{n + 1}"))
            assert _is_success_redirect(response, event), (hour, n)
        clock.advance(3601)
    assert signup(events[0], email=victim, **_at("192.0.2.50")).status_code == 429
    # (The mails themselves: one per event and hour at most, so never more than 24.)
    assert len(outbox(to=victim)) <= 24


@with_config(RATELIMIT_ENABLED=True, SIGNUP_MAIL_RATE_LIMIT="5 per hour")
def test_one_address_cannot_make_the_campaign_mail_many_strangers(
    app, clock, make_organizer, make_event, signup
):
    organizer = make_organizer()
    events = [make_event(organizer) for _ in range(3)]
    for n in range(5):
        event = events[n % 3]
        assert _is_success_redirect(signup(event, email=f"s{n}@example.org", **_at(ABUSER)), event)
    refused = signup(events[2], email="s5@example.org", **_at(ABUSER))
    assert _limited(refused, "from your network")
    assert count(OutboxMessage) == 5
    assert _is_success_redirect(
        signup(events[2], email="s5@example.org", **_at(ELSEWHERE)), events[2]
    )


# --- what a limited person sees ---------------------------------------------------------------


@with_config(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per minute")
def test_a_limited_person_keeps_what_they_typed_and_is_told_what_to_do(
    app, client, clock, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    signup(event, email="one@example.org", **_at(VENUE))
    signup(event, email="two@example.org", **_at(VENUE))
    refused = signup(
        event, name="Zoë Ørsted", email="Zoe@Example.org", keep_informed="y", **_at(VENUE)
    )
    assert _limited(refused, "Your details are kept below")
    page = refused.get_data(as_text=True)
    assert "Please wait a moment" in page
    assert input_value(page, "name") == "Zoë Ørsted"
    assert input_value(page, "email") == "Zoe@Example.org"
    assert signup_form(page)[1].get("keep_informed") == "y"
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 60
    assert f"{wait} second" in page
    assert "educational content" in page.lower()
    assert count(Registration) == 2

    # Pressing "Try again" too early is still refused, and still keeps everything...
    early = press(client, refused, **_at(VENUE))
    assert early.status_code == 429 and input_value(early.get_data(as_text=True), "name")
    # ...and after the wait, one press registers the person as typed.
    clock.advance(wait + 1)
    assert _is_success_redirect(press(client, early, **_at(VENUE)), event)
    registration = only_registration("zoe@example.org")
    assert registration.name == "Zoë Ørsted" and registration.is_consenting_to_updates


def test_limits_are_off_when_disabled(app, make_organizer, make_event, signup):
    """The suite's default config turns limits off: they are a setting."""
    event = make_event(make_organizer())
    victim = "victim@example.org"
    statuses = {signup(event, email=victim, **_at(ABUSER)).status_code for _ in range(10)}
    assert statuses == {303}


# --- behind a proxy ---------------------------------------------------------------------------


def _post(signup, event, n: int, remote: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    return signup(event, email=f"person{n}@example.org", **_at(remote, forwarded))


@with_config(RATELIMIT_ENABLED=True, PROXY_COUNT=1, SIGNUP_RATE_LIMIT="10 per 10 minutes")
def test_behind_one_proxy_the_forwarded_address_is_the_key(app, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    proxy = "10.0.0.2"
    statuses = [
        _post(signup, event, n, proxy, forwarded="198.51.100.7").status_code for n in range(10)
    ]
    assert statuses == [303] * 10
    assert _post(signup, event, 10, proxy, forwarded="198.51.100.7").status_code == 429
    # Another client behind the same proxy has its own budget.
    assert _post(signup, event, 11, proxy, forwarded="198.51.100.8").status_code == 303
    # Only the address the trusted proxy added counts, not what the client claimed before it.
    response = _post(signup, event, 12, proxy, forwarded="203.0.113.1, 198.51.100.7")
    assert response.status_code == 429


@with_config(RATELIMIT_ENABLED=True, PROXY_COUNT=0, SIGNUP_RATE_LIMIT="10 per 10 minutes")
def test_without_a_trusted_proxy_a_spoofed_forwarded_for_changes_nothing(
    app, make_organizer, make_event, signup
):
    event = make_event(make_organizer())
    statuses = [
        _post(signup, event, n, "203.0.113.9", forwarded=f"192.0.2.{n}").status_code
        for n in range(10)
    ]
    assert statuses == [303] * 10
    assert _post(signup, event, 10, "203.0.113.9", forwarded="192.0.2.200").status_code == 429
    assert count(Registration) == 10
    # Looking at the event page is never limited.
    page = app.test_client().get(f"/events/{event.slug}", **_at("203.0.113.9"))
    assert page.status_code == 200


def test_the_second_step_and_limits_are_separate(app, make_organizer, make_event, signup):
    """A second step is not a limit: it answers 200 with a one-click form."""
    event = make_event(make_organizer())
    step = signup(event, started="")
    assert is_second_step(step) and "Retry-After" not in step.headers
