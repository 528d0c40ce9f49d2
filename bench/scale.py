"""Page cost on a full database against an almost empty one (SQLite, in-process).

Two databases are built in a temporary folder with the real commands: `flask db upgrade`
and `flask seed-demo`, then a copy of it is filled by `flask seed-scale` (1,000 events,
100,000 registrations). The almost empty one keeps the demo campaign and gets 60 sign-ups
on one event, so that both attendee lists show a full page of 50 and the comparison is
about the size of the database, not about an empty table against a full one. Each page
is requested with the Flask test client (signed in as an admin for /manage pages), the
two databases taking turns, and the median of several runs after a warm-up is compared.
Target: <= 2x. Timings are this process's CPU time (user and system): everything runs in
this one process (SQLite included) and the machine is shared, so CPU time measures what
the code costs rather than how busy the neighbours are; --wall uses elapsed time.

The attendee CSV of the largest event legitimately has more rows on the full database
(10,000 against 60), so its total time is not compared. Two figures stand for it
instead: the time to the first attendee row (the header comes before the query; the
export streams in chunks of 200 rows, so this must not grow with the rows), and the cost
per row after the header (the query included) of the largest event's export against the
same export of an event with a few hundred rows on the same database (it must not grow
with the size of the export).

    .venv/bin/python bench/scale.py [--runs 9] [--events 1000] [--registrations 100000]
                                    [--keep DIR] [--wall]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, VENV_BIN, print_table

TARGET = 2.0


class _Clock:
    """What the page timings read: this process's CPU time, or --wall for elapsed time."""

    def __init__(self) -> None:
        self.now = time.process_time
        self.kind = "CPU"

    def use_wall(self) -> None:
        self.now = time.perf_counter
        self.kind = "elapsed"


CLOCK = _Clock()
SECRET_KEY = "bench-secret-key-" + "x" * 32
ADMIN_EMAIL = "bench-admin@example.org"
ADMIN_PASSWORD = "bench admin password, long enough"
ONE_PAGE = 60  # sign-ups on the almost empty database: its attendee list fills a page


def _flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "campaign", *args],
        cwd=REPO,
        env=env,
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def _env(database: Path, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CAMPAIGN_ENV": "development",
        "CAMPAIGN_SECRET_KEY": SECRET_KEY,
        "CAMPAIGN_DATABASE_URL": f"sqlite:///{database}",
        "CAMPAIGN_INSTANCE_PATH": str(instance),
    }


def build(folder: Path, events: int, registrations: int) -> tuple[Path, Path, float, float]:
    """(empty database, full database, wall and CPU seconds seed-scale took)."""
    instance = folder / "instance"
    instance.mkdir(exist_ok=True)
    empty, full = folder / "empty.sqlite3", folder / "full.sqlite3"
    env = _env(empty, instance)
    _flask(env, "db", "upgrade")
    _flask(env, "seed-demo")
    _flask(
        env,
        *("create-organizer", "--email", ADMIN_EMAIL, "--admin", "--password-stdin"),
        stdin=ADMIN_PASSWORD + "\n",
    )
    shutil.copyfile(empty, full)
    _sign_up(empty, instance, ONE_PAGE)
    started, cpu = time.perf_counter(), _children_cpu()
    _flask(
        _env(full, instance),
        "seed-scale",
        "--events",
        str(events),
        "--registrations",
        str(registrations),
    )
    return empty, full, time.perf_counter() - started, _children_cpu() - cpu


def _sign_up(database: Path, instance: Path, people: int) -> None:
    """Register people for the demo's soonest upcoming event through the sign-up service."""
    from sqlalchemy import select

    from campaign import create_app
    from campaign.core.timeutil import utcnow
    from campaign.events.models import Event
    from campaign.extensions import db
    from campaign.signups import services

    app = create_app(_config(database, instance))
    with app.app_context():
        now = utcnow()
        event_id = db.session.scalar(
            select(Event.id)
            .where(Event.status == "published", Event.starts_at > now)
            .order_by(Event.starts_at)
            .limit(1)
        )
        for n in range(people):
            data = services.SignupInput(f"Demo Person {n}", f"person{n}@example.org")
            services.register(event_id, data, now, SECRET_KEY)
            db.session.commit()
        db.engine.dispose()


def _config(database: Path, instance: Path) -> dict[str, Any]:
    return {
        "ENV": "development",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{database}",
        "INSTANCE_PATH": str(instance),
        "BASE_URL": "http://bench.invalid",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Site:
    """One database behind an app and a signed-in admin's test client."""

    def __init__(self, name: str, database: Path, instance: Path) -> None:
        from campaign import create_app

        self.name = name
        self.app = create_app(_config(database, instance))
        self.client = self.app.test_client()
        response = self.client.post(
            "/manage/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        if response.status_code != 302:
            raise RuntimeError(f"{name}: admin sign-in failed ({response.status_code})")
        self.largest, self.slug, self.registrations = self._largest_event()
        self.pages = -(-self.registrations // 50) or 1

    def _largest_event(self) -> tuple[int, str, int]:
        """The event with most registrations (the first published one when there are none)."""
        from sqlalchemy import func, select

        from campaign.campaigns.scale import largest_event_id
        from campaign.campaigns.services import current_campaign
        from campaign.events.models import Event
        from campaign.extensions import db
        from campaign.signups.models import Registration

        with self.app.app_context():
            campaign = current_campaign()
            assert campaign is not None
            event_id = largest_event_id(campaign.id) or db.session.scalar(
                select(Event.id)
                .where(Event.status == "published", Event.campaign_id == campaign.id)
                .order_by(Event.starts_at.desc())
                .limit(1)
            )
            slug = db.session.scalar(select(Event.slug).where(Event.id == event_id))
            count = db.session.scalar(select(func.count()).where(Registration.event_id == event_id))
            return event_id, slug, count or 0

    def event_with_rows(self, rows: int) -> tuple[int, int]:
        """(id, registrations) of the event whose registration count is closest to rows."""
        from sqlalchemy import func, select

        from campaign.extensions import db
        from campaign.signups.models import Registration

        with self.app.app_context():
            n = func.count().label("n")
            counts = db.session.execute(
                select(Registration.event_id, n).group_by(Registration.event_id)
            ).all()
        return min(counts, key=lambda row: abs(row[1] - rows))

    def get(self, url: str, rendered: bool = False) -> float:
        """Seconds to answer url completely (rendered: not from the in-memory page cache)."""
        if rendered:
            from campaign.core.pagecache import cache

            with self.app.app_context():
                cache().clear()
        started = CLOCK.now()
        response = self.client.get(url)
        response.get_data()
        elapsed = CLOCK.now() - started
        if response.status_code != 200:
            raise RuntimeError(f"{self.name}: GET {url} answered {response.status_code}")
        return elapsed

    def stream(self, url: str) -> tuple[float, float, float, int]:
        """(seconds to the header, to the first data row, in all; lines) of a streamed CSV."""
        started = CLOCK.now()
        response = self.client.get(url, buffered=False)
        if response.status_code != 200:
            raise RuntimeError(f"{self.name}: GET {url} answered {response.status_code}")
        header = first = None
        lines = 0
        try:
            for chunk in response.response:
                lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
                if header is None and lines >= 1:
                    header = CLOCK.now() - started
                if first is None and lines >= 2:  # the header, then the first attendee
                    first = CLOCK.now() - started
        finally:
            response.close()
        end = CLOCK.now() - started
        return header or end, first or end, end, lines


def _median(runs: int, measure: Callable[[], Any]) -> Any:
    measure()  # warm-up
    return statistics.median(measure() for _ in range(runs))


def _interleaved(runs: int, sites: list[Site], measure: Callable[[Site], float]) -> list[float]:
    """The median per site, the sites taking turns run by run (the machine is noisy)."""
    for site in sites:
        measure(site)  # warm-up
    times: list[list[float]] = [[] for _ in sites]
    for _ in range(runs):
        for i, site in enumerate(sites):
            times[i].append(measure(site))
    return [statistics.median(t) for t in times]


def _row(figure: str, small: float, big: float, note: str = "") -> tuple:
    ratio = big / small if small else float("inf")
    info = f"({big * 1000:.1f} vs {small * 1000:.1f} ms {CLOCK.kind}{note})"
    return (figure, f"{ratio:.2f}x", f"<={TARGET:g}x", info, ratio <= TARGET)


def measure(empty: Site, full: Site, runs: int) -> list[tuple]:
    sites = [empty, full]
    rows = []
    pages: list[tuple[str, Callable[[Site], str]]] = [
        ("public listing /events", lambda s: "/events"),
        ("public listing /events, rendered (page cache cleared)", lambda s: "/events"),
        ("event page (largest event)", lambda s: f"/events/{s.slug}"),
        ("event page (largest event), rendered", lambda s: f"/events/{s.slug}"),
        ("organizer dashboard /manage/", lambda s: "/manage/"),
        ("attendee list, largest event, page 1", lambda s: f"/manage/events/{s.largest}/attendees"),
        (
            "attendee list, largest event, middle page",
            lambda s: f"/manage/events/{s.largest}/attendees?page={max(s.pages // 2, 1)}",
        ),
    ]
    for figure, url in pages:
        rendered = "rendered" in figure
        small, big = _interleaved(
            runs, sites, lambda s, url=url, rendered=rendered: s.get(url(s), rendered)
        )
        rows.append(_row(f"{figure}: full / empty", small, big))

    def csv_url(site: Site, event_id: int) -> str:
        return f"/manage/events/{event_id}/attendees/export.csv"

    ttfb = _interleaved(runs, sites, lambda s: s.stream(csv_url(s, s.largest))[1])
    rows.append(
        _row(
            "attendee CSV, largest event: first row, full / empty",
            ttfb[0],
            ttfb[1],
            f"; {full.registrations} rows vs {empty.registrations}",
        )
    )

    def per_row(event_id: int) -> Callable[[], float]:
        def run() -> float:
            header, _first, total, lines = full.stream(csv_url(full, event_id))
            return (total - header) / max(lines - 1, 1)

        return run

    mid_id, mid_rows = full.event_with_rows(300)
    big_cost = _median(runs, per_row(full.largest))
    small_cost = _median(runs, per_row(mid_id))
    rows.append(
        (
            f"attendee CSV per row: {full.registrations} rows / {mid_rows} rows (full DB)",
            f"{big_cost / small_cost:.2f}x",
            f"<={TARGET:g}x",
            f"({big_cost * 1e6:.1f} vs {small_cost * 1e6:.1f} us {CLOCK.kind} per row)",
            big_cost / small_cost <= TARGET,
        )
    )
    return rows


def main() -> list[tuple[str, str, str, str, bool]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--keep", help="build in (or reuse) this folder instead of a temp one")
    parser.add_argument("--wall", action="store_true", help="time pages by the wall clock")
    args = parser.parse_args()
    if args.wall:
        CLOCK.use_wall()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        seed = None
        if not (folder / "full.sqlite3").exists():
            empty_db, full_db, *seed = build(folder, args.events, args.registrations)
        else:
            empty_db, full_db = folder / "empty.sqlite3", folder / "full.sqlite3"
        empty = Site("empty", empty_db, folder / "instance")
        full = Site("full", full_db, folder / "instance")
        rows = measure(empty, full, args.runs)
    if seed:
        wall, cpu = seed
        rows.append(
            (
                f"seed-scale {args.events} events / {args.registrations} registrations, CPU",
                f"{cpu:.0f}s",
                "<60s",
                f"(wall {wall:.0f}s on this shared machine)",
                cpu < 60,
            )
        )
    return rows


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    print(
        "CSV: the export streams, so its first row and its cost per row are compared, not "
        "its total time (the full database's largest event has 10% of all registrations)."
    )
    sys.exit(0 if all(r[4] for r in rows) else 1)
