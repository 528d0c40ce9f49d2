"""An organizer signs in, creates and publishes an event, and a visitor finds it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.services import create_organizer
from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "river.organizer@example.org"
TITLE = "Open Evening: Ketamine Facts for Families"
ZONE = "America/Chicago"
JOIN_URL = "https://meet.example.org/private-room-4821"


def _seed(server: LiveServer) -> None:
    with server.app.app_context():
        db.session.add(
            Campaign(
                slug="national-ketamine-day",
                name="National Ketamine Day",
                day=date.today() + timedelta(days=28),
                timezone="America/New_York",
                tagline="Facts over fear.",
                hashtag="#NationalKetamineDay",
                disclaimer="Educational content, not medical advice.",
            )
        )
        create_organizer(EMAIL, "River Organizer", PASSWORD)
        db.session.commit()
        db.session.remove()


def _event_count(server: LiveServer) -> int:
    with server.app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Event)) or 0
        db.session.remove()
        return count


def test_organizer_publishes_an_event_that_visitors_then_find(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    _seed(live_server)
    day = date.today() + timedelta(days=10)
    zone_abbr = datetime.combine(day, time(18, 30), tzinfo=ZoneInfo(ZONE)).tzname()
    visitor = new_page()

    organizer = new_page()
    sign_in(organizer, live_server, EMAIL)
    organizer.get_by_role("link", name="New event").click()
    expect(organizer.get_by_role("heading", name="New event")).to_be_visible()

    organizer.get_by_label("Title", exact=True).fill(TITLE)
    organizer.get_by_label("Summary", exact=True).fill(
        "What treatment involves, in plain language."
    )
    organizer.get_by_label("Description", exact=True).fill(
        "A relaxed evening.\n\n- facts\n- questions"
    )
    organizer.get_by_label("Time zone", exact=True).select_option(ZONE)
    organizer.get_by_label("Starts", exact=True).fill(f"{day.isoformat()}T18:30")
    # First the end before the start: refused, shown next to the field, nothing saved.
    organizer.get_by_label("Ends", exact=True).fill(f"{day.isoformat()}T17:00")
    organizer.get_by_label("Hybrid (in person and online)").check()
    organizer.get_by_label("Venue", exact=True).fill("Harold Washington Library, Room 3")
    organizer.get_by_label("Address", exact=True).fill("400 S State St")
    organizer.get_by_label("City", exact=True).fill("Chicago")
    organizer.get_by_label("Region or state", exact=True).fill("Illinois")
    organizer.get_by_label("Country", exact=True).fill("United States")
    organizer.get_by_label("Online join link", exact=True).fill(JOIN_URL)
    organizer.get_by_label("Capacity", exact=True).fill("30")
    organizer.get_by_label("Accessibility", exact=True).fill("Step-free entrance; captions.")
    organizer.get_by_role("button", name="Save draft").click()

    expect(organizer.locator("#error-summary")).to_contain_text("Ends")
    expect(organizer.locator("#ends_local-error")).to_have_text("The end must be after the start.")
    expect(organizer.get_by_label("Ends", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(organizer.get_by_label("Title", exact=True)).to_have_value(TITLE)
    assert _event_count(live_server) == 0

    organizer.get_by_label("Ends", exact=True).fill(f"{day.isoformat()}T20:00")
    organizer.get_by_role("button", name="Save draft").click()
    organizer.wait_for_url(re.compile(r"/manage/events/\d+$"))
    expect(organizer.get_by_role("status")).to_contain_text("Draft saved")
    expect(organizer.locator(".status")).to_have_text("draft")

    # A draft is not public.
    visitor.goto(live_server("/events"))
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)

    organizer.get_by_role("button", name="Publish").click()
    expect(organizer.get_by_role("status")).to_contain_text("Published")
    expect(organizer.locator(".status")).to_have_text("published")

    visitor.goto(live_server("/events"))
    card = visitor.locator(".event-card", has_text=TITLE)
    expect(card).to_contain_text(f"{day.day} {day:%b %Y}, 18:30 {zone_abbr}")
    card.get_by_role("link", name=TITLE).click()

    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    main = visitor.locator("main")
    expect(main).to_contain_text(f"{day:%a} {day.day} {day:%b %Y}, 18:30–20:00 {zone_abbr}")
    expect(main).to_contain_text("Harold Washington Library, Room 3")
    assert JOIN_URL not in visitor.content(), "the join link is for registrants only"
