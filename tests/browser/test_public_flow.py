"""A member of the public finds an event, registers, opens the manage link and cancels."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaign.extensions import db
from campaign.mail.backends import FileBackend
from campaign.mail.delivery import deliver_due
from campaign.signups.models import Registration
from tests.browser.conftest import LiveServer, axe_check, seed_demo_site

pytestmark = pytest.mark.browser


def _deliver_and_read_manage_link(server: LiveServer, directory: Path) -> str:
    with server.app.app_context():
        deliver_due(FileBackend(str(directory)), server.app.config["MAIL_SENDER"])
        db.session.remove()
    [path] = list(directory.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(re.escape(server.url) + r"(/r/[A-Za-z0-9_-]+)", text)
    assert match, "the confirmation mail has a manage link"
    return match.group(1)


def _status(server: LiveServer, email_address: str) -> str:
    with server.app.app_context():
        status = db.session.scalar(
            select(Registration.status).where(Registration.email == email_address)
        )
        db.session.remove()
        return str(status)


def test_visitor_registers_manages_and_cancels(
    live_server: LiveServer, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    seed_demo_site(live_server)
    live_server.app.config["SIGNUP_MIN_SECONDS"] = 0
    page = new_page()

    page.goto(live_server("/events"))
    axe_check(page, "event listing")
    page.locator(".event-card__title a").first.click()
    expect(page.locator("h2#register-heading")).to_be_visible()
    axe_check(page, "event page")

    page.get_by_label("Your name").fill("Robin Visitor")
    page.get_by_label("Email").fill("Robin.Visitor@Example.org")
    page.get_by_label("Keep me informed about the campaign").check()
    page.get_by_role("button", name=re.compile("Register|Join the waitlist")).click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    axe_check(page, "registered page")
    assert _status(live_server, "robin.visitor@example.org") == "confirmed"

    manage_path = _deliver_and_read_manage_link(live_server, tmp_path / "mail")
    page.goto(live_server(manage_path))
    expect(page.get_by_text("You have a place, Robin.")).to_be_visible()
    axe_check(page, "manage page")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel my registration").click()
    expect(page.get_by_text("You cancelled this registration.")).to_be_visible()
    axe_check(page, "manage page after cancelling")
    assert _status(live_server, "robin.visitor@example.org") == "cancelled"
