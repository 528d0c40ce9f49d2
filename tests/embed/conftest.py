"""The embed tests' browser: imported here, not in a test module, so that its package scope
is this folder's and it is closed before another folder's browser starts (a second
Playwright in the same thread refuses to start while the first is open)."""

from tests.browser.conftest import browser  # noqa: F401 (fixture)
