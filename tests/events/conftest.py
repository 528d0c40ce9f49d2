"""Fixtures for the event tests: a signed-in organizer, form data, row counts, page parsing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer

FORM_FORMAT = "%Y-%m-%dT%H:%M"


def local_day(days_ahead: int, tz: str = "Europe/London") -> date:
    """The calendar date days_ahead days from today in tz."""
    return datetime.now(ZoneInfo(tz)).date() + timedelta(days=days_ahead)


def form_time(day: date, hour: int, minute: int = 0) -> str:
    """A datetime-local input value."""
    return (
        datetime.combine(day, datetime.min.time())
        .replace(hour=hour, minute=minute)
        .strftime(FORM_FORMAT)
    )


def event_form(**overrides: Any) -> dict[str, Any]:
    """What an organizer would post for a valid in-person event two weeks from now."""
    day = local_day(14)
    data: dict[str, Any] = {
        "title": "Community Talk on Ketamine",
        "summary": "An evening talk.",
        "description": "We will talk about *facts*.",
        "timezone": "Europe/London",
        "starts_local": form_time(day, 18),
        "ends_local": form_time(day, 20),
        "format": "in_person",
        "venue": "Town Hall",
        "address": "1 Main Street",
        "city": "Leeds",
        "region": "England",
        "country": "United Kingdom",
        "join_url": "",
        "capacity": "",
        "is_waitlist_enabled": "y",
        "accessibility_notes": "Step-free access.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count_events() -> int:
    """How many event rows exist."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Event)) or 0


def get_event(event_id: int) -> Event:
    """The event as stored now (not a cached copy)."""
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    assert event is not None
    return event


def field_error(page: str, field: str) -> str | None:
    """The text of the error paragraph tied to field, or None when there is none."""
    match = re.search(rf'<p class="error-text" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def input_value(page: str, field: str) -> str | None:
    """The value attribute of the <input> whose id is field."""
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(rf'\bid="{re.escape(field)}"', tag):
            match = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(match.group(1)) if match else ""
    return None


def textarea_value(page: str, field: str) -> str | None:
    """The content of the <textarea> whose id is field."""
    match = re.search(
        rf'<textarea\b[^>]*\bid="{re.escape(field)}"[^>]*>(.*?)</textarea>', page, re.S
    )
    return html.unescape(match.group(1)).removeprefix("\r").removeprefix("\n") if match else None


def selected_option(page: str, field: str) -> str | None:
    """The selected option's value of the <select> whose id is field."""
    match = re.search(rf'<select\b[^>]*\bid="{re.escape(field)}"[^>]*>(.*?)</select>', page, re.S)
    if not match:
        return None
    option = re.search(r"<option\b[^>]*\bselected\b[^>]*>", match.group(1))
    if not option:
        return None
    value = re.search(r'value="([^"]*)"', option.group(0))
    return html.unescape(value.group(1)) if value else None


def checked_radio(page: str, name: str) -> str | None:
    """The value of the checked radio button called name."""
    for tag in re.findall(r"<input\b[^>]*>", page):
        if f'name="{name}"' in tag and 'type="radio"' in tag and "checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            return value.group(1) if value else None
    return None


def edit_form_values(page: str) -> dict[str, str]:
    """Everything the edit form shows, as a browser would post it back."""
    data: dict[str, str] = {}
    for name in (
        "title",
        "summary",
        "starts_local",
        "ends_local",
        "venue",
        "city",
        "region",
        "country",
        "latitude",
        "longitude",
        "join_url",
        "capacity",
    ):
        value = input_value(page, name)
        assert value is not None, f"no input {name}"
        data[name] = value
    for name in ("description", "address", "accessibility_notes"):
        value = textarea_value(page, name)
        assert value is not None, f"no textarea {name}"
        data[name] = value
    data["timezone"] = selected_option(page, "timezone") or ""
    data["format"] = checked_radio(page, "format") or ""
    waitlist = re.search(r'<input\b[^>]*id="is_waitlist_enabled"[^>]*>', page)
    if waitlist and "checked" in waitlist.group(0):
        data["is_waitlist_enabled"] = "y"
    return data


def created_id(response: Any) -> int:
    """The event id from the redirect after a successful save."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/manage/events/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


@pytest.fixture
def organizer(make_organizer: Callable[..., Organizer], campaign: Any) -> Organizer:
    """A plain (non-admin) organizer of the campaign."""
    return make_organizer()


@pytest.fixture
def signed_in(client: FlaskClient, organizer: Organizer, login_as: Callable[..., Any]) -> Organizer:
    """The organizer, signed in on `client`."""
    login_as(organizer)
    return organizer


@pytest.fixture
def create_via_form(client: FlaskClient, signed_in: Organizer) -> Callable[..., int]:
    """Factory: create_via_form(**overrides) posts the new-event form and returns the id."""

    def create(**overrides: Any) -> int:
        return created_id(client.post("/manage/events/new", data=event_form(**overrides)))

    return create
