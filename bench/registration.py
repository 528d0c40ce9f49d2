"""Registration throughput under gunicorn (SQLite) against a bare Flask insert route.

Both servers run with the same gunicorn settings (4 sync workers) on the same machine
in the same run; the figure is the ratio of the two throughputs. Target: >= 0.5x.

The app runs with every protection of a real sign-up on: each POST carries its own
one-time form token (signed, made 10 s earlier, so the minimum fill time passes and the
one-time id is checked and stored) and counts against every sign-up limit. The limits
keep their default shape but their ceilings are raised above this benchmark's volume,
since all its clients share one address.

    .venv/bin/python bench/registration.py [--requests 600] [--clients 8]
        [--settings embedded,production]
"""

from __future__ import annotations

import argparse
import itertools
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    REPO,
    VENV_BIN,
    gunicorn,
    print_table,
    production_env,
    production_missing,
    scratch_postgres,
    site_env,
    worker_memory,
    worker_rss,
)
from campaign.signups.guard import form_token

TARGET = 0.5
# The default limits' shape (two windows per address, per event and per email, one over
# all events), with ceilings no benchmark run reaches.
LIMITS = {
    "SIGNUP_RATE_LIMIT": "1000000 per minute; 1000000 per hour",
    "SIGNUP_EVENT_RATE_LIMIT": "1000000 per minute; 1000000 per hour",
    "SIGNUP_MAIL_RATE_LIMIT": "1000000 per hour",
    "SIGNUP_EMAIL_RATE_LIMIT": "1000000 per hour; 1000000 per day",
}


def _seed(env: dict[str, str]) -> str:
    """Migrate a fresh database and add one published event with no seat limit."""
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "campaign", "db", "upgrade"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    script = """
from datetime import timedelta
from campaign import create_app
from campaign.extensions import db
from campaign.campaigns.demo import seed_demo
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
app = create_app()
with app.app_context():
    seed_demo(utcnow().date(), 30, "Educational content, not medical advice.")
    event = db.session.scalars(db.select(Event).where(Event.status == "published")).first()
    event.capacity = None
    db.session.commit()
    print(event.slug)
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _run_clients(clients: int, total: int, make_worker) -> float:  # type: ignore[no-untyped-def]
    per_client = total // clients
    workers = [make_worker(i) for i in range(clients)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda w: w(per_client), workers))
    elapsed = time.perf_counter() - start
    bad = sum(results)
    if bad:
        raise RuntimeError(f"{bad} requests failed")
    return per_client * clients / elapsed


_RUNS = itertools.count()


def _count_registrations(path: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM registrations").fetchone()[0])


def project_throughput(base: str, slug: str, clients: int, total: int, secret_key: str) -> float:
    run = next(_RUNS)  # every round registers new people (no duplicate-submission path)

    def make_worker(n: int):  # type: ignore[no-untyped-def]
        session = requests.Session()
        page = session.get(f"{base}/events/{slug}").text
        assert re.search(r'id="started" name="started" type="hidden" value="[^"]+"', page)
        # One-time form tokens, as the page gives each visitor, made before the clock
        # starts (_run_clients makes every worker first): the server's work is measured.
        made = time.time() - 10
        tokens = [form_token(secret_key, slug, now=made) for _ in range(total // clients)]

        def work(count: int) -> int:
            failures = 0
            for i in range(count):
                response = session.post(
                    f"{base}/events/{slug}/register",
                    data={
                        "started": tokens[i],
                        "ref": "",
                        "website": "",
                        "name": f"Bench Person {run}-{n}-{i}",
                        "email": f"bench{run}-{n}-{i}@example.org",
                    },
                    allow_redirects=False,
                )
                failures += response.status_code != 303
            return failures

        return work

    return _run_clients(clients, total, make_worker)


def baseline_throughput(base: str, clients: int, total: int) -> float:
    def make_worker(n: int):  # type: ignore[no-untyped-def]
        session = requests.Session()

        def work(count: int) -> int:
            failures = 0
            for i in range(count):
                response = session.post(
                    f"{base}/insert",
                    data={"name": f"Bench Person {n}-{i}", "email": f"bench{n}-{i}@example.org"},
                    allow_redirects=False,
                )
                failures += response.status_code != 303
            return failures

        return work

    return _run_clients(clients, total, make_worker)


def main() -> list[tuple[str, str, str, str, bool]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400, help="per round and server")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settings", default="embedded,production")
    args = parser.parse_args()
    import statistics

    if "embedded" not in args.settings.split(","):
        return production_rows(args) if "production" in args.settings else []

    with tempfile.TemporaryDirectory() as tmp:
        env = site_env(tmp, **LIMITS)  # the default minimum fill time, limits on
        slug = _seed(env)
        seeded = _count_registrations(f"{tmp}/campaign.sqlite3")
        base_env = {**env, "BASELINE_DATABASE_URL": f"sqlite:///{tmp}/baseline.sqlite3"}
        ratios, projects, baselines, cpu_ratios = [], [], [], []
        # Both servers run side by side and are measured in alternating rounds, so a
        # burst of load from elsewhere on the machine hits both alike.
        with (
            gunicorn("campaign:create_app()", env) as app_url,
            gunicorn("bench.baseline_app:create_app()", base_env) as base_url,
        ):
            posted = args.clients * 5 + args.rounds * (args.requests // args.clients) * args.clients
            secret_key = env["CAMPAIGN_SECRET_KEY"]
            project_throughput(app_url, slug, args.clients, args.clients * 5, secret_key)  # warm
            baseline_throughput(base_url, args.clients, args.clients * 5)
            for _ in range(args.rounds):
                cpu0 = base_url.cpu()
                baseline = baseline_throughput(base_url, args.clients, args.requests)
                base_cpu = base_url.cpu() - cpu0
                cpu0 = app_url.cpu()
                project = project_throughput(app_url, slug, args.clients, args.requests, secret_key)
                app_cpu = app_url.cpu() - cpu0
                cpu_ratios.append(base_cpu / app_cpu if app_cpu else 0.0)
                ratios.append(project / baseline)
                projects.append(project)
                baselines.append(baseline)
        # Every answered POST created a registration (none was taken for a bot or a repeat).
        stored = _count_registrations(f"{tmp}/campaign.sqlite3") - seeded
        if stored != posted:
            raise RuntimeError(f"{posted} registrations posted, {stored} stored")
    ratio = statistics.median(ratios)
    row = (
        "registration POST throughput vs bare Flask insert (SQLite)",
        f"{ratio:.2f}x",
        f">={TARGET}x",
        f"(median of {args.rounds} rounds; {statistics.median(projects):.0f}/s vs "
        f"{statistics.median(baselines):.0f}/s; server CPU per request ratio "
        f"{statistics.median(cpu_ratios):.2f}x)",
        ratio >= TARGET,
    )
    return [row, *production_rows(args)]


# --- the production set-up ------------------------------------------------------------------

PRODUCTION_TARGET = 0.6
PRODUCTION_CLIENTS = 16
MEMORY_TARGET = 1.5


def _count_postgres(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM registrations").fetchone()
        return int(row[0]) if row else 0


def full_visit_throughput(base: str, slug: str, clients: int, total: int) -> float:
    """Whole visits a second: GET the event page, POST its form, GET the confirmation."""
    run = next(_RUNS)

    def make_worker(n: int):  # type: ignore[no-untyped-def]
        def work(count: int) -> int:
            failures = 0
            for i in range(count):
                with requests.Session() as browser:  # a new visitor each time
                    page = browser.get(f"{base}/events/{slug}").text
                    token = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
                    response = browser.post(
                        f"{base}/events/{slug}/register",
                        data={
                            "started": token.group(1) if token else "",
                            "ref": "",
                            "website": "",
                            "name": f"Visitor {run}-{n}-{i}",
                            "email": f"visit{run}-{n}-{i}@example.org",
                        },
                    )
                    failures += response.status_code != 200 or "registered" not in response.url
            return failures

        return work

    return _run_clients(clients, total, make_worker)


def baseline_visit_throughput(base: str, clients: int, total: int) -> float:
    """The bare app's visit: GET a page of the same size, POST the insert, GET /done."""
    run = next(_RUNS)

    def make_worker(n: int):  # type: ignore[no-untyped-def]
        def work(count: int) -> int:
            failures = 0
            for i in range(count):
                with requests.Session() as browser:
                    browser.get(f"{base}/page/form").raise_for_status()
                    response = browser.post(
                        f"{base}/insert",
                        data={"name": f"Visitor {run}-{n}-{i}", "email": f"v{run}-{n}-{i}@x.org"},
                    )
                    failures += response.status_code != 200
            return failures

        return work

    return _run_clients(clients, total, make_worker)


def production_rows(args: argparse.Namespace) -> list[tuple[str, str, str, str, bool]]:
    """Registration on PostgreSQL and Redis in production mode against a bare Flask insert
    into the same PostgreSQL server; skipped, saying why, without them."""
    why = production_missing()
    if why:
        return [("registration, production set-up: skipped", "-", "-", why, True)]
    import statistics

    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_postgres("signup") as database_url,
        scratch_postgres("insert") as baseline_url,
    ):
        # Whole visits post at once: no minimum fill time (the POST-alone rounds use
        # tokens made 10 s earlier, so for them it changes nothing).
        env = production_env(tmp, database_url, SIGNUP_MIN_SECONDS="0", **LIMITS)
        slug = _seed(env)
        seeded = _count_postgres(database_url)
        base_env = {**env, "BASELINE_DATABASE_URL": baseline_url}
        clients, secret_key = PRODUCTION_CLIENTS, env["CAMPAIGN_SECRET_KEY"]
        posts, visits, post_cpu = [], [], []
        with (
            gunicorn("campaign:create_app()", env) as app_url,
            gunicorn("bench.baseline_app:create_app()", base_env) as base_url,
        ):
            project_throughput(app_url, slug, clients, clients * 5, secret_key)  # warm up
            baseline_throughput(base_url, clients, clients * 5)
            posted = clients * 5
            per_round = (args.requests // clients) * clients
            for _ in range(args.rounds):
                cpu0 = base_url.cpu()
                baseline = baseline_throughput(base_url, clients, args.requests)
                base_cpu = base_url.cpu() - cpu0
                cpu0 = app_url.cpu()
                project = project_throughput(app_url, slug, clients, args.requests, secret_key)
                app_cpu = app_url.cpu() - cpu0
                posts.append((project / baseline, project, baseline))
                post_cpu.append(base_cpu / app_cpu if app_cpu else 0.0)
                base_visit = baseline_visit_throughput(base_url, clients, args.requests // 4)
                visit = full_visit_throughput(app_url, slug, clients, args.requests // 4)
                visits.append((visit / base_visit, visit, base_visit))
                posted += per_round + ((args.requests // 4) // clients) * clients
            app_memory, base_memory = worker_memory(app_url.pid), worker_memory(base_url.pid)
            app_rss, base_rss = worker_rss(app_url.pid), worker_rss(base_url.pid)
        stored = _count_postgres(database_url) - seeded
        if stored != posted:
            raise RuntimeError(f"{posted} registrations posted, {stored} stored")

    def median(figures: list[tuple[float, float, float]], index: int) -> float:
        return statistics.median(f[index] for f in figures)

    post_ratio = median(posts, 0)
    return [
        (
            "registration POST, production set-up, vs bare insert on PostgreSQL",
            f"{post_ratio:.2f}x",
            f">={PRODUCTION_TARGET}x",
            f"(median of {args.rounds} rounds, {clients} clients; {median(posts, 1):.0f}/s vs "
            f"{median(posts, 2):.0f}/s; server CPU per request ratio "
            f"{statistics.median(post_cpu):.2f}x)",
            post_ratio >= PRODUCTION_TARGET,
        ),
        (
            "registration full visit (GET page, POST, GET confirmation), production set-up",
            f"{median(visits, 0):.2f}x",
            "-",
            f"(vs bare GET, insert, GET; {median(visits, 1):.0f} vs "
            f"{median(visits, 2):.0f} visits/s)",
            True,
        ),
        (
            "worker memory after the run vs bare Flask-SQLAlchemy worker, production set-up",
            f"{app_memory / base_memory:.2f}x",
            f"<={MEMORY_TARGET}x",
            f"(PSS per worker, master's share included, {app_memory:.0f} MiB vs "
            f"{base_memory:.0f} MiB; RSS {app_rss:.0f} vs {base_rss:.0f}; the bare worker also "
            "talks to PostgreSQL through SQLAlchemy and psycopg)",
            app_memory / base_memory <= MEMORY_TARGET,
        ),
    ]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
