"""Fixtures for sign-up tests: registering through the real form, reading the outbox and
the delivered MIME messages, and editing events through the organizer's form."""

from __future__ import annotations

import email
import email.policy
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import func, select

from campaign.core.timeutil import to_local, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.backends import FileBackend
from campaign.mail.delivery import deliver_due
from campaign.mail.models import OutboxMessage
from campaign.signups import guard, services
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token

BASE_URL = "https://campaign.example.org"


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The shared test config, no minimum fill time, plus tests.core.support.with_config()."""
    return {**app_config, "SIGNUP_MIN_SECONDS": 0, **getattr(request, "param", {})}


def sign_started(event: Event, seconds_ago: float = 0, kind: str = guard.KIND_FORM) -> str:
    """A fresh form token, as if the form was shown `seconds_ago` seconds ago."""
    secret = current_app.config["SECRET_KEY"]
    return guard.form_token(secret, event.slug, kind, time.time() - seconds_ago)


@pytest.fixture
def signup(app: Flask, client: FlaskClient) -> Callable[..., Any]:
    """signup(event, name=..., email=..., **extra form fields) -> response.

    The form carries no CSRF token (campaign.signups.guard): its signed one-time token
    is the protection.
    """

    def post(event: Any, name: str = "Sam Jones", email: str = "sam@example.org", **extra: Any):
        data = {
            "name": name,
            "email": email,
            "started": sign_started(event, 60),
            "website": "",
            "ref": "",
        }
        data.update(extra)
        kwargs = {k: data.pop(k) for k in ("headers", "environ_base", "base_url") if k in data}
        return client.post(f"/events/{event.slug}/register", data=data, **kwargs)

    return post


@pytest.fixture
def register(app: Flask) -> Callable[..., Registration]:
    """register(event, name, email, now=..., **input) through the service, committed."""

    def do(
        event: Event, name: str, email: str, now: datetime | None = None, **fields: Any
    ) -> Registration:
        event_id = event.id
        services.register(
            event_id,
            services.SignupInput(name=name, email=email, **fields),
            now or utcnow(),
            app.config["SECRET_KEY"],
        )
        db.session.commit()
        registration = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event_id, Registration.email == email.lower()
            )
        )
        assert registration is not None
        return registration

    return do


def manage_link(text: str) -> str:
    """The /r/<token> path from a mail body."""
    match = re.search(r"https://campaign\.example\.org(/r/[A-Za-z0-9_-]+)", text)
    assert match, "no manage link in the mail"
    return match.group(1)


def outbox(kind: str | None = None, to: str | None = None) -> list[OutboxMessage]:
    """Outbox rows as committed now, oldest first."""
    db.session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if to:
        query = query.where(OutboxMessage.to_email == to)
    return list(db.session.scalars(query))


def registrations(event_id: int | None = None) -> list[Registration]:
    """Registrations as committed now, in arrival order."""
    db.session.rollback()
    query = select(Registration).order_by(Registration.id)
    if event_id is not None:
        query = query.where(Registration.event_id == event_id)
    return list(db.session.scalars(query))


def count(model: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def only_registration(email: str) -> Registration:
    db.session.rollback()
    rows = list(db.session.scalars(select(Registration).where(Registration.email == email)))
    assert len(rows) == 1, rows
    return rows[0]


def token_of(email: str) -> str:
    """The manage token of the active (else latest) registration of an address.

    Derived the way the mails derive it; test_manage checks it against a delivered mail.
    """
    db.session.rollback()
    rows = list(
        db.session.scalars(
            select(Registration).where(Registration.email == email).order_by(Registration.id)
        )
    )
    assert rows, f"no registration for {email}"
    active = [r for r in rows if r.is_active] or rows
    return manage_token(current_app.config["SECRET_KEY"], active[-1].token_nonce)


@dataclass
class Delivered:
    """One delivered message with the outbox row it came from."""

    kind: str
    to: str
    registration_id: int | None
    message: EmailMessage

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                content = part.get_content()
                return content.decode() if isinstance(content, bytes) else content
        return ""

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")

    @property
    def ics(self) -> str:
        """The attached calendar, RFC 5545 line folding undone."""
        return self.part("text/calendar").replace("\r\n ", "").replace("\n ", "")


def delivered(app: Flask, directory: Path) -> list[Delivered]:
    """Deliver everything due; each message with its row's kind and recipient."""
    messages = deliver(app, directory)
    rows = {row.message_id: row for row in outbox()}
    found = []
    for message in messages:
        row = rows[str(message["Message-ID"])]
        found.append(Delivered(row.kind, row.to_email, row.registration_id, message))
    return found


def deliver(app: Flask, directory: Path) -> list[EmailMessage]:
    """Deliver everything queued through the file backend; the parsed messages, in order."""
    directory.mkdir(parents=True, exist_ok=True)
    before = set(directory.glob("*.eml"))
    while deliver_due(FileBackend(str(directory)), app.config["MAIL_SENDER"]).claimed:
        pass
    db.session.rollback()
    files = sorted(set(directory.glob("*.eml")) - before, key=lambda p: p.stat().st_mtime_ns)
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in files
    ]


def field_error(page: str, field: str) -> str | None:
    """The error text shown beside a field (id="<field>-error"), or None."""
    match = re.search(rf'<p class="error-text" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def input_value(page: str, field: str) -> str | None:
    """The value attribute of the <input> whose id is field."""
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(rf'\bid="{re.escape(field)}"', tag):
            match = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    return None


def signup_form(page: str) -> tuple[str, dict[str, str]]:
    """The sign-up form on a page as a browser would send it: (action, fields).

    Text and hidden inputs with their values, ticked checkboxes only.
    """
    match = re.search(
        r'<form method="post" action="([^"]+)" class="signup-form".*?</form>', page, re.S
    )
    assert match, "no sign-up form on the page"
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", match.group(0)):
        name = re.search(r'\bname="([^"]+)"', tag)
        if not name:
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return html.unescape(match.group(1)), fields


def is_second_step(response: Any, status: int = 200) -> bool:
    """The answer is the one-click "confirm your registration" page (400 when it answers a
    form the browser says was sent from another site)."""
    page = response.get_data(as_text=True)
    return response.status_code == status and "Confirm your registration" in page


def press(client: FlaskClient, response: Any, **headers_and_environ: Any) -> Any:
    """Send the sign-up form of a page (a second step or a limited answer) as it stands."""
    action, fields = signup_form(response.get_data(as_text=True))
    return client.post(action, data=fields, **headers_and_environ)


def hrefs(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]


def event_form_data(event: Event, **changes: Any) -> dict[str, Any]:
    """What the organizer's edit form holds for event, with changes applied."""
    fmt = "%Y-%m-%dT%H:%M"
    data: dict[str, Any] = {
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "timezone": event.timezone,
        "starts_local": to_local(event.starts_at, event.timezone).strftime(fmt),
        "ends_local": to_local(event.ends_at, event.timezone).strftime(fmt),
        "format": event.format,
        "venue": event.venue,
        "address": event.address,
        "city": event.city,
        "region": event.region,
        "country": event.country,
        "join_url": event.join_url,
        "capacity": "" if event.capacity is None else str(event.capacity),
        "accessibility_notes": event.accessibility_notes,
    }
    if event.is_waitlist_enabled:
        data["is_waitlist_enabled"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def edit_event(client: FlaskClient, event_id: int, **changes: Any) -> Any:
    """Post the organizer's edit form for an event (the client must be signed in)."""
    db.session.rollback()
    event = db.session.get(Event, event_id)
    assert event is not None
    page = client.get(f"/manage/events/{event_id}/edit")
    assert page.status_code == 200, page.status_code
    response = client.post(
        f"/manage/events/{event_id}/edit", data=event_form_data(event, **changes)
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return response


def count_renders(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[str]:
    """The slugs of the events module.name renders from now on (a page served from
    memory renders none); name takes the event as its first argument."""
    seen: list[str] = []
    real = getattr(module, name)

    def counting(event: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(event.slug)
        return real(event, *args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return seen
