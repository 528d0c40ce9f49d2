"""/api/v1/events GET throughput under gunicorn (SQLite) against a bare Flask JSON route.

The demo campaign is seeded with the real commands; the app serves it under gunicorn with
4 sync workers, and beside it the same gunicorn settings serve bench/api_baseline_app.py,
a bare Flask route serialising JSON of the API answer's size (measured first). wrk loads
both (as bench/pages.py does: bench.pages.compare) in alternating rounds; the figure is
the median ratio of the throughputs, with the server CPU per request beside it.
Target: >= 0.5x.

    .venv/bin/python bench/api.py [--seconds 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import gunicorn, print_table, site_env, wrk_missing
from bench.pages import compare
from bench.registration import _seed

TARGET = 0.5
PATH = "/api/v1/events"


def main() -> list[tuple[str, str, str, str, bool]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    missing = wrk_missing()
    if missing:
        return [(f"/api/v1/events: skipped, {missing}", "-", "-", "", False)]

    with tempfile.TemporaryDirectory() as tmp:
        env = site_env(tmp)
        _seed(env)
        with gunicorn("campaign:create_app()", env) as app_url:
            response = requests.get(app_url + PATH, timeout=60)
            response.raise_for_status()
            events = len(response.json()["events"])
            if not events:
                raise RuntimeError("the API listed no events")
            size = len(response.content)
            base_env = {**env, "BASELINE_JSON_BYTES": str(size)}
            with gunicorn("bench.api_baseline_app:create_app()", base_env) as base_url:
                base_size = len(requests.get(base_url + "/json", timeout=60).content)
                ratios, cpu_ratios, app_side, base_side = compare(
                    app_url,
                    app_url + PATH,
                    base_url,
                    base_url + "/json",
                    args.rounds,
                    args.seconds,
                    {},
                    {},
                )
    ratio = statistics.median(ratios)
    return [
        (
            "/api/v1/events GET throughput vs bare Flask JSON route",
            f"{ratio:.2f}x",
            f">={TARGET}x",
            f"(median of {args.rounds} rounds; app {app_side.summary()} vs bare "
            f"{base_side.summary()}; {events} events, {size} vs {base_size} bytes; "
            f"server CPU per request ratio {statistics.median(cpu_ratios):.2f}x)",
            ratio >= TARGET,
        )
    ]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
