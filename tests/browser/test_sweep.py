"""Accessibility sweep: axe-core over every page in every state a visitor or organizer meets,
at 1280x800 and at 390x844, with zero serious or critical violations; and a registration
done with the keyboard alone.

The states come from one seeded site of this module's own (the demo plus a full event with
a waitlist, a full event without one, a cancelled event, and registrations on them; on
TEST_DATABASE_URL when set), from an empty campaign, and from a fresh install with no
campaign at all (those two always on SQLite). SIGNUP_MIN_SECONDS is
0 on these servers so that a form filled by a script counts as filled by a person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_to_utc, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token
from tests.browser.conftest import (
    ADMIN_EMAIL,
    ORGANIZER_EMAIL,
    VIEWPORTS,
    LiveServer,
    axe_violations,
    screenshot,
    seed_demo_site,
    serve_app,
    signed_in_state,
)

pytestmark = pytest.mark.browser


# --- the sites -----------------------------------------------------------------------------


def _event(campaign: Campaign, organizer: Organizer, slug: str, title: str, **fields: Any) -> Event:
    starts = local_to_utc(
        datetime.combine(date.today() + timedelta(days=10), datetime.min.time()).replace(hour=18),
        "Europe/London",
    )
    values: dict[str, Any] = {
        "campaign_id": campaign.id,
        "organizer_id": organizer.id,
        "slug": slug,
        "title": title,
        "summary": "An evening of questions and answers about ketamine treatment.",
        "description": "We meet in the **small hall**. Tea and coffee from 17:30.",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "timezone": "Europe/London",
        "format": "in_person",
        "venue": "Quaker Meeting House",
        "city": "Leeds",
        "region": "England",
        "country": "United Kingdom",
        "status": "published",
        "published_at": utcnow(),
        **fields,
    }
    event = Event(**values)
    db.session.add(event)
    db.session.flush()
    return event


def _register(event: Event, name: str, email: str, secret: str) -> str:
    """Register someone through the service; their manage-page token."""
    result = signup_services.register(
        event.id, signup_services.SignupInput(name, email, False), utcnow(), secret
    )
    db.session.commit()
    registration = db.session.get(Registration, result.registration_id)
    assert registration is not None
    return manage_token(secret, registration.token_nonce)


def _seed_states(server: LiveServer) -> None:
    """Events and registrations for every state the sweep looks at."""
    app = server.app
    with app.app_context():
        secret = app.config["SECRET_KEY"]
        campaign = db.session.scalar(select(Campaign))
        organizer = db.session.scalar(select(Organizer).where(Organizer.email == ORGANIZER_EMAIL))
        assert campaign is not None and organizer is not None
        open_event = _event(campaign, organizer, "open-evening", "Open evening", capacity=40)
        waitlist = _event(campaign, organizer, "full-waitlist", "Full, with a waitlist", capacity=1)
        no_waitlist = _event(
            campaign,
            organizer,
            "full-no-waitlist",
            "Full, no waitlist",
            capacity=1,
            is_waitlist_enabled=False,
        )
        cancelled = _event(
            campaign, organizer, "cancelled-talk", "Cancelled talk", capacity=20, status="cancelled"
        )
        cancelled.cancelled_at = utcnow()
        db.session.commit()
        confirmed = _register(waitlist, "Casey Confirmed", "casey@example.org", secret)
        waitlisted = _register(waitlist, "Wren Waitlisted", "wren@example.org", secret)
        _register(no_waitlist, "Noor Confirmed", "noor@example.org", secret)
        _register(open_event, "Olu Early", "olu@example.org", secret)
        server.data.update(
            open_slug=open_event.slug,
            open_id=open_event.id,
            waitlist_slug=waitlist.slug,
            waitlist_id=waitlist.id,
            no_waitlist_slug=no_waitlist.slug,
            cancelled_slug=cancelled.slug,
            confirmed_token=confirmed,
            waitlisted_token=waitlisted,
        )
        db.session.remove()


@pytest.fixture(scope="module")
def sweep_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo site plus the extra states, no minimum form fill time."""
    with serve_app(tmp_path_factory.mktemp("sweep-site")) as server:
        server.app.config["SIGNUP_MIN_SECONDS"] = 0
        seed_demo_site(server)
        _seed_states(server)
        yield server


@contextmanager
def serve_on_sqlite(instance: Path) -> Iterator[LiveServer]:
    """serve_app on a SQLite file of its own even in a PostgreSQL run: the sweep's sites
    are up at the same time, and on the one shared PostgreSQL database each new site
    would drop the tables of the others."""
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:
            env.delenv("TEST_DATABASE_URL", raising=False)
            server = stack.enter_context(serve_app(instance))
        yield server


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A campaign with no events yet."""
    with serve_on_sqlite(tmp_path_factory.mktemp("empty-site")) as server:
        with server.app.app_context():
            db.session.add(
                Campaign(
                    slug="national-ketamine-day",
                    name="National Ketamine Day",
                    day=date.today() + timedelta(days=28),
                    timezone="America/New_York",
                    disclaimer=server.app.config["DEFAULT_DISCLAIMER"],
                )
            )
            db.session.commit()
            db.session.remove()
        yield server


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A fresh install: no campaign, nothing."""
    with serve_on_sqlite(tmp_path_factory.mktemp("bare-site")) as server:
        yield server


# --- what a visitor does before the check --------------------------------------------------


def _submit_bad_registration(page: Page) -> None:
    page.get_by_label("Your name").fill("")
    page.get_by_label("Email").fill("not an email address")
    page.locator(".signup-form button[type=submit]").click()
    expect(page.locator(".signup-form .field--error").first).to_be_visible()


def _register_successfully(page: Page) -> None:
    page.get_by_label("Your name").fill("Sweep Visitor")
    page.get_by_label("Email").fill(f"sweep-{page.viewport_size['width']}@example.org")
    page.locator(".signup-form button[type=submit]").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()


def _submit_empty_event_form(page: Page) -> None:
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#error-summary")).to_be_visible()


@dataclass(frozen=True)
class Screen:
    """A page in one state: which site, where, as whom, and what was done first."""

    name: str
    path: str  # may use the keys of the site's server.data
    site: str = "sweep"  # "sweep", "empty" or "bare"
    account: str | None = None
    then: Callable[[Page], None] | None = None
    status: int = 200
    endpoint: str | None = None  # skip with a reason when the app has no such endpoint


SCREENS = [
    Screen("home-no-campaign", "/", site="bare"),
    Screen("home-empty-campaign", "/", site="empty"),
    Screen("home-seeded", "/"),
    Screen("events-empty", "/events", site="empty"),
    Screen("events", "/events"),
    Screen("event-open", "/events/{open_slug}"),
    Screen("event-validation-error", "/events/{open_slug}", then=_submit_bad_registration),
    Screen("event-registered", "/events/{open_slug}", then=_register_successfully),
    Screen("event-full-waitlist", "/events/{waitlist_slug}"),
    Screen("event-full-no-waitlist", "/events/{no_waitlist_slug}"),
    Screen("event-cancelled", "/events/{cancelled_slug}"),
    Screen("manage-confirmed", "/r/{confirmed_token}"),
    Screen("manage-waitlisted", "/r/{waitlisted_token}"),
    Screen("facts", "/facts", endpoint="graphics.facts"),
    Screen("login", "/manage/login"),
    Screen("dashboard", "/manage/", account=ADMIN_EMAIL),
    Screen("dashboard-organizer", "/manage/", account=ORGANIZER_EMAIL),
    Screen("manage-events", "/manage/events", account=ADMIN_EMAIL),
    Screen("manage-event", "/manage/events/{waitlist_id}", account=ORGANIZER_EMAIL),
    Screen("attendees", "/manage/events/{waitlist_id}/attendees", account=ORGANIZER_EMAIL),
    Screen("outbox", "/manage/outbox", account=ADMIN_EMAIL),
    Screen("event-outbox", "/manage/events/{waitlist_id}/outbox", account=ORGANIZER_EMAIL),
    Screen(
        "event-form-errors",
        "/manage/events/new",
        account=ORGANIZER_EMAIL,
        then=_submit_empty_event_form,
    ),
    Screen("reminders", "/manage/events/{open_id}/reminders", account=ORGANIZER_EMAIL),
    Screen("broadcast", "/manage/events/{waitlist_id}/broadcast", account=ORGANIZER_EMAIL),
    Screen("organizers", "/manage/organizers", account=ADMIN_EMAIL),
    Screen("settings", "/manage/settings", account=ADMIN_EMAIL),
    Screen("not-found", "/no-such-page", status=404),
]


@pytest.fixture(scope="module")
def sites(
    sweep_server: LiveServer, empty_server: LiveServer, bare_server: LiveServer
) -> dict[str, LiveServer]:
    return {"sweep": sweep_server, "empty": empty_server, "bare": bare_server}


SIDEWAYS_SCROLL = """() => {
    const root = document.scrollingElement;
    if (root.scrollWidth <= root.clientWidth + 1) return null;
    return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`;
}"""


def _open(
    browser: Browser, new_page: Callable[..., Page], server: LiveServer, screen: Screen, size: str
) -> Page:
    state = signed_in_state(browser, server, screen.account) if screen.account else None
    page = new_page(size, storage_state=state)
    response = page.goto(server(screen.path.format(**server.data)))
    assert response is not None
    assert response.status == screen.status, f"{screen.name}: HTTP {response.status}"
    if screen.then:
        screen.then(page)
    return page


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_every_page_and_state_passes_axe(
    browser: Browser,
    new_page: Callable[..., Page],
    sites: dict[str, LiveServer],
    screen: Screen,
) -> None:
    """No serious or critical axe-core violation at desktop and at phone size.

    A state reached by submitting a form is produced afresh at each size (the phone layout
    of a validation error is its own state); a plain page is loaded once and resized.
    """
    server = sites[screen.site]
    if screen.endpoint and screen.endpoint not in server.app.view_functions:
        pytest.skip(f"{screen.path}: the app has no endpoint {screen.endpoint} (yet)")
    page = _open(browser, new_page, server, screen, "desktop")
    screenshot(page, f"sweep-{screen.name}-desktop")
    problems = axe_violations(page, f"{screen.name} (desktop)")
    if screen.then:
        page = _open(browser, new_page, server, screen, "phone")
    else:
        page.set_viewport_size(VIEWPORTS["phone"])
    screenshot(page, f"sweep-{screen.name}-phone")
    problems += axe_violations(page, f"{screen.name} (phone)")
    sideways = page.evaluate(SIDEWAYS_SCROLL)
    if sideways:
        problems.append(f"{screen.name} scrolls sideways at 390px: {sideways}")
    assert not problems, "\n".join(problems)


# --- keyboard only -------------------------------------------------------------------------

ACTIVE = """() => {
    const el = document.activeElement;
    return {
        tag: el.tagName.toLowerCase(),
        type: el.getAttribute("type") || "",
        name: el.getAttribute("name") || "",
        text: (el.textContent || "").trim().slice(0, 40),
        inForm: !!el.closest(".signup-form"),
    };
}"""


def _tab_to(page: Page, wanted: Callable[[dict[str, Any]], bool], what: str) -> None:
    """Press Tab until the focused element is the wanted one."""
    trail = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(ACTIVE)
        if wanted(focused):
            return
        trail.append(focused["name"] or focused["text"] or focused["tag"])
    pytest.fail(f"Tab never reached {what}; focus went through {trail}")


def test_registration_with_the_keyboard_alone(
    new_page: Callable[..., Page], sweep_server: LiveServer
) -> None:
    """Tab to each field, type, Space for the consent box, Enter on the button."""
    page = new_page()
    page.goto(sweep_server("/events/{open_slug}".format(**sweep_server.data)))

    _tab_to(page, lambda f: f["name"] == "name" and f["inForm"], "the name field")
    page.keyboard.type("Kim Keyboard")
    _tab_to(page, lambda f: f["name"] == "email" and f["inForm"], "the email field")
    page.keyboard.type("kim.keyboard@example.org")
    _tab_to(page, lambda f: f["type"] == "checkbox" and f["inForm"], "the consent box")
    page.keyboard.press("Space")
    expect(page.locator(".signup-form input[type=checkbox]")).to_be_checked()
    _tab_to(page, lambda f: f["tag"] == "button" and f["inForm"], "the submit button")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert page.url.endswith("/registered"), page.url
    app = sweep_server.app
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.email == "kim.keyboard@example.org")
        )
        assert registration is not None, "the registration was saved"
        assert registration.name == "Kim Keyboard"
        assert registration.is_consenting_to_updates
        db.session.remove()
