"""The busiest day as locust sees it: visitors who read, register and download cards.

The mix, by task weight: 70% event pages and the listing, 20% registrations (open the
event page, take its CSRF and render-time tokens, post the form: a 303 is a success),
10% card downloads (the og:image of an event page, else the calendar feed).

Run by bench/load/run.py (`make load`); by hand:

    .venv/bin/locust -f bench/load/locustfile.py --headless -u 50 -r 10 -t 60s \\
        --host http://127.0.0.1:PORT

With LOAD_REPORT_FILE set, the totals (requests, failures, p50, p95) and the count of every
status code seen are written there as JSON when the run stops (locust's own statistics do
not break answers down by status).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import threading
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

_EVENT_LINK = re.compile(r'href="/events/([a-z0-9][a-z0-9-]*)"')
_OG_IMAGE = re.compile(r'<meta property="og:image" content="([^"]+)"')
_INPUT = re.compile(r"<input\b[^>]*>")

_statuses: Counter[str] = Counter()
_lock = threading.Lock()


@events.request.add_listener
def _count_status(response: Any = None, exception: Any = None, **_: Any) -> None:
    code = getattr(response, "status_code", None) if response is not None else None
    with _lock:
        _statuses[str(code) if code else f"error:{type(exception).__name__}"] += 1


@events.test_stop.add_listener
def _write_report(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOAD_REPORT_FILE")
    if not path:
        return
    total = environment.stats.total
    with _lock, open(path, "w") as out:
        json.dump(
            {
                "requests": total.num_requests,
                "failures": total.num_failures,
                "p50": total.get_response_time_percentile(0.5),
                "p95": total.get_response_time_percentile(0.95),
                "rps": total.total_rps,
                "statuses": dict(_statuses),
                "errors": {str(e.error): e.occurrences for e in environment.stats.errors.values()},
            },
            out,
        )


def hidden_value(page: str, name: str) -> str | None:
    """The value of the hidden input called name, unescaped (None when absent)."""
    for tag in _INPUT.findall(page):
        if f'name="{name}"' in tag:
            match = re.search(r'value="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    return None


class Visitor(HttpUser):
    """Someone who followed a share link: reads, sometimes registers or takes the card."""

    wait_time = between(0.5, 1.5)
    slugs: list[str] = []  # shared by all visitors, filled by the first one

    def on_start(self) -> None:
        if not Visitor.slugs:
            with self.client.get("/events", name="/events", catch_response=True) as response:
                found = sorted(set(_EVENT_LINK.findall(response.text)))
                if response.status_code != 200 or not found:
                    response.failure(f"no events listed ({response.status_code})")
                    return
                Visitor.slugs = found

    def _slug(self) -> str | None:
        return random.choice(Visitor.slugs) if Visitor.slugs else None

    def _event_page(self, slug: str) -> str | None:
        with self.client.get(
            f"/events/{slug}", name="/events/[slug]", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return None
            return response.text

    @task(50)
    def view_event(self) -> None:
        slug = self._slug()
        if slug:
            self._event_page(slug)

    @task(20)
    def view_listing(self) -> None:
        self.client.get("/events", name="/events")

    @task(20)
    def register(self) -> None:
        slug = self._slug()
        page = self._event_page(slug) if slug else None
        if page is None:
            return
        started = hidden_value(page, "started")
        if not started:
            return  # registration is closed on this event: only the page view counts
        person = uuid.uuid4().hex[:12]
        with self.client.post(
            f"/events/{slug}/register",
            data={
                "started": started,
                "ref": "",
                "website": "",
                "name": f"Load Visitor {person}",
                "email": f"load-{person}@example.org",
            },
            name="/events/[slug]/register",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 303:
                response.failure(f"registration answered {response.status_code}")

    @task(10)
    def download_card(self) -> None:
        slug = self._slug()
        page = self._event_page(slug) if slug else None
        if page is None:
            return
        match = _OG_IMAGE.search(page)
        if match:
            path = urlsplit(html.unescape(match.group(1))).path
            self.client.get(path, name="/cards/[key].png")
        else:
            self.client.get("/calendar.ics", name="/calendar.ics")
