"""The event finder framed by pages on other origins, in headless Chromium: it shows on
any site by default; with an allow-list, on the listed site only (elsewhere the frame
explains the refusal, or the browser refuses it outright when no Referer is sent)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Frame, Page

from campaign.campaigns.services import current_campaign
from campaign.extensions import db
from tests.browser.conftest import LiveServer, axe_check, seed_demo_site, serve_app

pytestmark = pytest.mark.browser

PARTNER_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}
<title>Partner</title></head><body><h1>Patient group events</h1>
<iframe id="finder" src="{src}" title="Events" width="900" height="700"></iframe>
</body></html>"""


@contextmanager
def partner_site(embed_url: str, *, no_referrer: bool = False) -> Iterator[str]:
    """A page on another origin (its own loopback port) that frames embed_url."""
    meta = '<meta name="referrer" content="no-referrer">' if no_referrer else ""
    body = PARTNER_PAGE.format(meta=meta, src=embed_url).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_app(tmp_path_factory.mktemp("embed-site")) as server:
        seed_demo_site(server)
        yield server


def set_allow_list(site: LiveServer, origins: str) -> None:
    with site.app.app_context():
        campaign = current_campaign()
        assert campaign is not None
        campaign.embed_origins = origins
        db.session.commit()
        db.session.remove()


@pytest.fixture
def open_partner(browser: Browser) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def open_page(url: str) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def finder_frame(page: Page) -> Frame:
    frame = page.frame_locator("#finder")
    frame.locator("h1").wait_for()
    found = next(f for f in page.frames if f.parent_frame is not None)
    return found


def test_any_site_shows_the_finder_and_register_opens_a_new_tab(
    site: LiveServer, open_partner: Callable[[str], Page]
) -> None:
    set_allow_list(site, "")
    with partner_site(site("/embed/events")) as partner:
        page = open_partner(partner)
        frame = finder_frame(page)
        assert frame.locator("h1").inner_text() == "Find an event"
        register = frame.get_by_role("link", name="Register").first
        assert register.get_attribute("target") == "_blank"
        with page.context.expect_page() as opened:
            register.click()
        new_tab = opened.value
        new_tab.wait_for_load_state()
        assert new_tab.url.startswith(site("/events/"))
        assert page.url.startswith(partner)  # the partner's page stays where it was
        axe_check(page, "partner page with the finder")


def test_allow_list_shows_the_finder_on_the_listed_site_only(
    site: LiveServer, open_partner: Callable[[str], Page]
) -> None:
    with (
        partner_site(site("/embed/events")) as listed,
        partner_site(site("/embed/events")) as other,
        partner_site(site("/embed/events"), no_referrer=True) as silent,
    ):
        set_allow_list(site, listed)
        try:
            shown = finder_frame(open_partner(listed))
            assert shown.locator("h1").inner_text() == "Find an event"
            assert shown.get_by_role("link", name="Register").count() > 0

            refused = finder_frame(open_partner(other))
            assert refused.locator("h1").inner_text() == (
                "These events cannot be shown on this site"
            )
            assert other in refused.locator("main").inner_text()
            assert refused.get_by_role("link", name="Register").count() == 0

            # No Referer: the server cannot tell, so the browser enforces frame-ancestors.
            blocked_page = open_partner(silent)
            blocked_page.wait_for_timeout(500)
            child = next(f for f in blocked_page.frames if f.parent_frame is not None)
            assert "Find an event" not in child.content()
            assert not child.url.startswith(site("/embed"))
        finally:
            set_allow_list(site, "")


def test_organizer_preview_frames_the_finder_on_the_campaign_site(
    site: LiveServer,
    browser: Browser,
) -> None:
    from tests.browser.conftest import ADMIN_EMAIL, sign_in

    set_allow_list(site, "https://partner.example.net")
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, site, ADMIN_EMAIL)
        page.goto(site("/manage/embed"))
        preview = page.frame_locator("iframe.embed-preview")
        assert preview.locator("h1").inner_text() == "Find an event"
        snippet = page.locator("#embed-snippet").input_value()
        assert snippet.startswith(f'<iframe src="{site("/embed/events")}"')
    finally:
        context.close()
        set_allow_list(site, "")
