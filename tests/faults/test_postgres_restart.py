"""PostgreSQL stopped and started again under the app (gunicorn, 2 workers): requests in the
gap get the friendly 503 page (the disclaimer, no traceback), and service is back within
seconds of the server's return, on every worker (a pooled connection the server closed is
replaced on checkout: campaign.core.database.check_on_checkout).

The test stops the local cluster with pg_ctlcluster. It runs only when the caller says the
server is the test's to restart (CAMPAIGN_TEST_RESTART_POSTGRES=1, which .ci/run sets):
a developer's own database server is never stopped by a plain `make test`. It also needs
root or the postgres user on the machine that hosts the database. The outage is kept to a
few seconds and the server is always started again, whatever happens.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.conftest import require_postgres
from tests.faults.conftest import Site, postgres_database

# Stops the server every PostgreSQL test uses: under pytest-xdist it runs alone (conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.restarts_postgres]

GAP_SECONDS = 2.5  # how long requests are sent while the server is down
RECOVERY_SECONDS = 5.0


def local_cluster(url: str) -> tuple[str, str] | str:
    """(version, cluster) of the local cluster serving url, or why it cannot be controlled."""
    parsed = make_url(url)
    if parsed.host not in (None, "", "127.0.0.1", "localhost", "::1"):
        return f"PostgreSQL at {parsed.host} is not on this machine"
    if not shutil.which("pg_ctlcluster") or not shutil.which("pg_lsclusters"):
        return "pg_ctlcluster is not installed"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != "postgres":
        return "stopping PostgreSQL needs root or the postgres user"
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == str(parsed.port or 5432) and parts[3] == "online":
            return parts[0], parts[1]
    return f"no online cluster on port {parsed.port or 5432}"


def pg_ctlcluster(cluster: tuple[str, str], action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
        capture_output=True,
        timeout=60,
        check=True,
    )


@contextmanager
def stopped(cluster: tuple[str, str]) -> Iterator[Callable[[], float]]:
    """Stop the cluster; yields start(), which starts it and returns when. Always restarted."""
    started_at: list[float] = []

    def start() -> float:
        if not started_at:
            pg_ctlcluster(cluster, "start")
            started_at.append(time.monotonic())
        return started_at[0]

    pg_ctlcluster(cluster, "stop")
    try:
        yield start
    finally:
        if not started_at:
            try:
                start()
            except subprocess.CalledProcessError:
                time.sleep(1)
                pg_ctlcluster(cluster, "start")


def is_friendly_503(response: requests.Response) -> bool:
    body = response.text
    return (
        response.status_code == 503
        and response.headers.get("Content-Type", "").startswith("text/html")
        and "Temporarily unavailable" in body
        and "not medical advice" in body
        and "Traceback" not in body
        and "OperationalError" not in body
        and "psycopg" not in body
    )


def test_postgres_restart_gives_503_then_recovers(
    make_site: Callable[..., AbstractContextManager[Site]],
) -> None:
    if os.environ.get("CAMPAIGN_TEST_RESTART_POSTGRES") != "1":
        pytest.skip(
            "restarts the PostgreSQL server: set CAMPAIGN_TEST_RESTART_POSTGRES=1 when the "
            "server is this test's to restart (CI does)"
        )
    url = require_postgres()
    cluster = local_cluster(url)
    if isinstance(cluster, str):
        if os.environ.get("CI"):
            pytest.fail(f"cannot restart PostgreSQL: {cluster}")
        pytest.skip(f"cannot restart PostgreSQL here: {cluster}")

    with postgres_database() as database_url, make_site(database_url, workers=2) as site:
        pages = [f"{site.url}/events/{site.slug}", f"{site.url}/events"]
        browser = requests.Session()
        for page in pages * 4:  # every worker has pooled connections before the outage
            assert browser.get(page, timeout=30).status_code == 200

        gap: list[requests.Response] = []
        with stopped(cluster) as start:
            until = time.monotonic() + GAP_SECONDS
            while time.monotonic() < until and len(gap) < 200:
                gap.append(browser.get(pages[len(gap) % 2], timeout=30))
            back_at = start()
            recovered_at = None
            while time.monotonic() < back_at + 30:
                if browser.get(pages[0], timeout=30).status_code == 200:
                    recovered_at = time.monotonic()
                    break
                time.sleep(0.1)
        after = [browser.get(page, timeout=30) for page in pages * 10]
        log = site.server.log_tail()

    assert gap, "no request was sent while PostgreSQL was down"
    unfriendly = [(r.url, r.status_code, r.text[:300]) for r in gap if not is_friendly_503(r)]
    assert not unfriendly, f"{unfriendly[:3]}\n{log}"
    assert all(r.headers.get("Retry-After") for r in gap)
    assert recovered_at is not None, f"no 200 within 30 s of the restart\n{log}"
    assert recovered_at - back_at <= RECOVERY_SECONDS, recovered_at - back_at
    assert [r.status_code for r in after] == [200] * len(after), log
