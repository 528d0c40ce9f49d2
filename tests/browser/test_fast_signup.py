"""A fast person in a real browser: autofill and one tap a second after the page opened is
asked to confirm with one click, the form goes once per page view, and a limited
sign-up keeps what was typed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaign.extensions import db
from campaign.signups.models import Registration
from tests.browser.conftest import LiveServer, axe_check, seed_demo_site
from tests.conftest import Clock

pytestmark = pytest.mark.browser

REGISTER = re.compile("Register|Join the waitlist")


def _registrations(server: LiveServer, address: str | None = None) -> list[str]:
    with server.app.app_context():
        query = select(Registration.status)
        if address:
            query = query.where(Registration.email == address)
        found = list(db.session.scalars(query))
        db.session.remove()
    return found


def _open_first_event(page: Page, server: LiveServer) -> None:
    page.goto(server("/events"))
    page.locator(".event-card__title a").first.click()
    expect(page.locator("h2#register-heading")).to_be_visible()
    page.wait_for_load_state("load")  # app.js has run (a busy machine may be slow to it)


def test_a_person_who_sends_the_form_after_one_second_confirms_with_one_click(
    live_server: LiveServer, new_page: Callable[..., Page], clock: Clock
) -> None:
    seed_demo_site(live_server)
    assert live_server.app.config["SIGNUP_MIN_SECONDS"] == 3  # the default
    page = new_page("phone")
    _open_first_event(page, live_server)

    # Autofill and one tap, one second after the form was made by the server's clock: held
    # still otherwise, so a busy machine's slow typing cannot take it past the minimum.
    clock.advance(1)
    page.get_by_label("Your name").fill("Kit Quick")
    page.get_by_label("Email").fill("Kit.Quick@Example.org")
    page.get_by_label("Keep me informed about the campaign").check()
    page.get_by_role("button", name=REGISTER).click()

    expect(page.get_by_role("heading", name="Confirm your registration")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Kit Quick")
    expect(page.get_by_label("Email")).to_have_value("Kit.Quick@Example.org")
    expect(page.get_by_label("Keep me informed about the campaign")).to_be_checked()
    axe_check(page, "confirm your registration")
    assert _registrations(live_server) == [], "nothing stored before the person confirms"

    page.get_by_role("button", name="Confirm registration").click()  # the one click
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert _registrations(live_server, "kit.quick@example.org") == ["confirmed"]


def test_the_form_is_sent_once_until_the_page_is_shown_again(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    """app.js lets the sign-up form go once: a second copy (a double click on a slow
    connection) would carry a used one-time token and be asked to confirm."""
    seed_demo_site(live_server)
    page = new_page()
    _open_first_event(page, live_server)
    decisions = page.evaluate(
        """() => {
          const form = document.querySelector("form.signup-form");
          const seen = [];
          // Runs after app.js's listener: records its decision, then keeps the page here.
          document.addEventListener("submit", (event) => {
            seen.push(event.defaultPrevented);
            event.preventDefault();
          });
          form.requestSubmit();
          form.requestSubmit();
          window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
          form.requestSubmit();
          return seen;
        }"""
    )
    # Sent, held back, and sent again after coming back to the page.
    assert decisions == [False, True, False]


def test_a_limited_sign_up_keeps_what_was_typed_and_says_how_long_to_wait(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    seed_demo_site(live_server)
    config = live_server.app.config
    config.update(SIGNUP_MIN_SECONDS=0, RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="1 per minute")
    first = new_page()
    _open_first_event(first, live_server)
    first.get_by_label("Your name").fill("First Person")
    first.get_by_label("Email").fill("first@example.org")
    first.get_by_role("button", name=REGISTER).click()
    expect(first.get_by_role("heading", name="Check your inbox")).to_be_visible()

    second = new_page("phone")
    _open_first_event(second, live_server)
    second.get_by_label("Your name").fill("Second Person")
    second.get_by_label("Email").fill("second@example.org")
    second.get_by_role("button", name=REGISTER).click()
    expect(second.get_by_role("heading", name="Please wait a moment")).to_be_visible()
    expect(second.get_by_role("alert")).to_contain_text("press Try again in")
    expect(second.get_by_label("Your name")).to_have_value("Second Person")
    expect(second.get_by_label("Email")).to_have_value("second@example.org")
    axe_check(second, "limited sign-up")
    assert _registrations(live_server, "second@example.org") == []

    config["SIGNUP_RATE_LIMIT"] = "100 per minute"  # as if the minute had passed
    second.get_by_role("button", name="Try again").click()
    expect(second.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert _registrations(live_server, "second@example.org") == ["confirmed"]
    assert len(_registrations(live_server)) == 2
