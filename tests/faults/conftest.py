"""Fault runs: the app under gunicorn (tests/support/gunicorn.py) on a fresh database, one
seeded event and organizer, and browsers that fill in the real forms."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.services import create_organizer
from campaign.signups import guard
from campaign.signups.models import Registration
from tests.support import databases
from tests.support.gunicorn import (
    BASE_URL,
    SECRET_KEY,
    Server,
    app_env,
    flask,
    gunicorn,
    write_config,
)

ORGANIZER_EMAIL = "organizer@example.org"
ORGANIZER_PASSWORD = "a long password for the fault runs"
DISCLAIMER = "Educational content, not medical advice."


@dataclass
class Site:
    """gunicorn serving a migrated database with one open event (no seat limit)."""

    app: Flask  # for reading the database from the test
    server: Server
    slug: str
    event_id: int

    @property
    def url(self) -> str:
        return self.server.url

    def registered_emails(self) -> set[str]:
        with self.app.app_context():
            emails = set(db.session.scalars(select(Registration.email)))
            db.session.remove()
        return emails


# --- databases ---------------------------------------------------------------------------------


def sqlite_database(tmp_path: Path) -> AbstractContextManager[str]:
    return databases.sqlite_database(tmp_path / "faults.sqlite3")


def postgres_database() -> AbstractContextManager[str]:
    return databases.postgres_database("campaign_faults")


def _seed(app: Flask) -> tuple[str, int]:
    with app.app_context():
        campaign = Campaign(
            slug="national-ketamine-day",
            name="National Ketamine Day",
            day=date.today() + timedelta(days=28),
            timezone="Europe/London",
            disclaimer=DISCLAIMER,
        )
        db.session.add(campaign)
        db.session.flush()
        organizer = create_organizer(ORGANIZER_EMAIL, "Organizer", ORGANIZER_PASSWORD)
        starts = utcnow().replace(microsecond=0) + timedelta(days=7)
        event = Event(
            campaign_id=campaign.id,
            organizer_id=organizer.id,
            slug="the-busy-event",
            title="The busy event",
            summary="A talk.",
            description="What to expect.",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            timezone="Europe/London",
            format="in_person",
            venue="Town Hall",
            city="Leeds",
            capacity=None,
            status="published",
            published_at=utcnow(),
        )
        db.session.add(event)
        db.session.commit()
        found = (event.slug, event.id)
        db.session.remove()
    return found


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., AbstractContextManager[Site]]:
    """Factory: make_site(database_url, workers=4) -> a context manager yielding a Site."""

    @contextmanager
    def make(database_url: str, workers: int = 4) -> Iterator[Site]:
        instance = tmp_path / "instance"
        write_config(instance)
        env = app_env(
            instance,
            database_url,
            ENV="development",  # errors answered as in production, not re-raised
            SIGNUP_MIN_SECONDS="0",
            RATELIMIT_ENABLED="false",
        )
        flask(env, "db", "upgrade")
        app = create_app(
            {
                "ENV": "testing",
                "SECRET_KEY": SECRET_KEY,
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(instance),
                "BASE_URL": BASE_URL,
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_KIB": 1024,
            }
        )
        slug, event_id = _seed(app)
        with gunicorn(env, tmp_path / "gunicorn.log", workers=workers) as server:
            try:
                yield Site(app, server, slug, event_id)
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()

    return make


# --- browsers ----------------------------------------------------------------------------------

_INPUT = re.compile(r"<input\b[^>]*>")


def hidden(page: str, name: str) -> str:
    """The value of the input called name on the page."""
    for tag in _INPUT.findall(page):
        if f'name="{name}"' in tag:
            match = re.search(r'value="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    raise AssertionError(f"no {name} field on the page")


class Registrant:
    """One browser on the event page, registering people one after another.

    Each submission carries a fresh one-time form token, as a kiosk that goes back to the
    event page after each person would have (a used token asks for a second step).
    """

    def __init__(self, site: Site, timeout: float = 60) -> None:
        self.site = site
        self.timeout = timeout
        self.session = requests.Session()
        page = self.session.get(f"{site.url}/events/{site.slug}", timeout=timeout)
        assert page.status_code == 200, page.status_code
        assert 'name="started"' in page.text  # the public form: no session, no CSRF token

    def register(self, email: str) -> int:
        """POST the form for email; the status code (303 is a registration)."""
        response = self.session.post(
            f"{self.site.url}/events/{self.site.slug}/register",
            data={
                "started": guard.form_token(SECRET_KEY, self.site.slug),
                "ref": "",
                "website": "",
                "name": "Visitor " + email.split("@")[0],
                "email": email,
            },
            allow_redirects=False,
            timeout=self.timeout,
        )
        return response.status_code

    def close(self) -> None:
        self.session.close()


class _Forms(HTMLParser):
    """The fields a browser would send, for every form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {}
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        if tag == "option" and self._select is not None:
            if "selected" in a or self._select not in form:
                form[self._select] = a.get("value", "")
            return
        name = a.get("name")
        if not name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form[name] = a.get("value", "y")
            elif kind not in ("submit", "button", "file"):
                form[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            form[name] = ""
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            # A browser drops the newline that opens a textarea's content.
            value = self._form[self._textarea]
            self._form[self._textarea] = (
                value[2:]
                if value.startswith("\r\n")
                else (value[1:] if value.startswith("\n") else value)
            )
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form[self._textarea] += data


def form_fields(page: str, field: str) -> dict[str, str]:
    """The fields of the form on page that has a field called field."""
    parser = _Forms()
    parser.feed(page)
    for form in parser.forms:
        if field in form:
            return form
    raise AssertionError(f"no form with a {field} field on the page")


class Organizer:
    """The organizer's browser: signed in, editing the event."""

    def __init__(self, site: Site, timeout: float = 60) -> None:
        self.site = site
        self.timeout = timeout
        self.session = requests.Session()
        page = self.session.get(f"{site.url}/manage/login", timeout=timeout)
        response = self.session.post(
            f"{site.url}/manage/login",
            data={
                "csrf_token": hidden(page.text, "csrf_token"),
                "email": ORGANIZER_EMAIL,
                "password": ORGANIZER_PASSWORD,
            },
            allow_redirects=False,
            timeout=timeout,
        )
        assert response.status_code == 302, response.status_code

    def edit_description(self, text: str) -> int:
        """Open the edit form, change the description, save; the status of the save."""
        edit = f"{self.site.url}/manage/events/{self.site.event_id}/edit"
        page = self.session.get(edit, timeout=self.timeout)
        if page.status_code != 200:
            return page.status_code
        fields = form_fields(page.text, "description")
        fields["description"] = text
        response = self.session.post(edit, data=fields, allow_redirects=False, timeout=self.timeout)
        return response.status_code

    def close(self) -> None:
        self.session.close()
