"""Content in Spanish in a real browser: the facts gallery shows the seed's approved
Spanish pairs and Spanish cards, an event without a translation says its text is only in
English; both stay axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import VIEWPORTS, LiveServer, axe_violations

pytestmark = pytest.mark.browser


def test_spanish_facts_and_an_untranslated_event(browser: Browser, demo_server: LiveServer) -> None:
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="es-ES")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(demo_server("/facts"))
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.locator(".fact-item__myth").first).to_have_text(
            "La ketamina es solo una droga recreativa de fiesta."
        )
        assert page.locator('img[alt^="Dato: "]').count() > 0
        assert page.locator('blockquote[lang="en"]').count() > 0
        problems = axe_violations(page, "facts (es, phone)")

        page.goto(demo_server("/events"))
        page.locator(".event-card__title a").first.click()
        expect(page.locator("h1")).to_have_attribute("lang", "en")
        expect(page.locator(".event-fallback-note")).to_have_text(
            "Esta información solo está disponible en inglés."
        )
        problems += axe_violations(page, "event page (es, untranslated, phone)")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
