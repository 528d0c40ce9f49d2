"""Issue 15 on the public side, in a real browser: the first screen on a phone, the page
after registering and "send the mail again", the visitor's own time, and the listing's
search and date filter."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from tests.browser.conftest import (
    COUNT_INTL_DATE_FORMATS,
    VIEWPORTS,
    LiveServer,
    axe_check,
    seed_demo_site,
    serve_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo site, no minimum fill time, one online event in Sydney time."""
    with serve_app(tmp_path_factory.mktemp("next-steps")) as server:
        server.app.config["SIGNUP_MIN_SECONDS"] = 0
        seed_demo_site(server)
        with server.app.app_context():
            event = db.session.scalar(
                select(Event).where(Event.status == "published", Event.capacity.is_(None))
            ) or db.session.scalar(select(Event).where(Event.status == "published"))
            assert event is not None
            event.capacity = None
            event.format = "online"
            event.timezone = "Australia/Sydney"
            server.data["sydney_slug"] = event.slug
            server.data["sydney_title"] = event.title
            db.session.commit()
            db.session.remove()
        yield server


def _in_first_screen(page: Page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    height = VIEWPORTS["phone"]["height"]
    assert box["y"] + box["height"] <= height, f"{selector} ends at {box['y'] + box['height']}"


def _outbox_to(server: LiveServer, address: str) -> int:
    with server.app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == address))
        count = len(list(rows))
        db.session.remove()
        return count


def test_register_on_a_phone_then_next_steps_and_resend(
    site: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page("phone")
    page.goto(site(f"/events/{site.data['sydney_slug']}"))
    _in_first_screen(page, ".event-detail__jump .button")
    page.locator(".event-detail__jump .button").click()
    page.wait_for_url(re.compile("#register-heading$"))
    page.get_by_label("Your name").fill("Pat Phone")
    page.get_by_label("Email").fill("pat.phone@example.org")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(page.get_by_text("look in your spam or junk folder", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="Google Calendar")).to_be_visible()
    expect(page.get_by_role("link", name="Download .ics")).to_be_visible()
    expect(page.locator(".registered__share img")).to_be_visible()
    axe_check(page, "registered page (phone)")

    # The first mail is older than the resend window by the time someone asks.
    with site.app.app_context():
        db.session.execute(
            update(OutboxMessage).values(created_at=utcnow() - timedelta(minutes=15))
        )
        db.session.commit()
        db.session.remove()
    page.get_by_label("Your email address").fill("pat.phone@example.org")
    page.get_by_role("button", name="Send the mail again").click()
    notice = page.locator("#resend-notice")
    expect(notice).to_contain_text("If this address is registered for this event")
    assert _outbox_to(site, "pat.phone@example.org") == 2
    axe_check(page, "registered page, mail sent again")

    # A stranger's address gets the very same answer and no mail.
    page.get_by_label("Your email address").fill("stranger@example.org")
    page.get_by_role("button", name="Send the mail again").click()
    expect(notice).to_contain_text("If this address is registered for this event")
    assert _outbox_to(site, "stranger@example.org") == 0


def test_the_home_page_shows_the_next_events_in_the_first_screen_on_a_phone(
    site: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page("phone")
    page.goto(site("/"))
    _in_first_screen(page, "#upcoming-heading")
    _in_first_screen(page, ".hero .button--primary")


@pytest.mark.parametrize(
    ("zone", "shown"), [("America/New_York", True), ("Australia/Sydney", False)]
)
def test_the_visitors_own_time_is_shown_beside_the_events(
    site: LiveServer, browser: Browser, zone: str, shown: bool
) -> None:
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-GB", timezone_id=zone)
    context.add_init_script(COUNT_INTL_DATE_FORMATS)
    try:
        page = context.new_page()
        workers: list[str] = []
        page.on("worker", lambda worker: workers.append(worker.url))
        page.goto(site(f"/events/{site.data['sydney_slug']}"))
        local = page.locator(".event-detail__main .local-time")
        server_time = page.locator(".event-detail__main dd time").first
        expect(server_time).to_contain_text(re.compile(r"AE[DS]T"))  # the event's zone stays
        if shown:
            expect(local).to_be_visible()
            expect(local).to_contain_text(re.compile(r"^Your time: .+ (EST|EDT|GMT-[45])$"))
            # Written by a worker: the page's own thread never starts Intl.
            assert [url for url in workers if "localtime.js" in url], workers
        else:
            expect(local).to_be_hidden()
            page.wait_for_load_state("load")
            # A visitor whose clock shows the event's time costs the phone no Intl start-up.
            assert workers == []
        assert page.evaluate("window.intlDateFormats") == 0
        page.goto(site("/events"))
        card = page.locator(".event-card", has_text=site.data["sydney_title"]).locator(
            ".local-time"
        )
        if shown:
            expect(card).to_be_visible()
        else:
            expect(card).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize(
    "no_worker",
    [
        "window.Worker = undefined;",
        "window.Worker = function () { throw new Error('workers are off'); };",
        # A worker that starts and then fails (as under a policy that refuses it).
        "const RealWorker = window.Worker;"
        " window.Worker = function () { return new RealWorker('data:text/javascript,throw 1'); };",
    ],
    ids=["absent", "refused", "fails"],
)
def test_the_visitors_own_time_is_written_in_the_page_without_a_worker(
    site: LiveServer, browser: Browser, no_worker: str
) -> None:
    context = browser.new_context(
        viewport=VIEWPORTS["desktop"], locale="en-GB", timezone_id="America/New_York"
    )
    context.add_init_script(no_worker)
    try:
        page = context.new_page()
        page.goto(site(f"/events/{site.data['sydney_slug']}"))
        expect(page.locator(".event-detail__main .local-time")).to_contain_text(
            re.compile(r"^Your time: .+ (EST|EDT|GMT-[45])$")
        )
    finally:
        context.close()


def test_search_and_date_filter(site: LiveServer, new_page: Callable[..., Page]) -> None:
    page = new_page("phone")
    page.goto(site("/events"))
    total = page.locator(".event-card").count()
    title = site.data["sydney_title"]
    word = max(title.split(), key=len)
    page.get_by_label("Search", exact=True).fill(word)
    page.get_by_role("button", name="Find events").click()
    expect(page.locator(".event-card__title", has_text=title)).to_be_visible()
    assert page.locator(".event-card").count() <= total
    axe_check(page, "listing, searched")

    page.get_by_label("Date", exact=True).select_option(label="Between dates")
    page.get_by_label("From", exact=True).fill("2099-05-10")
    page.get_by_label("To", exact=True).fill("2099-05-01")
    page.get_by_role("button", name="Find events").click()
    alert = page.locator("#filter-errors")
    expect(alert).to_contain_text("The last day must be on or after the first day.")
    expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    axe_check(page, "listing, bad dates")

    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(".event-card")).to_have_count(total)
    expect(page.get_by_role("link", name="Subscribe in your calendar app")).to_have_attribute(
        "href", re.compile(r"^webcal://.+/calendar\.ics$")
    )
