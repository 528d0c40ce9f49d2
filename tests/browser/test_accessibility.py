"""Accessibility in a real browser: axe-core, phone reflow, keyboard focus and the skip link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    ADMIN_EMAIL,
    ORGANIZER_EMAIL,
    VIEWPORTS,
    LiveServer,
    axe_violations,
    screenshot,
    signed_in_state,
)

pytestmark = pytest.mark.browser


def _failed_sign_in(page: Page) -> None:
    page.get_by_label("Email").fill(ORGANIZER_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()


@dataclass(frozen=True)
class Screen:
    """A page as someone sees it: where, signed in as whom, and what they did first."""

    name: str
    path: str  # may use {event_slug} and {event_id} from the demo site
    account: str | None = None
    then: Callable[[Page], None] | None = None


# The screens test_sweep.py does not check already (it covers the home page, the event
# list, sign-in, the empty event form's errors, the dashboard, the event list, organizers,
# settings and the 404 page, in more states): each page is checked once per run.
SCREENS = [
    Screen("event-page", "/events/{event_slug}"),  # the demo's hybrid event
    Screen("login-failed", "/manage/login", then=_failed_sign_in),
    Screen("manage-event", "/manage/events/{event_id}", ADMIN_EMAIL),
    Screen("event-form-edit", "/manage/events/{event_id}/edit", ADMIN_EMAIL),
    Screen("embed-finder", "/embed/events"),
    Screen("manage-embed", "/manage/embed", ADMIN_EMAIL),
]


def open_screen(
    browser: Browser,
    new_page: Callable[..., Page],
    server: LiveServer,
    screen: Screen,
    viewport: str,
) -> Page:
    """A new page at viewport size showing screen, signed in when the screen needs it."""
    state = signed_in_state(browser, server, screen.account) if screen.account else None
    page = new_page(viewport, storage_state=state)
    response = page.goto(server(screen.path.format(**server.data)))
    assert response is not None
    assert response.status == 200, f"{screen.path}: HTTP {response.status}"
    if screen.then:
        screen.then(page)
        page.wait_for_load_state("load")  # the page a form led to, with its stylesheet applied
    return page


SIDEWAYS_SCROLL = """() => {
    const root = document.scrollingElement;
    if (root.scrollWidth <= root.clientWidth + 1) return null;
    const wide = [...document.querySelectorAll("body *")]
        .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
        .slice(0, 5)
        .map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
    return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}; wide: ${wide}`;
}"""


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_screen_is_accessible_on_desktop_and_phone(
    browser: Browser, new_page: Callable[..., Page], demo_server: LiveServer, screen: Screen
) -> None:
    """axe-core at 1280x800 and at 390x844, and no sideways scrolling on the phone.

    One page per screen, resized in place: loading and injecting axe twice would double
    the run time for the same check.
    """
    page = open_screen(browser, new_page, demo_server, screen, "desktop")
    screenshot(page, f"{screen.name}-desktop")
    problems = axe_violations(page, f"{screen.name} (desktop)")

    page.set_viewport_size(VIEWPORTS["phone"])
    screenshot(page, f"{screen.name}-phone")
    problems += axe_violations(page, f"{screen.name} (phone)")
    sideways = page.evaluate(SIDEWAYS_SCROLL)
    if sideways:
        problems.append(f"{screen.name} scrolls sideways at 390px: {sideways}")
    assert not problems, "\n".join(problems)


FOCUS_STYLE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(),
        text: (el.textContent || el.name || el.id || "").trim().slice(0, 40),
        outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
        inMain: document.querySelector("main").contains(el),
    };
}"""


def test_skip_link_moves_focus_past_the_navigation(page: Page, demo_server: LiveServer) -> None:
    page.goto(demo_server("/events"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link is on screen"
    assert page.evaluate(FOCUS_STYLE)["outline"] >= 2

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS_STYLE)
    assert focused["inMain"], f"after the skip link, Tab went to {focused}"


@pytest.mark.parametrize(
    ("path", "account"),
    [("/events", None), ("/manage/events/new", ORGANIZER_EMAIL)],
    ids=["events", "event-form"],
)
def test_every_tab_stop_shows_a_focus_outline(
    browser: Browser,
    new_page: Callable[..., Page],
    demo_server: LiveServer,
    path: str,
    account: str | None,
) -> None:
    state = signed_in_state(browser, demo_server, account) if account else None
    page = new_page(storage_state=state)
    page.goto(demo_server(path))
    seen = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE)
        if focused["tag"] == "body":
            break
        seen.append(focused)
        assert focused["outline"] >= 2, f"no visible focus outline on {focused}"
    assert len(seen) >= 5, f"only {len(seen)} tab stops on {path}"
