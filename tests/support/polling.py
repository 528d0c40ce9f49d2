"""Waiting in tests: poll a condition against a deadline instead of sleeping a fixed time.

A fixed sleep is either too short on a loaded machine (the test fails at random) or too
long everywhere (the suite crawls). `wait_until` returns as soon as what is awaited has
happened and fails, saying what never happened, at its deadline. `holds_for` is for the
few checks that something does not happen: it watches for the whole window and fails as
soon as the condition breaks. Prefer waiting for a sign that makes the absence certain
(every row sent and none claimed, so nothing more can be sent) over watching a window.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

FIRST_INTERVAL = 0.01  # seconds between the first two looks
MAX_INTERVAL = 0.25  # a long wait looks less often: the condition may be costly, and the
# thing awaited (an SMTP server thread of this process, say) needs the CPU more


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Return once condition() is true; fail after timeout seconds, naming `what`."""
    deadline = time.monotonic() + timeout
    interval = FIRST_INTERVAL
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, MAX_INTERVAL)


def holds_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Fail as soon as condition() is false within the next `seconds`, naming `what`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not condition():
            pytest.fail(f"{what} stopped holding within {seconds:g}s")
        time.sleep(FIRST_INTERVAL)
    if not condition():
        pytest.fail(f"{what} stopped holding within {seconds:g}s")
