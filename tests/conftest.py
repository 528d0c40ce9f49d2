"""Shared fixtures: app, client, runner, and factories that return functions."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_to_utc, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers import services as organizer_services
from campaign.organizers.models import Organizer

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
_schema_ready: set[str] = set()


def postgres_url() -> str | None:
    """The PostgreSQL URL for this run, or None (skip) outside CI."""
    return os.environ.get("TEST_DATABASE_URL") or None


def require_postgres() -> str:
    """A PostgreSQL URL for tests that need one even in a SQLite run."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # the server is optional on a user's machine
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {url}: {type(exc).__name__}")
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL when set (PostgreSQL), else a SQLite file for this session."""
    url = postgres_url()
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The test config; tests may change it before asking for `app`."""
    return {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BASE_URL": "https://campaign.example.org",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
    }


def _reset_database(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if url not in _schema_ready:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()
            _schema_ready.add(url)
        else:
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())


class IsolatedClient(FlaskClient):
    """A test client whose requests never see `g` left over from earlier requests.

    The `app` fixture keeps one app context open so tests can use the database, and
    Flask reuses an open app context for requests: without this, the signed-in user
    cached in `g` would survive from one request (or client) to the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import g

        for name in list(vars(g)):
            delattr(g, name)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """A fresh app on an empty schema."""
    Path(app_config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    application = create_app(app_config)
    application.test_client_class = IsolatedClient
    _reset_database(application)
    with application.app_context():
        yield application
        db.session.remove()
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def campaign(app: Flask) -> Campaign:
    """The campaign, its day four weeks from now."""
    row = Campaign(
        slug="national-ketamine-day",
        name="National Ketamine Day",
        day=date.today() + timedelta(days=28),
        timezone="America/New_York",
        tagline="Facts over fear.",
        hashtag="#NationalKetamineDay",
        disclaimer="Educational content, not medical advice. Talk to a healthcare provider.",
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def make_organizer(app: Flask) -> Callable[..., Organizer]:
    """Factory: make_organizer(email=..., admin=False, password=PASSWORD)."""
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, admin: bool = False, password: str = PASSWORD) -> Organizer:
        n = next(counter)
        organizer = organizer_services.create_organizer(
            email or f"organizer{n}@example.org", f"Organizer {n}", password, is_admin=admin
        )
        db.session.commit()
        return organizer

    return make


@pytest.fixture
def make_event(app: Flask, campaign: Campaign) -> Callable[..., Event]:
    """Factory: make_event(organizer, **fields) -> a published event next week."""
    counter = iter(range(1, 10_000))

    def make(organizer: Organizer, **fields: Any) -> Event:
        n = next(counter)
        tz = fields.pop("timezone", "Europe/London")
        starts = fields.pop(
            "starts_at",
            local_to_utc(
                datetime.combine(date.today() + timedelta(days=7), datetime.min.time()).replace(
                    hour=18
                ),
                tz,
            ),
        )
        values: dict[str, Any] = {
            "campaign_id": campaign.id,
            "organizer_id": organizer.id,
            "slug": f"event-{n}",
            "title": f"Event {n}",
            "summary": "A summary.",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
            "timezone": tz,
            "format": "in_person",
            "venue": "Town Hall",
            "city": "Leeds",
            "region": "England",
            "country": "United Kingdom",
            "status": "published",
            "published_at": utcnow(),
        }
        values.update(fields)
        event = Event(**values)
        db.session.add(event)
        db.session.commit()
        return event

    return make


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the real login form."""
    return client.post("/manage/login", data={"email": email, "password": password})


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., Any]:
    def do(organizer: Organizer, password: str = PASSWORD) -> Any:
        response = login(client, organizer.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do


def csrf_token(html: str) -> str:
    """The CSRF token from a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no csrf token in page"
    return match.group(1)
