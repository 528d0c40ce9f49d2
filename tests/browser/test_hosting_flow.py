"""A supporter hosts an event, as a new user would, in a real browser with CSRF on: they
propose it at /host from the footer link, confirm by the mailed link, an admin approves it
from the queue, it is on /events, the host moves it an hour later from their private link
and the registrant gets the change notice."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.organizers.services import create_organizer
from campaign.signups import services as signup_services
from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import PASSWORD
from tests.signups.conftest import deliver

pytestmark = pytest.mark.browser

ADMIN = "alex.admin@example.org"
TITLE = "Watch party at the Corn Exchange"


def _seed(server: LiveServer) -> None:
    with server.app.app_context():
        db.session.add(
            Campaign(
                slug="national-ketamine-day",
                name="National Ketamine Day",
                day=date.today() + timedelta(days=28),
                timezone="Europe/London",
                disclaimer="Educational content, not medical advice.",
            )
        )
        create_organizer(ADMIN, "Alex Admin", PASSWORD, is_admin=True)
        db.session.commit()
        db.session.remove()


def _mail(server: LiveServer, directory: Path) -> list[tuple[str, str, str]]:
    """Deliver what is queued: (to, subject, text) of each message."""
    with server.app.app_context():
        messages = deliver(server.app, directory)
        db.session.remove()
    found = []
    for message in messages:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        found.append((str(message["To"]), str(message["Subject"]), text))
    return found


def test_a_supporter_hosts_an_event_from_proposal_to_change_notice(
    live_server: LiveServer, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    _seed(live_server)
    day = date.today() + timedelta(days=9)
    host = new_page()
    host.goto(live_server("/events"))
    host.get_by_role("link", name="Host an event").click()
    expect(host.get_by_role("heading", name="Host an event in your town")).to_be_visible()
    host.get_by_label("Title", exact=True).fill(TITLE)
    host.get_by_label("Starts", exact=True).fill(f"{day.isoformat()}T19:00")
    host.get_by_label("Ends", exact=True).fill(f"{day.isoformat()}T21:00")
    host.get_by_label("Venue", exact=True).fill("Corn Exchange")
    host.get_by_label("City", exact=True).fill("Leeds")
    host.get_by_label("Capacity", exact=True).fill("500")  # above the ceiling: refused
    host.get_by_label("Your name").fill("Jo Host")
    host.get_by_label("Your email").fill("jo.host@example.org")
    host.get_by_role("button", name="Send proposal").click()
    expect(host.locator("#error-summary")).to_contain_text("from 1 to 200")
    host.get_by_label("Capacity", exact=True).fill("40")
    host.get_by_role("button", name="Send proposal").click()
    expect(host.get_by_role("heading", name="Check your inbox")).to_be_visible()

    mail_dir = tmp_path / "mail"
    [(to, subject, text)] = _mail(live_server, mail_dir)
    assert to == "jo.host@example.org" and "Confirm your email" in subject
    link = re.search(r"http://127\.0\.0\.1:\d+/host/\S+", text)
    assert link is not None
    host.goto(link.group(0))
    host.get_by_role("button", name="Confirm my email").click()
    expect(host.get_by_text("Waiting for review.")).to_be_visible()

    admin = new_page()
    sign_in(admin, live_server, ADMIN)
    expect(admin.locator(".stat", has_text="Proposals waiting")).to_contain_text("1")
    admin.get_by_role("link", name="Proposals", exact=True).click()
    admin.get_by_role("link", name=TITLE).click()
    admin.get_by_role("button", name="Approve and publish").click()
    expect(admin.locator(".flashes")).to_contain_text("is on the public site")

    visitor = new_page()
    visitor.goto(live_server("/events"))
    visitor.get_by_role("link", name=TITLE).first.click()
    slug = visitor.url.rsplit("/", 1)[-1]
    with live_server.app.app_context():
        from campaign.events.models import Event

        event = db.session.scalar(db.select(Event).where(Event.slug == slug))
        assert event is not None
        signup_services.register(
            event.id,
            signup_services.SignupInput("Robin Guest", "robin@example.org", False),
            event.created_at,
            live_server.app.config["SECRET_KEY"],
        )
        db.session.commit()
        db.session.remove()
    decision = [m for m in _mail(live_server, mail_dir) if m[0] == "jo.host@example.org"]
    assert len(decision) == 1 and "approved" in decision[0][1]

    host.reload()
    expect(host.get_by_text("Approved and public.")).to_be_visible()
    host.get_by_role("link", name="Change the details").click()
    host.get_by_label("Starts", exact=True).fill(f"{day.isoformat()}T20:00")
    host.get_by_label("Ends", exact=True).fill(f"{day.isoformat()}T22:00")
    host.get_by_role("button", name="Save changes").click()
    expect(host.locator(".flashes")).to_contain_text("Registrants are emailed")
    notices = [m for m in _mail(live_server, mail_dir) if m[0] == "robin@example.org"]
    [(_, subject, text)] = notices
    assert subject.startswith("Updated:") and "20:00" in text, notices
