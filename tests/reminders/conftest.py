"""Fixtures for the reminder and delivery tests: a real SMTP server on loopback, the app
wired to it, the current time passed in, fresh PostgreSQL databases, and a check that
every message the server accepted is well formed."""

from __future__ import annotations

import email
import functools
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from campaign import create_app
from campaign.core.timeutil import to_local
from campaign.events import services as event_services
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail import jobs as mail_jobs
from campaign.mail.models import STATUS_CANCELLED, OutboxMessage
from campaign.reminders import jobs as reminder_jobs
from campaign.signups import seats as signup_seats
from campaign.signups import services as signup_services
from campaign.signups.models import Registration
from tests.conftest import REPO_ROOT, require_postgres
from tests.support.smtp import Attempt, SMTPServer

SECRET = "test-secret-key-not-for-production"
# The headers a delivered message may carry at the top level, and nothing else.
ALLOWED_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "reply-to",
    "auto-submitted",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:(?:[ \t]|$)|^[ \t]")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    """A loopback SMTP server; every message it accepted is checked when the test ends."""
    server = SMTPServer().start()
    yield server
    server.stop()
    for attempt in server.attempts:
        assert_well_formed(attempt)


def smtp_settings(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT": 5,
        **extra,
    }


@pytest.fixture
def app_config(
    app_config: dict[str, Any], smtp: SMTPServer, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """SMTP to the loopback server, plus tests.core.support.with_config() overrides."""
    return {
        **app_config,
        **smtp_settings(smtp.port),
        "SIGNUP_MIN_SECONDS": 0,
        **getattr(request, "param", {}),
    }


def base_time() -> datetime:
    """A start on the hour 30 days from now: far enough for every default offset."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(days=30)


@pytest.fixture
def organizer(make_organizer: Callable[..., Any]) -> Any:
    return make_organizer(email="organizer.a@example.org")


@pytest.fixture
def event_at(make_event: Callable[..., Event], organizer: Any) -> Callable[..., Event]:
    """event_at(starts_at, **fields): a published event starting then, two hours long."""

    def make(starts_at: datetime, **fields: Any) -> Event:
        fields.setdefault("ends_at", starts_at + timedelta(hours=2))
        return make_event(organizer, starts_at=starts_at, **fields)

    return make


def register(event: Event, email: str, now: datetime, name: str = "Sam Jones") -> int:
    """Register through the sign-up service at `now`, committed; the registration id."""
    result = signup_services.register(
        event.id, signup_services.SignupInput(name=name, email=email), now, SECRET
    )
    db.session.commit()
    return result.registration_id


def bulk_registrations(event_id: int, count: int, created_at: datetime, prefix: str = "p") -> None:
    """Insert `count` confirmed registrations at once (for the big runs)."""
    rows = [
        {
            "event_id": event_id,
            "name": f"Person {i}",
            "email": f"{prefix}{i}@example.org",
            "status": "confirmed",
            "token_nonce": secrets.token_hex(16),
            "token_hash": secrets.token_hex(32),
            "referral_code": f"{prefix[:4]}{i}x{event_id}",
            "is_consenting_to_updates": False,
            "is_name_on_card": False,
            "is_unsubscribed": False,
            "created_at": created_at,
            "confirmed_at": created_at,
        }
        for i in range(count)
    ]
    db.session.connection().execute(Registration.__table__.insert(), rows)
    db.session.commit()


def bulk_outbox(count: int, now: datetime, prefix: str = "m") -> None:
    """Insert `count` due outbox rows without content (for the claim tests)."""
    token = secrets.token_hex(4)
    rows = [
        {
            "kind": "reminder",
            "to_email": f"{prefix}{i}@example.org",
            "params": {},
            "headers": {},
            "message_id": f"<{prefix}{i}.{token}@campaign.example.org>",
            "dedupe_key": f"test:{token}:{prefix}{i}",
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for i in range(count)
    ]
    db.session.connection().execute(OutboxMessage.__table__.insert(), rows)
    db.session.commit()


def tick(now: datetime) -> dict[str, int]:
    """The reminders job at `now`."""
    return reminder_jobs.run_reminders(now)


def deliver(now: datetime) -> dict[str, int]:
    """The delivery job at `now` (SMTP, as configured)."""
    result = mail_jobs.run_delivery(now)
    db.session.rollback()
    return result


def rows(kind: str | None = None, **where: Any) -> list[OutboxMessage]:
    """Outbox rows as committed now, oldest first."""
    db.session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def delivered(smtp: SMTPServer, kind: str | None = None, to: str | None = None) -> list[Any]:
    """Accepted messages, oldest first, optionally only of one outbox kind or recipient."""
    kinds = {r.message_id: r.kind for r in rows()}
    return [
        a.message()
        for a in smtp.received
        if (kind is None or kinds.get(a.message_id or "") == kind)
        and (to is None or to in a.rcpt_tos)
    ]


def reminder_offsets_queued(registration_id: int) -> list[int]:
    """The offsets (minutes) of the reminders queued for a registration, largest first
    (not those recorded as skipped for being found too late)."""
    found = rows("reminder", registration_id=registration_id)
    return sorted((int(r.params["offset"]) for r in found if not _skipped(r)), reverse=True)


def _skipped(row: OutboxMessage) -> bool:
    return row.status == STATUS_CANCELLED and (row.last_error or "").startswith("skipped:")


def reschedule(event_id: int, new_start: datetime, now: datetime) -> int:
    """The organizer moves the event (same length); returns the change notices queued."""
    event = signup_seats.lock_event(event_id)
    assert event is not None
    length = event.ends_at - event.starts_at
    tz = event.timezone
    data = event_services.EventInput(
        title=event.title,
        starts_local=to_local(new_start, tz).replace(tzinfo=None),
        ends_local=to_local(new_start + length, tz).replace(tzinfo=None),
        timezone=tz,
        format=event.format,
        summary=event.summary,
        description=event.description,
        venue=event.venue,
        address=event.address,
        city=event.city,
        region=event.region,
        country=event.country,
        join_url=event.join_url,
        capacity=event.capacity,
        is_waitlist_enabled=event.is_waitlist_enabled,
        accessibility_notes=event.accessibility_notes,
    )
    changed = event_services.update_event(event, data)
    notices = signup_seats.on_event_updated(event, changed, now)
    db.session.commit()
    return notices


def cancel_event(event_id: int, now: datetime) -> None:
    event = signup_seats.lock_event(event_id)
    assert event is not None
    event_services.cancel(event, now)
    signup_seats.on_event_cancelled(event, now)
    db.session.commit()


# --- the shape of every delivered message ---------------------------------------------


def assert_well_formed(attempt: Attempt) -> None:
    """One recipient, a valid Message-ID and Date, text and HTML alternatives, no header
    line that is not a header, and any calendar attachment parses.

    Parsed with the fast compat32 parser: the big runs check thousands of messages.
    """
    head = attempt.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    for line in head.split(b"\n"):
        assert _HEADER_LINE.match(line), f"not a header line: {line!r}"
    message = email.message_from_bytes(attempt.data)
    names = {name.lower() for name in message}
    assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
    for name in ("Subject", "From", "To", "Date", "Message-ID"):
        assert len(message.get_all(name) or []) == 1, name
    assert len(attempt.rcpt_tos) == 1, attempt.rcpt_tos
    to = getaddresses([str(v) for v in message.get_all("To") or []])
    assert [address for _, address in to] == list(attempt.rcpt_tos)
    assert _MESSAGE_ID.fullmatch(str(message["Message-ID"])), message["Message-ID"]
    assert parsedate_to_datetime(str(message["Date"])).tzinfo is not None
    assert message.is_multipart()
    alternatives = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    assert len(alternatives) == 1
    inner = [p.get_content_type() for p in alternatives[0].get_payload()]
    assert inner == ["text/plain", "text/html"], inner
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            assert _vevents_in(part.get_payload(decode=True)) == 1


@functools.lru_cache(maxsize=64)
def _vevents_in(ics: bytes) -> int:
    """How many VEVENTs a calendar file holds (it must parse); many messages share one."""
    return len(Calendar.from_ical(ics).walk("VEVENT"))


def parse_calendar(part: Any) -> Calendar:
    content = part.get_content()
    if isinstance(content, str):
        content = content.encode()
    return Calendar.from_ical(content)


def calendar_of(message: EmailMessage) -> Calendar | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return parse_calendar(part)
    return None


def text_of(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_content())
    return ""


# --- PostgreSQL: a fresh database per test ----------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def migrate(url: str, instance: Path) -> None:
    """flask db upgrade against url, in a subprocess, as an operator would run it."""
    env = {
        **os.environ,
        "CAMPAIGN_DATABASE_URL": url,
        "CAMPAIGN_ENV": "testing",
        "CAMPAIGN_SECRET_KEY": SECRET,
        "CAMPAIGN_INSTANCE_PATH": str(instance),
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "campaign", "db", "upgrade"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(server URL, name of a migrated database) that the fresh databases are copied from.

    Migrated once per session with `flask db upgrade` in a subprocess; never used
    directly, so it holds no rows and no statistics. Dropped at the end.
    """
    server = require_postgres()
    name = f"reminders_tpl_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        migrate(_with_database(server, name), tmp_path_factory.mktemp("pg-template"))
        yield server, name
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture
def fresh_postgres(postgres_template: tuple[str, str]) -> Iterator[str]:
    """A new, migrated PostgreSQL database for this test only; dropped afterwards."""
    server, template = postgres_template
    name = f"reminders_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')  # type: ignore[arg-type]
        # The tests kill app processes, never the database server: no need to wait for
        # the disk on every commit.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')  # type: ignore[arg-type]
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture
def pg_app(fresh_postgres: str, app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """An app on the fresh PostgreSQL database (no app context pushed)."""
    config = {**app_config, "DATABASE_URL": fresh_postgres}
    config["INSTANCE_PATH"] = str(tmp_path / "pg-app")
    Path(config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    application = create_app(config)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
