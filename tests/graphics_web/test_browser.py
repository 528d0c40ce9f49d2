"""In Chromium: download a card from /facts, copy its alt text, the editor's live preview,
a proposed edit to a live pair and a withdrawn pair, and axe-core on those pages."""

from __future__ import annotations

import io
import re
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
    seed_demo_site,
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

    # One download menu per card: choose the size, get the full-size PNG.
    card.locator("summary", has_text="Download").click()
    link = card.locator(f'a[download="{FIRST_SLUG}-square.png"]')
    expect(link).to_be_visible()
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
    assert alt and alt.startswith("Fact:")
    card.locator("summary", has_text="Share").click()  # one share menu per card
    copy = card.get_by_role("button", name="Copy alt text")
    expect(copy).to_be_visible()  # shown by the script (hidden without it)
    copy.click()
    expect(card.get_by_role("button", name="Alt text copied")).to_be_visible()
    expect(card.get_by_role("status")).to_have_text("Alt text copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == alt


def test_the_gallery_is_under_six_screens_on_a_phone(
    new_page: Callable[..., Page], demo_server: LiveServer
) -> None:
    page = new_page()
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(demo_server("/facts"))
    cards = page.locator("article.fact-item")
    assert cards.count() >= 8
    assert page.locator("a[download]").count() == 4 * cards.count(), "one menu of 4 sizes"
    expect(page.locator("a[download]").first).to_be_hidden()  # until its menu is opened
    height = page.evaluate("() => document.documentElement.scrollHeight")
    screen = VIEWPORTS["phone"]["height"]
    assert height < 6 * screen, f"/facts is {height / screen:.1f} screens tall at 390 px"
    # The first card is the first screen's image: loaded at once, every card sized.
    first = page.locator(".fact-item__image").first
    assert first.get_attribute("loading") is None
    first.evaluate("img => img.decode()")
    assert first.evaluate("img => img.complete && img.naturalWidth > 0")
    assert first.evaluate("img => img.currentSrc").endswith(".webp")
    box = page.locator(".fact-item__image").nth(3).bounding_box()
    assert box is not None and box["width"] > 100 and abs(box["width"] - box["height"]) < 1


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
    page.get_by_label("Myth", exact=True).fill("Ketamine has no medical use.")
    page.get_by_label("Fact", exact=True).fill(
        "When administered in a controlled medical setting, ketamine is both safe and effective."
    )
    page.wait_for_function(
        "() => (document.querySelector('[data-preview-img]')?.src || '').startsWith('blob:')",
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
        expect(card.locator(".share-link--whatsapp")).to_be_hidden()  # in the closed menu
        card.locator("summary", has_text="Share").click()
        expect(card.locator(".share-link--whatsapp")).to_be_visible()
        card.get_by_text("Alt text for this card").click()
        expect(card.locator(".alt-text__body")).to_be_visible()
    finally:
        context.close()


def test_a_proposed_edit_waits_for_an_admin_then_a_withdrawal_answers_410(
    browser: Browser, new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    seed_demo_site(live_server)
    public = new_page()
    public.goto(live_server(f"/facts/{FIRST_SLUG}"))
    old_myth = public.locator(".fact-item__myth").inner_text()
    old_card = public.locator(".fact-item__image").get_attribute("src")
    new_myth = "Ketamine is never given in hospitals."

    # An organizer proposes a change; the live preview follows the typing.
    organizer = new_page(storage_state=signed_in_state(browser, live_server, ORGANIZER_EMAIL))
    organizer.goto(live_server("/manage/content"))
    item = organizer.locator("li.content-item", has_text=old_myth)
    item.get_by_role("link", name="Propose a change").click()
    # Typing before the editor's deferred script has run would fire no preview.
    organizer.wait_for_url(re.compile(r"/manage/content/\d+"))
    organizer.wait_for_load_state("load")
    organizer.get_by_label("Myth", exact=True).fill(new_myth)
    expect(organizer.locator("[data-preview-state]")).to_have_text(
        "Preview updated (not saved yet).", timeout=15_000
    )
    organizer.get_by_role("button", name="Propose this edit").click()
    expect(organizer.locator(".flashes")).to_contain_text("keeps the approved version")

    public.reload()
    expect(public.locator(".fact-item__myth")).to_have_text(old_myth)
    assert public.locator(".fact-item__image").get_attribute("src") == old_card

    # The admin sees both versions, who proposed it and when, and approves.
    admin = new_page(storage_state=signed_in_state(browser, live_server, ADMIN_EMAIL))
    admin.goto(live_server("/manage/content"))
    problems = _axe_both_sizes(admin, "content-list-pending")
    admin.locator("li.content-item", has_text=old_myth).get_by_role(
        "link", name="Review the edit"
    ).click()
    review = admin.locator("#pending")
    expect(review).to_contain_text("Proposed by Sam Organizer on")
    expect(review.locator(".revision__side").first).to_contain_text(old_myth)
    expect(review.locator(".revision__side--pending")).to_contain_text(new_myth)
    for image in review.locator("img").all():  # rendered on demand: may take a while
        admin.wait_for_function(
            "img => img.complete && img.naturalWidth === 1200",
            arg=image.element_handle(),
            timeout=30_000,
        )
    problems += _axe_both_sizes(admin, "content-pending-edit")
    review.get_by_role("button", name="Approve edit and publish").click()
    expect(admin.locator(".flashes")).to_contain_text("now show it")

    public.reload()
    expect(public.locator(".fact-item__myth")).to_have_text(new_myth)
    new_card = public.locator(".fact-item__image").get_attribute("src")
    assert new_card and new_card != old_card

    # Withdrawn: the page says so with the disclaimer (410), and the card is gone.
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.locator("li.content-item", has_text=new_myth).get_by_role(
        "button", name="Withdraw from the site"
    ).click()
    expect(admin.locator(".flashes")).to_contain_text("Withdrawn")
    response = public.goto(live_server(f"/facts/{FIRST_SLUG}"))
    assert response is not None and response.status == 410
    expect(public.get_by_role("heading", level=1)).to_have_text(
        "This myth-and-fact card was withdrawn"
    )
    expect(public.locator(".withdrawn .disclaimer")).to_contain_text("not medical advice")
    problems += _axe_both_sizes(public, "fact-withdrawn")
    gone = public.request.get(live_server(new_card))
    assert gone.status == 410
    assert not problems, "\n".join(problems)
