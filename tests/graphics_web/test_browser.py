"""In Chromium: download a card from /facts, copy its alt text, the editor's live preview,
and axe-core on the gallery and the content editor."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
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

FIRST_SLUG = "party-drug-only"


def _axe_both_sizes(page: Page, name: str) -> list[str]:
    problems = axe_violations(page, f"{name} (desktop)")
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(VIEWPORTS["phone"])
    problems += axe_violations(page, f"{name} (phone)")
    screenshot(page, f"{name}-phone")
    wide = page.evaluate(
        "() => document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth + 1"
    )
    if wide:
        problems.append(f"{name} scrolls sideways at 390px")
    page.set_viewport_size(VIEWPORTS["desktop"])
    return problems


def test_download_a_card_and_copy_its_alt_text(
    new_page: Callable[..., Page], demo_server: LiveServer, tmp_path: Path
) -> None:
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_server.url)
    response = page.goto(demo_server("/facts"))
    assert response is not None and response.status == 200
    card = page.locator(f"article#{FIRST_SLUG}")
    expect(card).to_be_visible()

    link = card.locator(f'a[download="{FIRST_SLUG}-square.png"]')
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"{FIRST_SLUG}-square.png"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert len(data) <= 300 * 1024
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (1080, 1080)

    alt = card.locator(".fact-item__image").get_attribute("alt")
    assert alt and alt.startswith("Myth:")
    copy = card.get_by_role("button", name="Copy alt text")
    expect(copy).to_be_visible()  # shown by the script (hidden without it)
    copy.click()
    expect(card.get_by_role("button", name="Alt text copied")).to_be_visible()
    expect(card.get_by_role("status")).to_have_text("Alt text copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == alt


def test_the_gallery_is_accessible(new_page: Callable[..., Page], demo_server: LiveServer) -> None:
    page = new_page()
    page.goto(demo_server("/facts"))
    problems = _axe_both_sizes(page, "facts")
    page.goto(demo_server(f"/facts/{FIRST_SLUG}"))
    problems += _axe_both_sizes(page, "fact")
    assert not problems, "\n".join(problems)


def test_the_editor_previews_as_you_type_and_says_what_to_cut(
    browser: Browser, new_page: Callable[..., Page], demo_server: LiveServer
) -> None:
    state = signed_in_state(browser, demo_server, ORGANIZER_EMAIL)
    page = new_page(storage_state=state)
    page.goto(demo_server("/manage/content"))
    problems = _axe_both_sizes(page, "content-list")

    page.goto(demo_server("/manage/content/new"))
    page.get_by_label("Myth", exact=True).fill("Ketamine is never used in hospitals.")
    page.get_by_label("Fact", exact=True).fill(
        "When administered in a controlled medical setting, ketamine is both safe and effective."
    )
    page.wait_for_function(
        "() => (document.querySelector('[data-preview-img]').src || '').startsWith('blob:')",
        timeout=15_000,
    )
    expect(page.locator("[data-preview-state]")).to_have_text("Preview updated (not saved yet).")
    width = page.evaluate("() => document.querySelector('[data-preview-img]').naturalWidth")
    assert width == 1080

    page.get_by_label("Fact", exact=True).fill("Ketamine in a controlled medical setting. " * 10)
    note = page.locator('[data-fit-for="fact"]')
    expect(note).to_be_visible(timeout=15_000)
    expect(note).to_contain_text("cut")
    problems += _axe_both_sizes(page, "content-editor")
    assert not problems, "\n".join(problems)


def test_the_theme_page_is_accessible(
    browser: Browser, new_page: Callable[..., Page], demo_server: LiveServer
) -> None:
    page = new_page(storage_state=signed_in_state(browser, demo_server, ADMIN_EMAIL))
    response = page.goto(demo_server("/manage/theme"))
    assert response is not None and response.status == 200
    problems = _axe_both_sizes(page, "theme")
    assert not problems, "\n".join(problems)


def test_without_javascript_only_what_works_is_shown(
    browser: Browser, demo_server: LiveServer
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(demo_server("/facts"))
        card = page.locator(f"article#{FIRST_SLUG}")
        expect(card.locator("[data-share-file]")).to_be_hidden()
        expect(card.locator("[data-copy-alt]")).to_be_hidden()
        expect(card.locator("a[download]")).to_have_count(4)
        expect(card.locator(".share-link--whatsapp")).to_be_visible()
        card.locator("summary").click()
        expect(card.locator(".alt-text__body")).to_be_visible()
    finally:
        context.close()
