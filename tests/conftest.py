"""Shared fixtures: app, client, runner, and factories that return functions."""

from __future__ import annotations

import gc
import os
import re
import time
import weakref
from collections.abc import Callable, Generator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import ConnectionPoolEntry

from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.config import DEFAULTS
from campaign.core.timeutil import local_to_utc, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers import services as organizer_services
from campaign.organizers.models import Organizer
from tests.support import parallel, routing, sqlcache, templates
from tests.support.client import IsolatedClient
from tests.support.i18n import (
    CATALOGS,
    PSEUDO_LOCALE,
    RTL_PSEUDO_LOCALE,
    write_pseudo_catalog,
    write_rtl_pseudo_catalog,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
_schema_ready: set[str] = set()
MAX_WORKERS = 8
_WORKER_DATABASE = pytest.StashKey[tuple[str, str]]()

routing.install()  # each test's app reuses the URL builders compiled for the first one
templates.install()  # and the templates compiled for the first app that rendered them
sqlcache.install()  # and the SQL compiled for the engines configured like theirs

# The garbage collector's youngest generation holds 10,000 new objects here, not 700. Each
# test builds an app (URL map, Jinja environment, engine: objects in reference cycles) that
# outlives many collections of the young generations, so with the default it is moved to
# the oldest one, whose growth then sets off a full collection every dozen tests or so; a
# full collection walks every object of the worker (the modules, the shared caches above:
# half a million objects and more), and those took a fifth of a worker's CPU time. With
# this threshold a test's garbage mostly dies young: the collector takes a third of the
# time, for about 5% more memory. Only the test processes: the servers and schedulers the
# tests start keep Python's defaults.
GC_THRESHOLDS = (10_000, 10, 10)
gc.set_threshold(*GC_THRESHOLDS)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, give this worker a PostgreSQL database of its own (see
    tests/support/parallel.py): TEST_DATABASE_URL then names it for the rest of the run."""
    shared = os.environ.get("TEST_DATABASE_URL")
    worker = parallel.worker_id()
    if not shared or not worker:
        return
    own = parallel.worker_database_url(shared, worker)
    parallel.create_database(shared, own)
    config.stash[_WORKER_DATABASE] = (shared, own)
    os.environ["TEST_DATABASE_URL"] = own


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the worker's own database and give TEST_DATABASE_URL back its first value.

    Here rather than at unconfigure: xdist stops a worker soon after its session ends."""
    config = session.config
    databases = config.stash.get(_WORKER_DATABASE, None)
    if databases is None:
        return
    shared, own = databases
    os.environ["TEST_DATABASE_URL"] = shared
    if parallel.restart_lock_wanted():
        with parallel.server_lock(_shared_temp(config), exclusive=False):
            parallel.drop_database(shared, own)
    else:
        parallel.drop_database(shared, own)


def _shared_temp(config: pytest.Config) -> Path:
    """The temporary directory every xdist worker of this run sees (the parent of its own)."""
    return Path(config.option.basetemp).parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Under pytest-xdist with the PostgreSQL restart test on, each test (with its fixtures'
    set-up and tear-down) runs under the server lock: shared, or exclusive for that test."""
    if not parallel.restart_lock_wanted():
        return (yield)
    exclusive = item.get_closest_marker(parallel.RESTARTS_POSTGRES) is not None
    with parallel.server_lock(_shared_temp(item.config), exclusive=exclusive):
        return (yield)


LONG_RUNNING_MARKS = ("slow", "browser")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules holding slow or browser tests first, each kept whole and in order.

    Those tests take most of the run, a few of them a minute each; started last, one of
    them keeps a worker busy while the others have nothing left to do. Started first, the
    many short tests fill in around them. Every worker collects the same order, as
    pytest-xdist requires."""
    long_running = {
        getattr(item, "module", None)
        for item in items
        if any(item.get_closest_marker(mark) for mark in LONG_RUNNING_MARKS)
    }
    items.sort(key=lambda item: getattr(item, "module", None) not in long_running)  # stable


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker per CPU and one more, at most MAX_WORKERS (each may start a
    Chromium, a gunicorn with four workers and a database); PYTEST_XDIST_AUTO_NUM_WORKERS
    overrides. The extra worker runs while the others wait for the processes, servers and
    browser their tests start: on 2 CPUs, 3 workers took the suite from 5 m 29 s to
    4 m 49 s, where 3 had been slower while the accessibility sweep kept the CPUs busy."""
    wanted = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if wanted:
        return int(wanted)
    # The CPUs this process may use (Linux), else all of them.
    usable = getattr(os, "sched_getaffinity", None)
    cpus = len(usable(0)) if usable else os.cpu_count() or 1
    return max(1, min(cpus + 1, MAX_WORKERS))


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


# Every engine a test connects with, so that none outlives its test with open connections:
# a connection left in an unreferenced engine's pool is closed by the garbage collector at
# any later moment, and psycopg's ResourceWarning then fails whichever test is running.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


@event.listens_for(Engine, "engine_connect")
def _remember_engine(connection: Connection) -> None:
    _ENGINES.add(connection.engine)


def _close_on_return(dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
    entry.close()


def dispose_engines() -> None:
    """Close the pooled connections of every engine used so far (an engine still in use
    opens new ones as it needs them). A connection checked out at that moment (a live
    server's request, a scheduler's job) goes back to the pool disposal left behind,
    which would keep it open until the garbage collector came: it is closed on return."""
    for engine in list(_ENGINES):
        retired = engine.pool
        engine.dispose()
        event.listen(retired, "checkin", _close_on_return)


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """After each test, the pooled connections of every engine it used are closed."""
    yield
    dispose_engines()


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


@pytest.fixture(scope="session")
def pseudo_catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the pseudo-locale's catalog (tests/support/i18n.py)."""
    return write_pseudo_catalog(tmp_path_factory.mktemp("pseudo-catalog"))


@pytest.fixture
def pseudo_locale(app_config: dict[str, Any], pseudo_catalogs: Path) -> str:
    """Offer PSEUDO_LOCALE, whose catalog wraps every message in ⟦ ⟧, beside the shipped
    ones; ask for it before `app` or `client`. Returns the locale code (for ?lang=)."""
    app_config["BABEL_TRANSLATION_DIRECTORIES"] = f"{CATALOGS};{pseudo_catalogs}"
    app_config["LANGUAGES"] = [*DEFAULTS["LANGUAGES"], PSEUDO_LOCALE]
    return PSEUDO_LOCALE


def rtl_locale_config(catalogs: Path) -> dict[str, Any]:
    """The config that offers RTL_PSEUDO_LOCALE (catalogs: write_rtl_pseudo_catalog's folder)
    beside the shipped locales."""
    return {
        "BABEL_TRANSLATION_DIRECTORIES": f"{CATALOGS};{catalogs}",
        "LANGUAGES": [*DEFAULTS["LANGUAGES"], RTL_PSEUDO_LOCALE],
    }


@pytest.fixture(scope="session")
def rtl_pseudo_catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the right-to-left test locale's catalog (tests/support/i18n.py)."""
    return write_rtl_pseudo_catalog(tmp_path_factory.mktemp("rtl-pseudo-catalog"))


@pytest.fixture
def rtl_locale(app_config: dict[str, Any], rtl_pseudo_catalogs: Path) -> str:
    """Offer the right-to-left test locale beside the shipped ones; ask for it before `app`
    or `client`. Returns its code (for ?lang=)."""
    app_config.update(rtl_locale_config(rtl_pseudo_catalogs))
    return RTL_PSEUDO_LOCALE


def _emptying_statements(conn: Connection) -> list[str]:
    """One DELETE per table, children first, as SQL text for this database.

    Built once per process: each test's app has an engine of its own, whose cache of
    compiled statements starts empty, so `table.delete()` would be compiled again for
    every table in every test (a few milliseconds of CPU a test, over the whole suite
    several seconds); these strings are the same SQL. Made again when a model module
    imported since adds a table."""
    key = (conn.dialect.name, len(db.metadata.tables))
    if key not in _EMPTYING:
        quote = conn.dialect.identifier_preparer.format_table
        _EMPTYING[key] = [f"DELETE FROM {quote(t)}" for t in reversed(db.metadata.sorted_tables)]
    return _EMPTYING[key]


_EMPTYING: dict[tuple[str, int], list[str]] = {}


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
                for statement in _emptying_statements(conn):
                    conn.exec_driver_sql(statement)


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """A fresh app on an empty schema, whose test clients run each request as a real server
    does (tests/support/client.py)."""
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


class Clock:
    """time.time() under a test's control (see the `clock` fixture)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze time.time() (rate-limit windows, form tokens) and move it with advance().

    Database timestamps come from datetime and are not moved.
    """
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


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
