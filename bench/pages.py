"""Public page GET throughput under gunicorn (SQLite) against a bare Flask template route.

The demo campaign is seeded with the real commands; the app serves it under gunicorn with
4 sync workers, and beside it the same gunicorn settings serve bench/pages_baseline_app.py,
a bare Flask route rendering a Jinja template padded to the byte size of the page it
stands in for (measured first). An event page and the /events listing are each measured
against their baseline in alternating rounds; the figure is the median ratio of the two
throughputs. Target: >= 0.5x.

    .venv/bin/python bench/pages.py [--requests 240] [--clients 8] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Server, gunicorn, print_table, site_env
from bench.registration import _seed

TARGET = 0.5
SIZE_TOLERANCE = 0.05


def throughput(url: str, clients: int, total: int) -> float:
    """GETs per second of url from `clients` threads, each with its own session (a browser)."""
    per_client = max(1, total // clients)

    def work(_: int) -> int:
        failures = 0
        with requests.Session() as session:
            for _ in range(per_client):
                response = session.get(url, timeout=60)
                failures += response.status_code != 200 or not response.content
        return failures

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        failures = sum(pool.map(work, range(clients)))
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{failures} GET {url} failed")
    return per_client * clients / elapsed


def _compare(
    app: Server, app_path: str, base: Server, base_path: str, clients: int, total: int, rounds: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Alternating rounds of baseline and app: ratios, app and baseline rates, CPU ratios."""
    throughput(app + app_path, clients, clients * 5)  # warm up both
    throughput(base + base_path, clients, clients * 5)
    ratios, apps, bases, cpu_ratios = [], [], [], []
    for _ in range(rounds):
        cpu = base.cpu()
        base_rate = throughput(base + base_path, clients, total)
        base_cpu = base.cpu() - cpu
        cpu = app.cpu()
        app_rate = throughput(app + app_path, clients, total)
        app_cpu = app.cpu() - cpu
        ratios.append(app_rate / base_rate)
        apps.append(app_rate)
        bases.append(base_rate)
        cpu_ratios.append(base_cpu / app_cpu if app_cpu else 0.0)
    return ratios, apps, bases, cpu_ratios


def main() -> list[tuple[str, str, str, str, bool]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=240, help="per round and server")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = site_env(tmp)
        slug = _seed(env)
        pages = {"event": f"/events/{slug}", "events": "/events"}
        with gunicorn("campaign:create_app()", env) as app_url:
            sizes = {}
            for name, path in pages.items():
                response = requests.get(app_url + path, timeout=60)
                response.raise_for_status()
                sizes[name] = len(response.content)
            base_env = {
                **env,
                "BASELINE_PAGE_BYTES": ",".join(f"{n}={s}" for n, s in sizes.items()),
            }
            with gunicorn("bench.pages_baseline_app:create_app()", base_env) as base_url:
                for name, path in pages.items():
                    size = len(requests.get(f"{base_url}/page/{name}", timeout=60).content)
                    if abs(size - sizes[name]) > sizes[name] * SIZE_TOLERANCE:
                        raise RuntimeError(f"baseline {name}: {size} bytes, page {sizes[name]}")
                    ratios, apps, bases, cpu_ratios = _compare(
                        app_url,
                        path,
                        base_url,
                        f"/page/{name}",
                        args.clients,
                        args.requests,
                        args.rounds,
                    )
                    ratio = statistics.median(ratios)
                    label = "event page" if name == "event" else "/events listing"
                    rows.append(
                        (
                            f"{label} GET throughput vs bare Flask template (SQLite)",
                            f"{ratio:.2f}x",
                            f">={TARGET}x",
                            f"(median of {args.rounds} rounds; {statistics.median(apps):.0f}/s "
                            f"vs {statistics.median(bases):.0f}/s; {sizes[name]} bytes; "
                            f"server CPU per request ratio {statistics.median(cpu_ratios):.2f}x)",
                            ratio >= TARGET,
                        )
                    )
    return rows


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
