"""Browser-test fixtures: the app on a live port, one headless Chromium, axe-core checks.

The app runs in a thread with werkzeug's server on 127.0.0.1 with CSRF on, against a SQLite
file (or TEST_DATABASE_URL), so pages behave as a visitor sees them. Chromium is Debian's
/usr/bin/chromium, launched once for all browser tests; every test gets fresh contexts.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import select, text
from werkzeug.serving import WSGIRequestHandler, make_server

from campaign import create_app
from campaign.campaigns.demo import seed_demo
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.services import create_organizer
from tests.conftest import PASSWORD

AXE_JS = Path(__file__).resolve().parent.parent / "resources" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# axe impacts that fail a test; "moderate" and "minor" findings are printed only.
BLOCKING_IMPACTS = ("serious", "critical")
# Set BROWSER_SCREENSHOTS=/some/dir to keep a full-page PNG of every page a test checks.
SCREENSHOT_DIR = os.environ.get("BROWSER_SCREENSHOTS", "")

ADMIN_EMAIL = "alex.admin@example.org"
ORGANIZER_EMAIL = "sam.organizer@example.org"


# An init script that counts the Intl.DateTimeFormat objects a page makes: in all
# (window.intlDateFormats) and by the locale asked for (window.intlDateFormatsByLocale).
COUNT_INTL_DATE_FORMATS = """
window.intlDateFormats = 0;
window.intlDateFormatsByLocale = {};
const RealDateTimeFormat = Intl.DateTimeFormat;
Intl.DateTimeFormat = function (locale, options) {
  window.intlDateFormats += 1;
  const key = String(locale);
  window.intlDateFormatsByLocale[key] = (window.intlDateFormatsByLocale[key] || 0) + 1;
  return new RealDateTimeFormat(locale, options);
};
Intl.DateTimeFormat.prototype = RealDateTimeFormat.prototype;
Intl.DateTimeFormat.supportedLocalesOf = RealDateTimeFormat.supportedLocalesOf;
"""


# --- the live server ----------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


@dataclass
class LiveServer:
    """The running app: `url` is its base address, `app` is for seeding in an app context."""

    app: Flask
    url: str
    data: dict[str, Any] = field(default_factory=dict)

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of path on this server."""
        return self.url + path


def _fresh_schema(app: Flask) -> None:
    """Create the tables; on a shared server database (PostgreSQL) drop everything first."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()


def _not_ready(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answers until the real app is in place (nothing requests it before then)."""
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


@contextmanager
def serve_app(instance: Path, config: dict[str, Any] | None = None) -> Iterator[LiveServer]:
    """Run a test-configured app (plus `config`) in a background thread until the block ends."""
    instance.mkdir(parents=True, exist_ok=True)
    # Bind first (port 0: the OS picks a free port), then build the app with its real URL.
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True, request_handler=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        app = create_app(
            {
                "ENV": "testing",
                "TESTING": True,
                "SECRET_KEY": "browser-test-secret-key",
                "DATABASE_URL": os.environ.get("TEST_DATABASE_URL")
                or "sqlite:///" + str(instance / "browser.sqlite3"),
                "INSTANCE_PATH": str(instance),
                "BASE_URL": url,
                "WTF_CSRF_ENABLED": True,
                "RATELIMIT_ENABLED": False,
                "SERVER_NAME": None,
                **(config or {}),
            }
        )
        _fresh_schema(app)
    except BaseException:
        server.server_close()
        raise
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app on a free port with an empty database of its own."""
    with serve_app(tmp_path / "instance") as server:
        yield server


def seed_demo_site(server: LiveServer) -> None:
    """The demo campaign and its events, one admin and one organizer (password PASSWORD)."""
    app = server.app
    with app.app_context():
        config = app.config
        seed_demo(date.today(), config["DEMO_DAY_OFFSET_DAYS"], config["DEFAULT_DISCLAIMER"])
        create_organizer(ADMIN_EMAIL, "Alex Admin", PASSWORD, is_admin=True)
        create_organizer(ORGANIZER_EMAIL, "Sam Organizer", PASSWORD)
        db.session.commit()
        hybrid = db.session.scalar(select(Event).where(Event.format == "hybrid").limit(1))
        assert hybrid is not None, "the demo has a hybrid event"
        server.data.update(event_slug=hybrid.slug, event_id=hybrid.id)
        db.session.remove()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One seeded demo site shared by a module's read-only tests."""
    with serve_app(tmp_path_factory.mktemp("demo-site")) as server:
        seed_demo_site(server)
        yield server


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for all browser tests, closed when they are done."""
    if not Path(CHROMIUM).exists():
        message = "Chromium not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def watched_page(browser: Browser, viewport: str, storage_state: Any, problems: list[str]) -> Page:
    """A page in a new context that adds its script errors and Content-Security-Policy
    violations to problems."""
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], storage_state=storage_state, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: script error {exc}"))
    return page


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Factory: new_page(viewport="desktop"|"phone", storage_state=None) in a new context.

    Each page records script errors and Content-Security-Policy violations; the test
    errors at teardown if there were any, so CSP breakage cannot hide in a passing test.
    """
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make(viewport: str = "desktop", storage_state: Any = None) -> Page:
        page = watched_page(browser, viewport, storage_state, problems)
        contexts.append(page.context)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "browser console problems:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop-sized page in a fresh browser context."""
    return new_page()


def sign_in(page: Page, server: LiveServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait for the dashboard."""
    page.goto(server("/manage/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server("/manage/"))


def signed_in_state(browser: Browser, server: LiveServer, email: str) -> dict[str, Any]:
    """Cookies of a signed-in session, cached on the server so each account signs in once."""
    key = f"state:{email}"
    if key not in server.data:
        context = browser.new_context()
        try:
            sign_in(context.new_page(), server, email)
            server.data[key] = context.storage_state()
        finally:
            context.close()
    return server.data[key]


def screenshot(page: Page, name: str) -> None:
    """Save a full-page PNG as BROWSER_SCREENSHOTS/name.png when that variable is set."""
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


# --- axe-core -----------------------------------------------------------------------------


_axe_source: list[str] = []


def _axe_js() -> str:
    if not _axe_source:
        _axe_source.append(AXE_JS.read_text(encoding="utf-8"))
    return _axe_source[0]


def axe_violations(page: Page, context_name: str) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations, print all.

    The app's CSP (script-src 'self') blocks inline <script> tags, which is what
    page.add_script_tag injects, so axe is evaluated through the DevTools protocol instead:
    that is not subject to the page's CSP, and the page itself keeps its real policy.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_js())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const results = await window.axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }"""
    )
    report, blocking = [], []
    for v in violations:
        lines = [f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})"]
        for node in v["nodes"][:10]:
            lines.append(f"    {json.dumps(node['target'])}: {node['summary']}".rstrip())
        report.extend(lines)
        if v["impact"] in BLOCKING_IMPACTS:
            blocking.append(f"axe on {context_name}: " + "\n".join(lines))
    if report:
        print(f"axe on {context_name}:\n" + "\n".join(report))
    return blocking


def axe_check(page: Page, context_name: str) -> None:
    """Assert that axe-core finds no serious or critical violations on the page."""
    blocking = axe_violations(page, context_name)
    assert not blocking, "\n".join(blocking)
