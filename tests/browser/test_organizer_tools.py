"""The organizer's tools in a real browser (issue 15): a broadcast previewed as its first
recipient gets it and a test copy sent to oneself; a walk-in added at the door; a QR code
from a person's registration page scanned on the check-in page. Axe-clean at both sizes."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_to_utc, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organizers.services import create_organizer
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token
from tests.browser.conftest import (
    VIEWPORTS,
    LiveServer,
    axe_violations,
    screenshot,
    serve_app,
    signed_in_state,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "tess.tools@example.org"


def _seed(server: LiveServer) -> None:
    app = server.app
    with app.app_context():
        campaign = Campaign(
            slug="national-ketamine-day",
            name="National Ketamine Day",
            day=date.today() + timedelta(days=28),
            timezone="Europe/London",
            disclaimer=app.config["DEFAULT_DISCLAIMER"],
        )
        db.session.add(campaign)
        organizer = create_organizer(EMAIL, "Tess Tools", PASSWORD)
        create_organizer("zoe.zones@example.org", "Zoe Zones", PASSWORD)
        db.session.flush()
        starts = local_to_utc(
            datetime.combine(date.today() + timedelta(days=10), datetime.min.time()).replace(
                hour=18
            ),
            "Europe/London",
        )
        event = Event(
            campaign_id=campaign.id,
            organizer_id=organizer.id,
            slug="tools-evening",
            title="Tools evening",
            summary="Questions and answers.",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            timezone="Europe/London",
            format="in_person",
            venue="Quaker Meeting House",
            city="Leeds",
            country="United Kingdom",
            status="published",
            published_at=utcnow(),
            capacity=30,
        )
        db.session.add(event)
        db.session.commit()
        for name, email in (("Ann Lee", "ann@example.org"), ("Ben Ode", "ben@example.org")):
            signup_services.register(
                event.id,
                signup_services.SignupInput(name, email),
                utcnow(),
                app.config["SECRET_KEY"],
            )
            db.session.commit()
        server.data.update(event_id=event.id)
        db.session.remove()


@pytest.fixture(scope="module")
def tools_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_app(tmp_path_factory.mktemp("tools-site")) as server:
        _seed(server)
        yield server


def _signed_in(browser: Browser, new_page: Callable[..., Page], server: LiveServer) -> Page:
    return new_page(storage_state=signed_in_state(browser, server, EMAIL))


def _outbox(server: LiveServer, kind: str) -> list[tuple[str, str]]:
    with server.app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.to_email, OutboxMessage.kind).where(OutboxMessage.kind == kind)
        ).all()
        db.session.remove()
        return [(to, k) for to, k in rows]


def test_the_send_button_counts_an_audience_chosen_before_the_script_ran(
    browser: Browser, new_page: Callable[..., Page], tools_server: LiveServer
) -> None:
    page = _signed_in(browser, new_page, tools_server)
    held: list[Route] = []
    page.route("**/js/manage.js*", lambda route: held.append(route))  # arrives late
    # Not waiting for DOMContentLoaded: a deferred script held back holds it back too.
    page.goto(
        tools_server(f"/manage/events/{tools_server.data['event_id']}/broadcast"),
        wait_until="commit",
    )
    page.get_by_label("People on the waitlist").check()
    expect(page.get_by_role("button", name="Send to 2 people")).to_be_visible()
    assert held, "manage.js was asked for and is held back"
    held[0].continue_()
    expect(page.get_by_role("button", name="Send to 0 people")).to_be_visible()


def test_broadcast_preview_and_test_send(
    browser: Browser, new_page: Callable[..., Page], tools_server: LiveServer
) -> None:
    page = _signed_in(browser, new_page, tools_server)
    page.goto(tools_server(f"/manage/events/{tools_server.data['event_id']}"))
    page.get_by_role("link", name="Message attendees").click()
    expect(page.get_by_role("heading", name="Message attendees")).to_be_visible()
    expect(page.get_by_role("button", name="Send to 2 people")).to_be_visible()
    page.get_by_label("People on the waitlist").check()
    expect(page.get_by_role("button", name="Send to 0 people")).to_be_visible()
    page.get_by_label("People with a place").check()

    page.get_by_label("Subject").fill("Bring water")
    page.get_by_label("Message").fill("Hi all,\n\nPlease bring **water**.\n\n- a hat\n- a bottle")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    text = page.locator("#preview-text").inner_text()
    assert text.startswith("Hi all,") and "Hello Ann" not in text
    frame = page.frame_locator("iframe.mail-preview__html")
    expect(frame.locator("strong", has_text="water")).to_be_visible()
    expect(frame.locator("li", has_text="a hat")).to_be_visible()
    # The form keeps what was typed, so the organizer can edit and preview again.
    expect(page.get_by_label("Subject")).to_have_value("Bring water")
    assert _outbox(tools_server, "broadcast") == []

    screenshot(page, "broadcast-preview-desktop")
    problems = axe_violations(page, "broadcast preview (desktop)")
    page.set_viewport_size(VIEWPORTS["phone"])
    problems += axe_violations(page, "broadcast preview (phone)")
    assert not problems, "\n".join(problems)
    page.set_viewport_size(VIEWPORTS["desktop"])

    page.get_by_role("button", name="Send a test to me").click()
    expect(page.locator(".alert--success")).to_contain_text(f"on its way to {EMAIL}")
    assert _outbox(tools_server, "broadcast_test") == [(EMAIL, "broadcast_test")]
    assert _outbox(tools_server, "broadcast") == []

    page.get_by_role("button", name="Send to 2 people").click()
    expect(page.locator(".alert--success")).to_contain_text("Message queued for 2 people")
    assert sorted(_outbox(tools_server, "broadcast")) == [
        ("ann@example.org", "broadcast"),
        ("ben@example.org", "broadcast"),
    ]


def _axe_both_sizes(page: Page, name: str) -> None:
    screenshot(page, f"{name}-desktop")
    problems = axe_violations(page, f"{name} (desktop)")
    page.set_viewport_size(VIEWPORTS["phone"])
    screenshot(page, f"{name}-phone")
    problems += axe_violations(page, f"{name} (phone)")
    page.set_viewport_size(VIEWPORTS["desktop"])
    assert not problems, "\n".join(problems)


def _registration(server: LiveServer, email: str) -> dict[str, object]:
    with server.app.app_context():
        row = db.session.scalar(select(Registration).where(Registration.email == email))
        assert row is not None
        found = {
            "token": manage_token(server.app.config["SECRET_KEY"], row.token_nonce),
            "checked_in": row.checked_in_at is not None,
            "status": row.status,
        }
        db.session.remove()
        return found


def test_walk_in_added_at_the_door(
    browser: Browser, new_page: Callable[..., Page], tools_server: LiveServer
) -> None:
    page = _signed_in(browser, new_page, tools_server)
    page.goto(tools_server(f"/manage/events/{tools_server.data['event_id']}/attendees"))
    page.get_by_role("button", name="Add and check in").click()
    expect(page.locator("#name-error")).to_have_text("Enter their name.")
    _axe_both_sizes(page, "walk-in-error")

    page.get_by_label("Name", exact=True).fill("Walter Door")
    page.get_by_role("button", name="Add and check in").click()
    expect(page.locator(".alert--success")).to_contain_text("Walter Door is added and checked in")
    row = page.locator("tr", has_text="Walter Door")
    expect(row).to_contain_text("walk-in, no email")
    expect(row).to_contain_text("checked in")
    _axe_both_sizes(page, "attendees-after-walk-in")


QR_STUBS = """
window.BarcodeDetector = class {
  constructor(options) { this.options = options; }
  async detect(source) { return window.__qr ? [{ rawValue: window.__qr }] : []; }
};
navigator.mediaDevices.getUserMedia = async function () {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 48;
  canvas.getContext("2d").fillRect(0, 0, 64, 48);
  return canvas.captureStream(5);
};
"""


def test_qr_check_in_with_the_camera_and_by_typed_code(
    browser: Browser, new_page: Callable[..., Page], tools_server: LiveServer, tmp_path: Path
) -> None:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg not installed (apt-get install zbar-tools)")
    # The attendee's registration page shows the QR code; zbarimg reads it as a phone would.
    ann = _registration(tools_server, "ann@example.org")
    attendee = new_page("phone")
    attendee.goto(tools_server(f"/r/{ann['token']}"))
    qr = attendee.get_by_role("img", name="QR code for check-in")
    expect(qr).to_be_visible()
    png = attendee.request.get(tools_server(f"/r/{ann['token']}/check-in.png")).body()
    (tmp_path / "qr.png").write_bytes(png)
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "qr.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    event_id = tools_server.data["event_id"]
    assert scanned.startswith(tools_server(f"/manage/events/{event_id}/attendees/check-in?code="))

    # The organizer's phone: a camera that sees that QR code (Chromium on Linux has no
    # BarcodeDetector, so the page's detector and camera are stand-ins that return it).
    page = new_page("phone", storage_state=signed_in_state(browser, tools_server, EMAIL))
    page.add_init_script(QR_STUBS + f"window.__qr = {json.dumps(scanned)};")
    page.goto(tools_server(f"/manage/events/{event_id}/attendees"))
    page.get_by_role("link", name="Check-in at the door").click()
    expect(page.get_by_role("heading", name="Check-in", exact=True)).to_be_visible()
    _axe_both_sizes(page, "check-in")
    page.get_by_role("button", name="Start the camera").click()
    expect(page.get_by_role("heading", name="Ann Lee")).to_be_visible()
    _axe_both_sizes(page, "check-in-found")
    page.get_by_role("button", name="Check in Ann Lee").click()
    expect(page.locator(".alert--success").first).to_contain_text("Ann Lee is checked in")
    assert _registration(tools_server, "ann@example.org")["checked_in"] is True

    # Without a camera-reading browser, the scanner stays hidden and a typed code works.
    ben = _registration(tools_server, "ben@example.org")
    typed = new_page(storage_state=signed_in_state(browser, tools_server, EMAIL))
    typed.goto(tools_server(f"/manage/events/{event_id}/attendees/check-in"))
    expect(typed.locator("[data-scanner]")).to_be_hidden()
    typed.goto(tools_server(f"/r/{ben['token']}"))
    code = typed.locator(".check-in-pass__code").inner_text()
    typed.goto(tools_server(f"/manage/events/{event_id}/attendees/check-in"))
    typed.get_by_role("textbox", name="Check-in code").fill(code.lower().replace("-", " "))
    typed.get_by_role("button", name="Find").click()
    typed.get_by_role("button", name="Check in Ben Ode").click()
    expect(typed.locator(".alert--success").first).to_contain_text("Ben Ode is checked in")
    assert _registration(tools_server, "ben@example.org")["checked_in"] is True
    typed.get_by_role("textbox", name="Check-in code").fill("ZZZZ-ZZZZ")
    typed.get_by_role("button", name="Find").click()
    expect(typed.get_by_role("heading", name="Not found")).to_be_visible()
    _axe_both_sizes(typed, "check-in-not-found")


def test_time_zone_search_and_the_browsers_zone(browser: Browser, tools_server: LiveServer) -> None:
    context = browser.new_context(
        viewport=VIEWPORTS["phone"],
        timezone_id="Asia/Tokyo",
        storage_state=signed_in_state(browser, tools_server, "zoe.zones@example.org"),
    )
    try:
        page = context.new_page()
        page.goto(tools_server("/manage/events/new"))
        zone = page.locator("select#timezone")
        expect(zone).to_have_value("Asia/Tokyo")  # a first event: the browser's zone
        page.get_by_role("searchbox", name="Find a time zone").fill("sydney")
        expect(zone).to_have_value("Australia/Sydney")
        expect(page.locator("#timezone-search-hint")).to_contain_text("1 zone matches")
        page.get_by_role("searchbox", name="Find a time zone").fill("new york")
        expect(zone).to_have_value("America/New_York")
        _axe_both_sizes(page, "event-form-zone-search")
    finally:
        context.close()


def test_draft_preview_is_axe_clean(
    browser: Browser, new_page: Callable[..., Page], tools_server: LiveServer
) -> None:
    page = _signed_in(browser, new_page, tools_server)
    page.goto(tools_server(f"/manage/events/{tools_server.data['event_id']}/preview"))
    expect(page.get_by_role("heading", name="Tools evening")).to_be_visible()
    _axe_both_sizes(page, "event-preview")
