"""Registration throughput under gunicorn (SQLite) against a bare Flask insert route.

Both servers run with the same gunicorn settings (4 sync workers) on the same machine
in the same run; the figure is the ratio of the two throughputs. Target: >= 0.5x.

    .venv/bin/python bench/registration.py [--requests 600] [--clients 8]
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

from bench._common import REPO, VENV_BIN, gunicorn, print_table, site_env

TARGET = 0.5


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


def project_throughput(base: str, slug: str, clients: int, total: int) -> float:
    run = next(_RUNS)  # every round registers new people (no duplicate-submission path)

    def make_worker(n: int):  # type: ignore[no-untyped-def]
        session = requests.Session()
        page = session.get(f"{base}/events/{slug}").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        started = re.search(
            r'id="started" name="started" type="hidden" value="([^"]+)"', page
        ).group(1)

        def work(count: int) -> int:
            failures = 0
            for i in range(count):
                response = session.post(
                    f"{base}/events/{slug}/register",
                    data={
                        "csrf_token": csrf,
                        "started": started,
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
    args = parser.parse_args()
    import statistics

    with tempfile.TemporaryDirectory() as tmp:
        env = site_env(tmp, SIGNUP_MIN_SECONDS="0", RATELIMIT_ENABLED="false")
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
            project_throughput(app_url, slug, args.clients, args.clients * 5)  # warm up
            baseline_throughput(base_url, args.clients, args.clients * 5)
            for _ in range(args.rounds):
                cpu0 = base_url.cpu()
                baseline = baseline_throughput(base_url, args.clients, args.requests)
                base_cpu = base_url.cpu() - cpu0
                cpu0 = app_url.cpu()
                project = project_throughput(app_url, slug, args.clients, args.requests)
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
    return [row]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
