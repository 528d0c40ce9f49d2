"""`make load`: locust, headless and bounded, against gunicorn on SQLite and on PostgreSQL.

For each database: a fresh one (a SQLite file in a temporary folder; a scratch PostgreSQL
database created with psycopg in autocommit and dropped afterwards), the schema from
`flask db upgrade`, the demo from `flask seed-demo`, then gunicorn with 4 workers and
`locust --headless -u 50 -r 10 -t 60s` (bench/load/locustfile.py). While locust runs,
the resident memory of the server (master plus workers, from /proc) is sampled every
second.

Pass, per database: no 5xx answer, no failed request, and the server's memory in the
last 10 s within 10% of the first 10 s. Figures printed: requests, failures, 5xx, p50
and p95 (ms), memory. PostgreSQL comes from TEST_DATABASE_URL or TEST_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/test); when it cannot be reached its run
is skipped, which fails only under CI.

    .venv/bin/python bench/load/run.py [--users 50] [--spawn-rate 10] [--seconds 60]
                                       [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench._common import REPO, VENV_BIN
from tests.support.gunicorn import gunicorn

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SECRET_KEY = "load-test-secret-key-" + "x" * 32
MEMORY_TOLERANCE = 0.10
WARM_UP_REQUESTS = 40
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    database: str
    requests: int = 0
    failures: int = 0
    server_errors: int = 0
    p50: float = 0.0
    p95: float = 0.0
    rps: float = 0.0
    memory_first: float = 0.0  # MiB, average over the first 10 s
    memory_last: float = 0.0
    memory_series: list[float] = field(default_factory=list)  # MiB every 10 s
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    skipped: str = ""
    log_problems: list[str] = field(default_factory=list)

    @property
    def memory_change(self) -> float:
        if not self.memory_first:
            return 0.0
        return (self.memory_last - self.memory_first) / self.memory_first

    @property
    def ok(self) -> bool:
        if self.skipped:
            return not os.environ.get("CI")
        return (
            self.requests > 0
            and self.failures == 0
            and self.server_errors == 0
            and abs(self.memory_change) <= MEMORY_TOLERANCE
            and not self.log_problems
        )


# --- databases ---------------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp}/load.sqlite3"


def postgres_server() -> str:
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "TEST_POSTGRES_URL", DEFAULT_POSTGRES
    )


def _psycopg_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def _with_database(url: str, name: str) -> str:
    base, _, _ = _psycopg_url(url).rpartition("/")
    return f"{base}/{name}"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A scratch database on the local server, dropped afterwards."""
    admin = _psycopg_url(postgres_server())
    name = f"campaign_load_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_reachable() -> str:
    """'' when the PostgreSQL server answers, else why not."""
    try:
        with psycopg.connect(_psycopg_url(postgres_server()), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable: {type(exc).__name__}"
    return ""


# --- the site ----------------------------------------------------------------------------------


def app_env(instance: Path, database_url: str) -> dict[str, str]:
    """The server's environment: this machine's minus CAMPAIGN_*, plus the load settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAMPAIGN_") and k not in ("DATABASE_URL", "FLASK_APP")
    }
    env.update(
        {
            "CAMPAIGN_ENV": "development",
            "CAMPAIGN_SECRET_KEY": SECRET_KEY,
            "CAMPAIGN_DATABASE_URL": database_url,
            "CAMPAIGN_INSTANCE_PATH": str(instance),
            "CAMPAIGN_MAIL_BACKEND": "file",
            "CAMPAIGN_MAIL_FILE_DIR": str(instance / "mail"),
            # Every visitor comes from 127.0.0.1 and submits at machine speed.
            "CAMPAIGN_SIGNUP_MIN_SECONDS": "0",
            "CAMPAIGN_RATELIMIT_ENABLED": "false",
        }
    )
    return env


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "campaign", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def process_tree_rss(pid: int) -> int:
    """Resident memory in bytes of pid and its children (the gunicorn master and workers)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    with contextlib.suppress(OSError):
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


class MemorySampler(threading.Thread):
    """Samples the server's RSS once a second until stopped: (seconds since start, MiB)."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self._stop_event.is_set():
            self.samples.append((time.monotonic() - started, process_tree_rss(self.pid) / 2**20))
            self._stop_event.wait(1.0)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)

    def window(self, first: bool, seconds: float = 10.0) -> float:
        if not self.samples:
            return 0.0
        end = self.samples[-1][0]
        chosen = [
            mib for at, mib in self.samples if (at < seconds if first else at > end - seconds)
        ]
        return statistics.fmean(chosen) if chosen else 0.0


def warm_up(base: str) -> None:
    """A few requests of each kind first, so workers have imported and loaded what they use
    (card rendering, fonts) before memory is measured."""
    import re

    import requests

    with requests.Session() as session:
        listing = session.get(f"{base}/events", timeout=60).text
        slugs = sorted(set(re.findall(r'href="/events/([a-z0-9][a-z0-9-]*)"', listing)))
        for n in range(WARM_UP_REQUESTS):
            slug = slugs[n % len(slugs)]
            page = session.get(f"{base}/events/{slug}", timeout=60).text
            image = re.search(r'<meta property="og:image" content="[^"]*?(/cards/[^"]+)"', page)
            if image:
                session.get(base + image.group(1), timeout=120)
            session.get(f"{base}/calendar.ics", timeout=60)


def run_locust(base: str, args: argparse.Namespace, out: Path) -> dict:
    """Run locust headless against base; its report (totals, percentiles, statuses)."""
    report_file = out / "locust.json"
    env = {**os.environ, "LOAD_REPORT_FILE": str(report_file), "PYTHONPATH": str(REPO)}
    subprocess.run(
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            f"{args.seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            base,
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=REPO,
        env=env,
        check=False,  # locust exits 1 when any request failed: judged from the figures
        timeout=args.seconds + 120,
    )
    if not report_file.exists():
        raise RuntimeError("locust wrote no report")
    return json.loads(report_file.read_text())


def run_one(database: str, args: argparse.Namespace) -> Result:
    result = Result(database)
    if database == "postgresql":
        result.skipped = postgres_reachable()
        if result.skipped:
            return result
    with tempfile.TemporaryDirectory(prefix=f"load-{database}-") as tmp_name:
        tmp = Path(tmp_name)
        databases = sqlite_database(tmp) if database == "sqlite" else postgres_database()
        with databases as url:
            instance = tmp / "instance"
            instance.mkdir()
            env = app_env(instance, url)
            flask(env, "db", "upgrade")
            flask(env, "seed-demo")
            log = tmp / "gunicorn.log"
            with gunicorn(env, log, workers=4) as server:
                warm_up(server.url)
                sampler = MemorySampler(server.process.pid)
                sampler.start()
                try:
                    figures = run_locust(server.url, args, tmp)
                finally:
                    sampler.stop()
            text = log.read_text(errors="replace")
    result.requests = int(figures["requests"])
    result.failures = int(figures["failures"])
    result.p50 = float(figures["p50"] or 0)
    result.p95 = float(figures["p95"] or 0)
    result.rps = float(figures["rps"] or 0)
    result.statuses = figures["statuses"]
    result.errors = figures["errors"]
    result.server_errors = sum(n for code, n in result.statuses.items() if code.startswith("5"))
    result.memory_first = sampler.window(first=True)
    result.memory_last = sampler.window(first=False)
    result.memory_series = [mib for n, (_, mib) in enumerate(sampler.samples) if n % 10 == 0]
    for needle in ("Traceback", "database is locked", "WORKER TIMEOUT"):
        if needle in text:
            result.log_problems.append(needle)
    return result


def report(results: list[Result]) -> None:
    print()
    print(
        f"{'database':<11} {'requests':>8} {'req/s':>6} {'failures':>8} {'5xx':>5} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'RSS first 10s':>14} {'RSS last 10s':>13} "
        f"{'change':>7}  result"
    )
    for r in results:
        if r.skipped:
            print(f"{r.database:<11} skipped: {r.skipped}  {'FAIL (CI)' if not r.ok else ''}")
            continue
        print(
            f"{r.database:<11} {r.requests:>8} {r.rps:>6.1f} {r.failures:>8} "
            f"{r.server_errors:>5} {r.p50:>7.0f} {r.p95:>7.0f} {r.memory_first:>10.1f} MiB "
            f"{r.memory_last:>9.1f} MiB {r.memory_change:>+7.1%}  {'PASS' if r.ok else 'FAIL'}"
        )
        print(f"{'':<11} statuses {dict(sorted(r.statuses.items()))}")
        print(f"{'':<11} RSS every 10 s (MiB): {' '.join(f'{m:.0f}' for m in r.memory_series)}")
        for error, count in r.errors.items():
            print(f"{'':<11} {count} x {error[:150]}")
        if r.log_problems:
            print(f"{'':<11} server log mentions: {', '.join(r.log_problems)}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    databases = [args.only] if args.only else ["sqlite", "postgresql"]
    results = []
    for database in databases:
        print(f"-- {database}: {args.users} users for {args.seconds} s", flush=True)
        results.append(run_one(database, args))
    report(results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
