"""Languages in a real browser: a Spanish browser gets Spanish, the switcher works without
JavaScript and is remembered, and the page stays axe-clean in Spanish on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import VIEWPORTS, LiveServer, axe_violations

pytestmark = pytest.mark.browser


def test_a_spanish_browser_reads_spanish_and_can_switch(
    browser: Browser, demo_server: LiveServer
) -> None:
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="es-MX")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(demo_server("/"))
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("link", name="Busca un evento")).to_be_visible()
        problems = axe_violations(page, "home (es, desktop)")
        page.set_viewport_size(VIEWPORTS["phone"])
        problems += axe_violations(page, "home (es, phone)")
        assert not problems, "\n".join(problems)

        switcher = page.get_by_role("navigation", name="Idioma")
        switcher.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("link", name="Find an event")).to_be_visible()
        # Remembered by the cookie, over the browser's Spanish, on every page.
        page.goto(demo_server("/events"))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        assert page.url.endswith("/events?lang=es")
    finally:
        context.close()
