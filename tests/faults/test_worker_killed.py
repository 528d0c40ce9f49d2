"""A web worker killed with SIGKILL in the middle of a stream of registrations (gunicorn,
4 workers, SQLite): every registration that was answered with success is in the database
afterwards, gunicorn replaces the worker, and the stream goes on."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import requests

from tests.faults.conftest import Registrant, Site, sqlite_database
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

CLIENTS = 8
PER_CLIENT = 30


def workers_of(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def test_no_registration_answered_with_success_is_lost(
    make_site: Callable[..., AbstractContextManager[Site]], tmp_path: Path
) -> None:
    answers: list[tuple[str, int | str]] = []  # (email, status code or exception name)
    lock = threading.Lock()

    def stream(registrant: Registrant, client: int) -> None:
        try:
            for n in range(PER_CLIENT):
                email = f"p{client}-{n}@example.org"
                try:
                    outcome: int | str = registrant.register(email)
                except requests.RequestException as exc:
                    outcome = type(exc).__name__
                with lock:
                    answers.append((email, outcome))
        finally:
            registrant.close()

    with sqlite_database(tmp_path) as url, make_site(url, workers=4) as site:
        master = site.server.process.pid
        # The server answers once one worker is up; the others may still be forking.
        wait_until(lambda: len(workers_of(master)) == 4, 30, "four workers running")
        before = workers_of(master)
        # Every browser has its page before the kill: only registrations are in flight then.
        registrants = [Registrant(site) for _ in range(CLIENTS)]
        with ThreadPoolExecutor(CLIENTS) as pool:
            running = [pool.submit(stream, r, n) for n, r in enumerate(registrants)]
            deadline = time.monotonic() + 60
            while len(answers) < CLIENTS * PER_CLIENT // 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            answered_before_kill = len(answers)
            victim = workers_of(master)[0]
            os.kill(victim, signal.SIGKILL)  # a worker of the gunicorn this test started
            for future in running:
                future.result(timeout=180)
        log = site.server.log_tail()
        stored = site.registered_emails()
        after = workers_of(master)

    assert answered_before_kill > 0
    assert len(answers) == CLIENTS * PER_CLIENT
    successes = {email for email, outcome in answers if outcome == 303}
    lost = successes - stored
    assert not lost, f"answered 303 but not stored: {sorted(lost)[:10]}\n{log}"
    others = [(email, outcome) for email, outcome in answers if outcome != 303]
    # Only what the killed worker was handling may fail, and never with a 5xx page.
    assert len(others) <= 2, f"{others}\n{log}"
    assert not [o for _, o in others if isinstance(o, int) and o >= 500], log
    assert len(successes) >= CLIENTS * PER_CLIENT - 2
    # The stream went on after the kill and gunicorn replaced the worker.
    assert len(answers) - answered_before_kill > CLIENTS
    assert victim not in after and len(after) == 4, (before, after)
