"""Exact seats under real concurrency: the app under gunicorn with 4 workers, the schema from
the migrations, CSRF on, 200 simultaneous registrations for 20 seats, then 20 identical
ones, then a cancellation that promotes the head of the waitlist. On SQLite and PostgreSQL
(the PostgreSQL run needs a reachable server; outside CI it is skipped when there is none).
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.models import OutboxMessage
from campaign.organizers.services import create_organizer
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token
from tests.support import databases
from tests.support.gunicorn import BASE_URL, SECRET_KEY, app_env, flask, gunicorn, write_config

pytestmark = pytest.mark.slow

SEATS = 20
PEOPLE = 200
THREADS = 50
IDENTICAL = 20


# --- databases ------------------------------------------------------------------------------


def sqlite_database(tmp_path: Path) -> AbstractContextManager[str]:
    return databases.sqlite_database(tmp_path / "concurrency.sqlite3")


def postgres_database() -> AbstractContextManager[str]:
    return databases.postgres_database("campaign_concurrency")


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The migrated database, one seeded event, and gunicorn serving it."""
    database = sqlite_database(tmp_path) if request.param == "sqlite" else postgres_database()
    with database as url:
        instance = tmp_path / "instance"
        write_config(instance)
        env = app_env(
            instance,
            url,
            SIGNUP_MIN_SECONDS="0",
            RATELIMIT_ENABLED="false",
        )
        flask(env, "db", "upgrade")
        app = create_app(
            {
                "ENV": "testing",
                "SECRET_KEY": SECRET_KEY,
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(instance),
                "BASE_URL": BASE_URL,
            }
        )
        with app.app_context():
            slug = _seed(app)
        with gunicorn(env, tmp_path / "gunicorn.log", workers=4) as server:
            try:
                yield {"app": app, "url": server.url, "slug": slug, "server": server}
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()


def _seed(app: Flask) -> str:
    campaign = Campaign(
        slug="national-ketamine-day",
        name="National Ketamine Day",
        day=date.today() + timedelta(days=28),
        timezone="Europe/London",
        disclaimer="Educational content, not medical advice.",
    )
    db.session.add(campaign)
    db.session.flush()
    organizer = create_organizer("organizer@example.org", "Organizer", "a long password here")
    starts = utcnow().replace(microsecond=0) + timedelta(days=7)
    event = Event(
        campaign_id=campaign.id,
        organizer_id=organizer.id,
        slug="the-busy-event",
        title="The busy event",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/London",
        format="in_person",
        venue="Town Hall",
        city="Leeds",
        capacity=SEATS,
        is_waitlist_enabled=True,
        status="published",
        published_at=utcnow(),
    )
    db.session.add(event)
    db.session.commit()
    return event.slug


# --- clients --------------------------------------------------------------------------------


def _hidden(page: str, name: str) -> str:
    for tag in re.findall(r"<input\b[^>]*>", page):
        if f'name="{name}"' in tag:
            match = re.search(r'value="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    raise AssertionError(f"no {name} field in the page")


@dataclass
class Visitor:
    """One browser and the form's signed one-time token."""

    email: str
    session: requests.Session
    started: str = ""
    status: int = 0
    location: str = ""
    sent: float = 0.0
    answered: float = 0.0


def _open_page(base: str, slug: str, email: str) -> Visitor:
    session = requests.Session()
    page = session.get(f"{base}/events/{slug}", timeout=120)
    assert page.status_code == 200, page.status_code
    text = page.text
    return Visitor(email, session, _hidden(text, "started"))


def _submit(base: str, slug: str, visitor: Visitor, answers: list[str], lock: threading.Lock):
    visitor.sent = time.monotonic()
    response = visitor.session.post(
        f"{base}/events/{slug}/register",
        data={
            "started": visitor.started,
            "name": "Visitor " + visitor.email.split("@")[0],
            "email": visitor.email,
            "website": "",
            "ref": "",
        },
        allow_redirects=False,
        timeout=120,
    )
    visitor.answered = time.monotonic()
    visitor.status = response.status_code
    visitor.location = response.headers.get("Location", "")
    with lock:
        answers.append(visitor.email)
    visitor.session.close()


def _storm(base: str, slug: str, emails: list[str]) -> tuple[list[Visitor], list[str]]:
    """Every visitor opens the page, then all submit at once; visitors and answer order."""
    answers: list[str] = []
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        visitors = list(pool.map(lambda e: _open_page(base, slug, e), emails))
        list(pool.map(lambda v: _submit(base, slug, v, answers, lock), visitors))
    return visitors, answers


# --- the test -------------------------------------------------------------------------------


def _rows(model: Any, **where: Any) -> list[Any]:
    db.session.rollback()
    query = select(model).order_by(model.id)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return list(db.session.scalars(query))


def test_exact_seats_under_concurrency(site: dict[str, Any]) -> None:
    app, base, slug = site["app"], site["url"], site["slug"]
    emails = [f"person{n:03d}@example.org" for n in range(PEOPLE)]
    visitors, answers = _storm(base, slug, emails)
    log = site["server"].log_tail()

    statuses = sorted({v.status for v in visitors})
    assert not [v for v in visitors if v.status >= 500], f"5xx answers:\n{log}"
    assert statuses == [303], f"{statuses}\n{log}"
    assert all(v.location.endswith(f"/events/{slug}/registered") for v in visitors)
    assert sorted(answers) == sorted(emails)

    with app.app_context():
        rows = _rows(Registration)
        assert len(rows) == PEOPLE
        duplicates = db.session.execute(
            select(Registration.event_id, Registration.email)
            .group_by(Registration.event_id, Registration.email)
            .having(func.count() > 1)
        ).all()
        assert duplicates == []
        confirmed = [r for r in rows if r.status == "confirmed"]
        waitlisted = [r for r in rows if r.status == "waitlisted"]
        assert (len(confirmed), len(waitlisted)) == (SEATS, PEOPLE - SEATS)
        # Arrival order is id order: the seats went to the first 20 arrivals, nobody
        # jumped the queue, and whoever was answered before another was sent is ahead.
        assert max(r.id for r in confirmed) < min(r.id for r in waitlisted)
        id_of = {r.email: r.id for r in rows}
        by_sent = sorted(visitors, key=lambda v: v.sent)
        checked = 0
        for later in by_sent:
            for earlier in visitors:
                if earlier.answered < later.sent:
                    assert id_of[earlier.email] < id_of[later.email], (earlier, later)
                    checked += 1
        assert checked > 0
        # Exactly one mail per registration, written with it.
        per_registration = dict(
            db.session.execute(
                select(OutboxMessage.registration_id, func.count()).group_by(
                    OutboxMessage.registration_id
                )
            ).all()
        )
        assert per_registration == {r.id: 1 for r in rows}
        kinds = {m.registration_id: m.kind for m in _rows(OutboxMessage)}
        assert {kinds[r.id] for r in confirmed} == {"registration_confirmed"}
        assert {kinds[r.id] for r in waitlisted} == {"waitlisted"}

    # Twenty identical submissions at once: one registration, one mail, twenty 303s.
    twins, _ = _storm(base, slug, ["twin@example.org"] * IDENTICAL)
    assert [v.status for v in twins] == [303] * IDENTICAL, site["server"].log_tail()
    with app.app_context():
        [twin] = _rows(Registration, email="twin@example.org")
        assert twin.status == "waitlisted"
        assert len(_rows(OutboxMessage, registration_id=twin.id)) == 1
        assert len(_rows(Registration)) == PEOPLE + 1
        leaving = confirmed[0]
        head = waitlisted[0]
        token = manage_token(app.config["SECRET_KEY"], leaving.token_nonce)

    # One confirmed person cancels through their manage link: the head of the queue moves up.
    with requests.Session() as browser:
        page = browser.get(f"{base}/r/{token}", timeout=60)
        assert page.status_code == 200
        response = browser.post(
            f"{base}/r/{token}/cancel",
            data={"csrf_token": _hidden(page.text, "csrf_token")},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 303, site["server"].log_tail()
    with app.app_context():
        status = {r.id: r.status for r in _rows(Registration)}
        assert status[leaving.id] == "cancelled"
        assert status[head.id] == "confirmed"
        assert sum(1 for s in status.values() if s == "confirmed") == SEATS
        promoted = _rows(OutboxMessage, kind="promoted")
        assert [(m.registration_id, m.to_email) for m in promoted] == [(head.id, head.email)]
