"""SQLite under 20 concurrent writers (gunicorn, 4 workers): 15 browsers registering
people and 5 organizers editing the same event at the same time. No 5xx answer, every
write succeeds, and the server never logs "database is locked"."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.faults.conftest import Organizer, Registrant, Site, sqlite_database

pytestmark = pytest.mark.slow

REGISTRANTS = 15
ORGANIZERS = 5
REGISTRATIONS_EACH = 12
EDITS_EACH = 6


def test_twenty_concurrent_writers_get_no_database_is_locked(
    make_site: Callable[..., AbstractContextManager[Site]], tmp_path: Path
) -> None:
    outcomes: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(REGISTRANTS + ORGANIZERS, timeout=120)

    def registrant(n: int) -> None:
        try:
            browser = Registrant(site)
        except BaseException:
            start.abort()  # the others stop waiting: this failure is the one to report
            raise
        try:
            start.wait()
            for i in range(REGISTRATIONS_EACH):
                status = browser.register(f"writer{n}-{i}@example.org")
                with lock:
                    outcomes["register", status] += 1
        finally:
            browser.close()

    def organizer(n: int) -> None:
        try:
            browser = Organizer(site)
        except BaseException:
            start.abort()
            raise
        try:
            start.wait()
            for i in range(EDITS_EACH):
                status = browser.edit_description(f"Edited by browser {n}, edit {i}.")
                with lock:
                    outcomes["edit", status] += 1
        finally:
            browser.close()

    with sqlite_database(tmp_path) as url, make_site(url, workers=4) as site:
        with ThreadPoolExecutor(REGISTRANTS + ORGANIZERS) as pool:
            jobs = [pool.submit(registrant, n) for n in range(REGISTRANTS)]
            jobs += [pool.submit(organizer, n) for n in range(ORGANIZERS)]
            errors = [job.exception(timeout=300) for job in jobs]
        causes = [e for e in errors if e and not isinstance(e, threading.BrokenBarrierError)]
        if causes:
            raise causes[0]
        assert not any(errors), errors
        log = site.server.log.read_text(errors="replace")
        stored = site.registered_emails()

    assert not [key for key in outcomes if key[1] >= 500], f"{outcomes}\n{log[-6000:]}"
    assert "database is locked" not in log.lower(), log[-6000:]
    assert "Traceback" not in log, log[-6000:]
    assert outcomes == Counter(
        {
            ("register", 303): REGISTRANTS * REGISTRATIONS_EACH,
            ("edit", 302): ORGANIZERS * EDITS_EACH,
        }
    ), outcomes
    assert len(stored) == REGISTRANTS * REGISTRATIONS_EACH
