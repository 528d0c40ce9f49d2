"""Public pages under gunicorn against a bare Flask render of the same bytes, in two settings.

The settings: the embedded default (SQLite, development, as `make run`) and the production
set-up (PostgreSQL and Redis, CAMPAIGN_ENV=production; skipped, saying why, when either is
absent; BENCH_POSTGRES_URL and BENCH_REDIS_URL say where they are). In each, the demo
campaign is seeded with the real commands and served by gunicorn with 4 sync workers;
beside it, the same gunicorn settings serve bench/pages_baseline_app.py, a bare Flask route
rendering a Jinja template padded to the byte size of the page it stands in for.

wrk (2 threads, 32 connections) loads the event page and the /events listing as two kinds
of visitor: first-time visitors (no cookies: everyone arriving from a shared link) and
returning visitors (sending back every cookie the page set). Baseline and app are measured
in alternating rounds; each row is the median ratio of throughputs, with p50/p99 latency
and server CPU per request (user + system time of the gunicorn processes over requests
answered). Further rows: the event page asked for with `Accept-Encoding: gzip, br`, as
browsers do (compressed answers against uncompressed ones from the same app), the workers'
memory after the run, and the cold start.

The cold start is gunicorn started (4 workers) to the first 200 of the event page, against
a bare Flask-SQLAlchemy app (bench/baseline_app.py) started to the first 200 of a page of
the same size that it reads from the same database: the event page is a page of a
database-backed app, so its bare counterpart also imports SQLAlchemy and the driver,
connects and queries before it can answer. The row also prints the CPU time both had used
by their first 200 (steadier than wall time on a busy machine) and, for information, the
cold start of the database-less render baseline. Before it, the Python files of the app
and the baselines are compiled to bytecode, as the README's production steps leave them
(`flask db upgrade` imports the app before gunicorn starts): a start that compiled every
module from source (PYTHONDONTWRITEBYTECODE set in the bench's environment) is not the
cold start of a deployment.

    .venv/bin/python bench/pages.py [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    REPO,
    VENV_BIN,
    Server,
    Skip,
    WrkResult,
    free_port,
    gunicorn,
    print_table,
    process_tree_cpu,
    production_env,
    production_missing,
    scratch_postgres,
    site_env,
    worker_memory,
    worker_rss,
    wrk,
    wrk_missing,
)
from bench.registration import _seed

SIZE_TOLERANCE = 0.05
BROWSER_ENCODING = {"Accept-Encoding": "gzip, deflate, br"}
# The targets (ratios in one run): (setting, page, visitor) -> minimum ratio.
THROUGHPUT_TARGETS = {
    ("production", "event", "first"): 0.6,
    ("production", "events", "first"): 0.6,
    ("embedded", "event", "first"): 0.8,
    ("embedded", "event", "returning"): 0.8,
}
CPU_TARGETS = {("production", "event", "first"): 0.5}
COLD_START_TARGET = 2.0
SETTING_LABELS = {"embedded": "embedded default", "production": "production set-up"}
PAGE_LABELS = {"event": "event page", "events": "/events"}
VISITOR_LABELS = {"first": "first visit", "returning": "returning visitor"}

Row = tuple[str, str, str, str, bool]


@dataclass
class Side:
    """What the rounds measured of one server."""

    results: list[WrkResult]
    cpu: list[float]  # seconds per request

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.results)

    def summary(self) -> str:
        p50 = statistics.median(r.p50 for r in self.results) * 1000
        p99 = statistics.median(r.p99 for r in self.results) * 1000
        cpu = statistics.median(self.cpu) * 1000
        return f"{self.rate:.0f}/s p50 {p50:.1f} ms p99 {p99:.1f} ms CPU {cpu:.2f} ms"


def measure(server: Server, url: str, seconds: float, headers: dict[str, str]) -> Side:
    """One wrk run against server, with the server's CPU time per request answered."""
    cpu = server.cpu()
    result = wrk(url, seconds, headers)
    used = server.cpu() - cpu
    if result.bad:
        raise RuntimeError(f"{result.bad} of {result.requests} GET {url} failed")
    return Side([result], [used / max(1, result.requests)])


def compare(
    app: Server,
    app_url: str,
    base: Server,
    base_url: str,
    rounds: int,
    seconds: float,
    app_headers: dict[str, str],
    base_headers: dict[str, str],
) -> tuple[list[float], list[float], Side, Side]:
    """Alternating rounds of baseline and app: throughput ratios, CPU ratios, both sides."""
    wrk(base_url, 1, base_headers)  # warm up both
    wrk(app_url, 1, app_headers)
    app_side, base_side = Side([], []), Side([], [])
    ratios, cpu_ratios = [], []
    for _ in range(rounds):
        b = measure(base, base_url, seconds, base_headers)
        a = measure(app, app_url, seconds, app_headers)
        ratios.append(a.results[0].rate / b.results[0].rate)
        cpu_ratios.append(b.cpu[0] / a.cpu[0] if a.cpu[0] else 0.0)
        for side, one in ((app_side, a), (base_side, b)):
            side.results += one.results
            side.cpu += one.cpu
    return ratios, cpu_ratios, app_side, base_side


def returning_headers(url: str) -> dict[str, str]:
    """The Cookie header a browser sends on its second visit to url (empty: none set)."""
    with requests.Session() as browser:
        browser.get(url, timeout=60).raise_for_status()
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    return {"Cookie": cookie} if cookie else {}


def _row(figure: str, ratio: float, target: float | None, info: str, higher: bool = True) -> Row:
    if target is None:
        return (figure, f"{ratio:.2f}x", "-", info, True)
    ok = ratio >= target if higher else ratio <= target
    return (figure, f"{ratio:.2f}x", f"{'>=' if higher else '<='}{target}x", info, ok)


@contextlib.contextmanager
def setting(name: str, tmp: str) -> Iterator[dict[str, str]]:
    """The environment of the app in one setting, on a fresh seeded database."""
    if name == "embedded":
        yield site_env(tmp)
        return
    with scratch_postgres("pages") as database_url:
        yield production_env(tmp, database_url)


@contextlib.contextmanager
def baseline_database(name: str, tmp: str) -> Iterator[str]:
    """The database of the bare Flask-SQLAlchemy baseline in one setting: a SQLite file
    beside the app's, or a scratch database on the same PostgreSQL server."""
    if name == "embedded":
        yield f"sqlite:///{tmp}/baseline.sqlite3"
        return
    with scratch_postgres("pages_base") as database_url:
        yield database_url


def measure_setting(name: str, args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    label = SETTING_LABELS[name]
    with tempfile.TemporaryDirectory() as tmp, setting(name, tmp) as env:
        slug = _seed(env)
        pages = {"event": f"/events/{slug}", "events": "/events"}
        with gunicorn("campaign:create_app()", env) as app:
            sizes = {}
            for page, path in pages.items():
                response = requests.get(app + path, timeout=60)
                response.raise_for_status()
                sizes[page] = len(response.content)
            base_env = {
                **env,
                "BASELINE_PAGE_BYTES": ",".join(f"{n}={s}" for n, s in sizes.items()),
            }
            with gunicorn("bench.pages_baseline_app:create_app()", base_env) as base:
                for page, path in pages.items():
                    base_path = f"/page/{page}"
                    size = len(requests.get(base + base_path, timeout=60).content)
                    if abs(size - sizes[page]) > sizes[page] * SIZE_TOLERANCE:
                        raise RuntimeError(f"baseline {page}: {size} bytes, page {sizes[page]}")
                    for visitor in ("first", "returning"):
                        app_headers = {} if visitor == "first" else returning_headers(app + path)
                        ratios, cpu_ratios, a, b = compare(
                            app,
                            app + path,
                            base,
                            base + base_path,
                            args.rounds,
                            args.seconds,
                            app_headers,
                            {},
                        )
                        key = (name, page, visitor)
                        cookies = "no cookie set" if not app_headers else "cookies sent back"
                        info = f"app {a.summary()} | bare {b.summary()} | {sizes[page]} bytes" + (
                            "" if visitor == "first" else f", {cookies}"
                        )
                        rows.append(
                            _row(
                                f"{PAGE_LABELS[page]}, {label}, {VISITOR_LABELS[visitor]}",
                                statistics.median(ratios),
                                THROUGHPUT_TARGETS.get(key),
                                info,
                            )
                        )
                        rows.append(
                            _row(
                                "  same, server CPU per request (bare/app)",
                                statistics.median(cpu_ratios),
                                CPU_TARGETS.get(key),
                                "",
                            )
                        )
                rows.append(compression_row(app, pages["event"], label, args))
                app_memory, base_memory = worker_memory(app.pid), worker_memory(base.pid)
                app_rss, base_rss = worker_rss(app.pid), worker_rss(base.pid)
                rows.append(
                    _row(
                        f"worker memory after the run vs bare Flask render worker, {label}",
                        app_memory / base_memory,
                        None,  # the target: against a bare database worker (registration.py)
                        f"(PSS per worker {app_memory:.0f} MiB vs {base_memory:.0f} MiB; "
                        f"RSS {app_rss:.0f} vs {base_rss:.0f})",
                        higher=False,
                    )
                )
        with baseline_database(name, tmp) as base_database:
            rows.append(cold_start_row(env, slug, label, name == "production", base_database))
    return rows


def compression_row(app: Server, path: str, label: str, args: argparse.Namespace) -> Row:
    """Throughput of the event page asked for as browsers do (compressed) against the
    same page asked for uncompressed, and the bytes sent."""
    plain = requests.get(app + path, headers={"Accept-Encoding": "identity"}, timeout=60)
    packed = requests.get(app + path, headers=BROWSER_ENCODING, timeout=60, stream=True)
    sent = len(packed.raw.read(decode_content=False))
    encoding = packed.headers.get("Content-Encoding", "none")
    ratios, _, a, b = compare(
        app, app + path, app, app + path, args.rounds, args.seconds, BROWSER_ENCODING, {}
    )
    return _row(
        f"event page compressed (Accept-Encoding: gzip, br) vs uncompressed, {label}",
        statistics.median(ratios),
        None,
        f"(compressed {a.summary()} | uncompressed {b.summary()} | "
        f"{sent} bytes {encoding} vs {len(plain.content)})",
    )


def _time_to_first_200(app_spec: str, env: dict[str, str], path: str) -> tuple[float, float]:
    """Seconds from starting gunicorn (4 workers) to the first 200 answer on path, and the
    CPU seconds its processes had used by then (less swayed by a busy machine)."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}", app_spec],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 60:
            try:
                if requests.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200:
                    return time.perf_counter() - started, process_tree_cpu(process.pid)
            except requests.RequestException:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"{app_spec} did not answer {path} within 60 s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def compile_bytecode() -> None:
    """Bytecode for the app and the baselines, as a deployed app has after its first start."""
    for folder in ("campaign", "bench"):
        compileall.compile_dir(REPO / folder, quiet=1)


def cold_start_row(
    env: dict[str, str], slug: str, label: str, has_target: bool, base_database: str
) -> Row:
    """The app's cold start against a bare Flask-SQLAlchemy app's answering a page it reads
    from the same database server (the database-less render's printed beside them)."""
    compile_bytecode()
    base_env = {**env, "BASELINE_DATABASE_URL": base_database, "BASELINE_FORM_BYTES": "14000"}
    render_env = {**env, "BASELINE_PAGE_BYTES": "page=14000"}
    apps, bases, renders = [], [], []
    for _ in range(3):
        bases.append(_time_to_first_200("bench.baseline_app:create_app()", base_env, "/read/page"))
        apps.append(_time_to_first_200("campaign:create_app()", env, f"/events/{slug}"))
        renders.append(
            _time_to_first_200("bench.pages_baseline_app:create_app()", render_env, "/page/page")
        )
    app_time, base_time = (statistics.median(t for t, _ in runs) for runs in (apps, bases))
    app_cpu, base_cpu = (statistics.median(c for _, c in runs) for runs in (apps, bases))
    render_time = statistics.median(t for t, _ in renders)
    return _row(
        f"cold start to first 200 vs bare Flask-SQLAlchemy page from the database, {label}",
        app_time / base_time,
        COLD_START_TARGET if has_target else None,
        f"(median of 3: {app_time:.2f} s vs {base_time:.2f} s; CPU {app_cpu:.2f} s vs "
        f"{base_cpu:.2f} s, {app_cpu / base_cpu:.2f}x; a bare Flask render without a database "
        f"{render_time:.2f} s, {app_time / render_time:.2f}x)",
        higher=False,
    )


def main() -> list[Row]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settings", default="embedded,production")
    args = parser.parse_args()
    missing = wrk_missing()
    if missing:
        return [(f"public pages: skipped, {missing}", "-", "-", "", False)]
    rows: list[Row] = []
    for name in args.settings.split(","):
        try:
            if name == "production" and (why := production_missing()):
                raise Skip(why)
            rows += measure_setting(name, args)
        except Skip as skip:
            figure = f"public pages, {SETTING_LABELS[name]}: skipped"
            rows.append((figure, "-", "-", str(skip), True))
    return rows


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
