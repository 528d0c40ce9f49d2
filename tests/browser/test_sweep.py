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
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_to_utc, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organizers.models import Organizer
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from campaign.signups.tokens import check_in_code, manage_token
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
    watched_page,
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
        message_id = db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.event_id == waitlist.id).limit(1)
        )
        casey = db.session.scalar(
            select(Registration).where(Registration.email == "casey@example.org")
        )
        assert casey is not None
        server.data.update(_seed_hosting(campaign, secret))
        server.data.update(
            message_id=message_id,
            casey_code=check_in_code(secret, casey.token_nonce),
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


def _seed_hosting(campaign: Campaign, secret: str) -> dict[str, Any]:
    """Proposals in each state a host or reviewer meets: unconfirmed, sent back for
    changes, waiting, and approved as an event with a registrant."""
    from campaign.events.services import EventInput
    from campaign.hosting.services import links, proposals, review

    admin = db.session.scalar(select(Organizer).where(Organizer.email == ADMIN_EMAIL))
    assert admin is not None
    now = utcnow()
    day = datetime.combine(date.today() + timedelta(days=12), datetime.min.time())
    tokens: dict[str, Any] = {}
    for key, title in (
        ("unconfirmed", "Market stall in Hull"),
        ("changes", "Watch party in York"),
        ("waiting", "Library talk in Bath"),
        ("approved", "Book club evening in Leeds"),
    ):
        proposal = proposals.propose(
            campaign.id,
            proposals.HostDetails("Harper Host", f"{key}.host@example.org", "I run a book club."),
            EventInput(
                title=title,
                starts_local=day.replace(hour=18),
                ends_local=day.replace(hour=20),
                timezone="Europe/London",
                summary="A friendly evening of facts and questions.",
                venue="Community Centre",
                city=title.rsplit(" ", 1)[-1],
                capacity=25,
            ),
            now,
            secret,
        )
        db.session.commit()  # each step below is its own request, as on the site
        if key != "unconfirmed":
            proposals.confirm_email(proposal, now)
            db.session.commit()
        if key == "changes":
            review.request_changes(proposal, admin, "Please add the street address.", now)
            db.session.commit()
        if key == "approved":
            event = review.approve(proposal, admin, None, now)
            db.session.commit()
            tokens["hosted_event_id"] = event.id
        if key == "waiting":
            tokens["proposal_id"] = proposal.id
        tokens[f"host_{key}_token"] = links.host_token(proposal, [secret])
    db.session.commit()
    _register(
        db.session.get(Event, tokens["hosted_event_id"]), "Hana Guest", "hana@example.org", secret
    )
    return tokens


def _submit_empty_proposal(page: Page) -> None:
    page.get_by_role("button", name="Send proposal").click()
    expect(page.locator("#error-summary")).to_be_visible()


def _preview_message(page: Page) -> None:
    page.get_by_label("Subject").fill("Bring a friend")
    page.get_by_label("Message").fill("See you on the night.\n\nDoors open at six.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()


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


def _resend_bad_address(page: Page) -> None:
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Send the mail again").click()
    expect(page.locator("#email-error")).to_be_visible()


def _send_empty_message(page: Page) -> None:
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#message-error")).to_be_visible()


def _submit_empty_event_form(page: Page) -> None:
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#error-summary")).to_be_visible()


def _submit_empty_walk_in(page: Page) -> None:
    page.get_by_role("button", name="Add and check in").click()
    expect(page.locator("#name-error")).to_be_visible()


def _preview_broadcast(page: Page) -> None:
    page.get_by_label("Subject").fill("Bring water")
    page.get_by_label("Message").fill("Please bring **water**.\n\n- a hat")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_be_visible()


@dataclass(frozen=True)
class Screen:
    """A page in one state: which site, where, as whom, and what was done first."""

    name: str
    path: str  # may use the keys of the site's server.data
    site: str = "sweep"  # "sweep", "empty" or "bare"
    account: str | None = None
    then: Callable[[Page], None] | None = None
    status: int = 200
    endpoint: str | None = None  # when given, the path must reach this endpoint (checked)


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
    Screen("registered-page", "/events/{open_slug}/registered"),
    Screen("registered-resent", "/events/{open_slug}/registered?sent=1"),
    Screen("registered-resend-error", "/events/{open_slug}/registered", then=_resend_bad_address),
    Screen("contact-host", "/events/{open_slug}/contact"),
    Screen("contact-host-errors", "/events/{open_slug}/contact", then=_send_empty_message),
    Screen("contact-host-sent", "/events/{open_slug}/contact?sent=1"),
    Screen("events-search", "/events?q=talk&when=week"),
    Screen("embed-events", "/embed/events"),
    Screen("events-bad-dates", "/events?when=range&from=x&to=y"),
    Screen("manage-confirmed", "/r/{confirmed_token}"),
    Screen("manage-waitlisted", "/r/{waitlisted_token}"),
    Screen("facts", "/facts", endpoint="graphics.facts"),
    Screen("login", "/manage/login"),
    Screen("dashboard", "/manage/", account=ADMIN_EMAIL),
    Screen("dashboard-organizer", "/manage/", account=ORGANIZER_EMAIL),
    Screen("manage-events", "/manage/events", account=ADMIN_EMAIL),
    Screen("manage-event", "/manage/events/{waitlist_id}", account=ORGANIZER_EMAIL),
    Screen("attendees", "/manage/events/{waitlist_id}/attendees", account=ORGANIZER_EMAIL),
    Screen(
        "walk-in-errors",
        "/manage/events/{waitlist_id}/attendees",
        account=ORGANIZER_EMAIL,
        then=_submit_empty_walk_in,
        status=200,
    ),
    Screen("check-in", "/manage/events/{waitlist_id}/attendees/check-in", account=ORGANIZER_EMAIL),
    Screen(
        "check-in-found",
        "/manage/events/{waitlist_id}/attendees/check-in?code={casey_code}",
        account=ORGANIZER_EMAIL,
    ),
    Screen(
        "check-in-not-found",
        "/manage/events/{waitlist_id}/attendees/check-in?code=ZZZZ-ZZZZ",
        account=ORGANIZER_EMAIL,
        status=404,
        endpoint="attendees.check_in_page",  # the page says the code matched nobody
    ),
    Screen("outbox", "/manage/outbox", account=ADMIN_EMAIL),
    Screen("event-outbox", "/manage/events/{waitlist_id}/outbox", account=ORGANIZER_EMAIL),
    Screen("outbox-message", "/manage/outbox/{message_id}", account=ORGANIZER_EMAIL),
    Screen(
        "event-form-errors",
        "/manage/events/new",
        account=ORGANIZER_EMAIL,
        then=_submit_empty_event_form,
    ),
    Screen("reminders", "/manage/events/{open_id}/reminders", account=ORGANIZER_EMAIL),
    Screen("event-preview", "/manage/events/{open_id}/preview", account=ORGANIZER_EMAIL),
    Screen("event-form", "/manage/events/new", account=ORGANIZER_EMAIL),
    Screen("broadcast", "/manage/events/{waitlist_id}/broadcast", account=ORGANIZER_EMAIL),
    Screen(
        "broadcast-preview",
        "/manage/events/{waitlist_id}/broadcast",
        account=ORGANIZER_EMAIL,
        then=_preview_broadcast,
    ),
    Screen("organizers", "/manage/organizers", account=ADMIN_EMAIL),
    Screen("notifications", "/manage/notifications", account=ORGANIZER_EMAIL),
    Screen("settings", "/manage/settings", account=ADMIN_EMAIL),
    Screen("not-found", "/no-such-page", status=404),
    Screen("host-form", "/host"),
    Screen(
        "host-form-errors",
        "/host",
        then=_submit_empty_proposal,
        status=200,
    ),
    Screen("host-sent", "/host/sent"),
    Screen("host-resend", "/host/resend"),
    Screen("host-unconfirmed", "/host/{host_unconfirmed_token}"),
    Screen("host-changes", "/host/{host_changes_token}"),
    Screen("host-waiting", "/host/{host_waiting_token}"),
    Screen("host-event", "/host/{host_approved_token}"),
    Screen("host-edit", "/host/{host_approved_token}/edit"),
    Screen("host-attendees", "/host/{host_approved_token}/attendees"),
    Screen("host-message", "/host/{host_approved_token}/message"),
    Screen(
        "host-message-preview",
        "/host/{host_approved_token}/message",
        then=_preview_message,
    ),
    Screen("host-invalid", "/host/no-such-link-at-all", status=404, endpoint="hosting.home"),
    Screen("proposals", "/manage/proposals", account=ADMIN_EMAIL),
    Screen(
        "proposal",
        "/manage/proposals/{proposal_id}",
        account=ADMIN_EMAIL,
    ),
    Screen(
        "proposal-settings",
        "/manage/proposals/settings",
        account=ADMIN_EMAIL,
    ),
    Screen(
        "event-host",
        "/manage/events/{hosted_event_id}/host",
        account=ADMIN_EMAIL,
    ),
]


@pytest.fixture(scope="module")
def sites(
    sweep_server: LiveServer, empty_server: LiveServer, bare_server: LiveServer
) -> dict[str, LiveServer]:
    return {"sweep": sweep_server, "empty": empty_server, "bare": bare_server}


SIDEWAYS_SCROLL = """() => {
    const root = document.scrollingElement;
    if (root.scrollWidth <= root.clientWidth + 1) return null;
    const wide = [...document.querySelectorAll("body *")]
        .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
        .slice(0, 5)
        .map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
    return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}; wide: ${wide}`;
}"""


@dataclass
class ReusedPage:
    """The page kept for one site and account, and what it reported."""

    page: Page
    problems: list[str]
    cookies: list[Any]


@pytest.fixture(scope="module")
def reused_pages(browser: Browser) -> Iterator[Callable[[LiveServer, str | None], ReusedPage]]:
    """One page per site and account, which goes to each screen in turn: each time with
    the account's cookies alone (the app keeps nothing else in the browser), so a screen
    starts as in a new context. A renderer that has run axe-core before loads and runs
    it two to three times faster than a new context's new one, which was most of the
    sweep's time."""
    pages: dict[tuple[str, str | None], ReusedPage] = {}

    def page_for(server: LiveServer, account: str | None) -> ReusedPage:
        key = (server.url, account)
        if key not in pages:
            state = signed_in_state(browser, server, account) if account else None
            cookies = state["cookies"] if state else []
            problems: list[str] = []
            page = watched_page(browser, "desktop", state, problems)
            pages[key] = ReusedPage(page, problems, cookies)
        pages[key].problems.clear()
        return pages[key]

    yield page_for
    for reused in pages.values():
        reused.page.context.close()


def _open(reused: ReusedPage, server: LiveServer, screen: Screen, size: str) -> Page:
    """The screen at size, in the reused page with only its account's cookies."""
    page = reused.page
    page.context.clear_cookies()
    if reused.cookies:
        page.context.add_cookies(reused.cookies)
    page.set_viewport_size(VIEWPORTS[size])
    response = page.goto(server(screen.path.format(**server.data)))
    assert response is not None
    assert response.status == screen.status, f"{screen.name}: HTTP {response.status}"
    if screen.then:
        screen.then(page)
        page.wait_for_load_state("load")  # the page a form led to, with its stylesheet applied
    return page


def _check_route(app: Flask, screen: Screen, path: str) -> None:
    """Fail (never skip) when the screen's page has lost its route or endpoint, so that a
    renamed route cannot silently drop its accessibility check."""
    try:
        route = path.split("?", 1)[0]  # the query string is the page's state, not its route
        endpoint: str | None = app.url_map.bind("localhost").match(route, method="GET")[0]
    except HTTPException:
        endpoint = None
    if screen.status == 404 and screen.endpoint is None:  # no route at all
        assert endpoint is None, f"{screen.name}: {path} is meant to be missing, {endpoint} answers"
        return
    assert endpoint is not None, (
        f"{screen.name}: no route answers GET {path} any more; if it moved, update SCREENS"
    )
    if screen.endpoint is not None:
        assert endpoint == screen.endpoint, (
            f"{screen.name}: {path} reaches {endpoint}, the sweep expects {screen.endpoint}; "
            "if the endpoint was renamed, update SCREENS"
        )


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_every_page_and_state_passes_axe(
    reused_pages: Callable[[LiveServer, str | None], ReusedPage],
    sites: dict[str, LiveServer],
    screen: Screen,
) -> None:
    """No serious or critical axe-core violation at desktop and at phone size.

    A state reached by submitting a form is produced afresh at each size (the phone layout
    of a validation error is its own state); a plain page is loaded once and resized.
    """
    server = sites[screen.site]
    _check_route(server.app, screen, screen.path.format(**server.data))
    reused = reused_pages(server, screen.account)
    page = _open(reused, server, screen, "desktop")
    screenshot(page, f"sweep-{screen.name}-desktop")
    problems = axe_violations(page, f"{screen.name} (desktop)")
    if screen.then:
        page = _open(reused, server, screen, "phone")
    else:
        page.set_viewport_size(VIEWPORTS["phone"])
    screenshot(page, f"sweep-{screen.name}-phone")
    problems += axe_violations(page, f"{screen.name} (phone)")
    sideways = page.evaluate(SIDEWAYS_SCROLL)
    if sideways:
        problems.append(f"{screen.name} scrolls sideways at 390px: {sideways}")
    problems += [f"browser console: {line}" for line in reused.problems]
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
