"""Right to left in a real browser: a visitor whose browser asks for the test-only
right-to-left locale (tests/support/i18n.py) gets every public page mirrored, on a phone and
on a desktop, with nothing wider than the screen and axe-core clean."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    VIEWPORTS,
    LiveServer,
    axe_violations,
    screenshot,
    seed_demo_site,
    serve_app,
)
from tests.conftest import rtl_locale_config
from tests.support.i18n import RTL_PSEUDO_LOCALE, write_rtl_pseudo_catalog

pytestmark = pytest.mark.browser

# Tolerance for "at the edge": sub-pixel layout and the focus outline's room.
EDGE = 4


@pytest.fixture(scope="module")
def rtl_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo site offering the right-to-left test locale."""
    catalogs = write_rtl_pseudo_catalog(tmp_path_factory.mktemp("rtl-catalog"))
    with serve_app(tmp_path_factory.mktemp("rtl-site"), rtl_locale_config(catalogs)) as server:
        seed_demo_site(server)
        server.app.config["SIGNUP_MIN_SECONDS"] = 0
        yield server


def _rtl_page(browser: Browser, viewport: str) -> Page:
    """A page in a browser whose preferred language is the right-to-left test locale."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale=RTL_PSEUDO_LOCALE)
    context.set_default_timeout(10_000)
    return context.new_page()


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is shown"
    return box


def _text_right_edge(page: Page, selector: str) -> tuple[float, float]:
    """(right edge of the element's text, right edge of its content box)."""
    edges: list[float] = page.locator(selector).first.evaluate(
        """el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            const inside = parseFloat(style.paddingRight) + parseFloat(style.borderRightWidth);
            return [range.getBoundingClientRect().right, box.right - inside];
        }"""
    )
    return edges[0], edges[1]


def _check_mirrored(page: Page, name: str, heading: str = "main h1") -> list[str]:
    """Assert the page is laid out right to left with no sideways scroll; axe's findings."""
    # After a form's redirect the URL changes when the new page starts to arrive; measured
    # before its stylesheet applies, the share card sits at its natural 1,200 px width.
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    width = page.viewport_size["width"] if page.viewport_size else 0
    scroll = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert scroll[0] <= scroll[1], f"{name}: scrolls sideways ({scroll[0]} > {scroll[1]})"
    # The header's start side (the campaign's name) is on the right.
    brand = _box(page, ".site-header .brand")
    wrap = _box(page, ".site-header__inner")
    assert abs((brand["x"] + brand["width"]) - (wrap["x"] + wrap["width"])) <= EDGE, name
    assert brand["x"] + brand["width"] / 2 > width / 2, f"{name}: the brand sits on the left"
    # The page's heading starts at the right.
    text_right, content_right = _text_right_edge(page, heading)
    assert abs(text_right - content_right) <= EDGE, f"{name}: {heading} is not right-aligned"
    screenshot(page, "rtl " + name.replace(",", ""))
    return axe_violations(page, f"{name} (right to left)")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_public_pages_are_mirrored(browser: Browser, rtl_server: LiveServer, viewport: str) -> None:
    page = _rtl_page(browser, viewport)
    try:
        problems: list[str] = []
        for name, path, heading in (
            ("home", "/", ".hero__title"),
            ("listing", "/events", "main h1"),
            ("facts gallery", "/facts", "main h1"),
        ):
            page.goto(rtl_server(path))
            problems += _check_mirrored(page, f"{name}, {viewport}", heading)
        # In the gallery each card image sits right of its texts (left of them in English).
        media, body = _box(page, ".fact-item__media"), _box(page, ".fact-item__body")
        assert media["x"] >= body["x"] + body["width"], "the card image is not on the right"
        assert not problems, "\n".join(problems)
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_event_page_registration_and_confirmation_are_mirrored(
    browser: Browser, rtl_server: LiveServer, viewport: str, tmp_path: Path
) -> None:
    page = _rtl_page(browser, viewport)
    try:
        page.goto(rtl_server(f"/events/{rtl_server.data['event_slug']}"))
        problems = _check_mirrored(page, f"event page, {viewport}")
        # The form's labels and fields start at the right, as the heading does.
        label = _box(page, ".signup-form label[for=name]")
        field = _box(page, ".signup-form input[name=name]")
        assert abs((label["x"] + label["width"]) - (field["x"] + field["width"])) <= EDGE
        text_right, content_right = _text_right_edge(page, ".signup-form label[for=name]")
        assert abs(text_right - content_right) <= EDGE
        if viewport == "desktop":  # the side panel sits left of the description
            panel = _box(page, ".event-detail__side")
            assert panel["x"] + panel["width"] < page.viewport_size["width"] / 2 + EDGE  # type: ignore[index]

        page.locator(".signup-form input[name=name]").fill("Robin Visitor")
        page.locator(".signup-form input[name=email]").fill(f"robin.{viewport}@example.org")
        page.locator(".signup-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/registered$"))
        problems += _check_mirrored(page, f"confirmation page, {viewport}")
        assert not problems, "\n".join(problems)
    finally:
        page.context.close()
