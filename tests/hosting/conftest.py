"""Fixtures for hosting: a proposal posted through the public form, the host's link read
from the delivered mail, and a signed-in reviewer's client."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.extensions import db
from campaign.hosting.models import HostProposal
from campaign.signups import guard
from tests.conftest import login
from tests.signups.conftest import delivered

BASE_URL = "https://campaign.example.org"
_HOST_LINK = re.compile(re.escape(BASE_URL) + r"/host/([A-Za-z0-9_-]{20,})")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The shared test config with no minimum form fill time."""
    return {**app_config, "SIGNUP_MIN_SECONDS": 0}


def next_week(hour: int = 18) -> str:
    """A datetime-local value a week from today."""
    return f"{date.today() + timedelta(days=7):%Y-%m-%d}T{hour:02d}:00"


def resend_form(email: str) -> dict[str, Any]:
    """ "Email my link" as the /host/resend form posts it, with a fresh form token."""
    return {
        "email": email,
        "website": "",
        "started": guard.form_token(guard.form_keys(), "host:resend"),
    }


def proposal_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid proposal as the form posts it, with a fresh form token."""
    values: dict[str, Any] = {
        "name": "Ana Host",
        "email": "ana.host@example.org",
        "note": "I run the book club at the library.",
        "title": "Library evening on ketamine facts",
        "summary": "A short talk and questions.",
        "description": "We meet in the reading room.",
        "timezone": "Europe/London",
        "starts_local": next_week(18),
        "ends_local": next_week(20),
        "format": "in_person",
        "venue": "Central Library",
        "city": "Bristol",
        "country": "United Kingdom",
        "capacity": "30",
        "is_waitlist_enabled": "y",
        "started": guard.form_token(guard.form_keys(), "host:proposal"),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture
def propose(app: Flask, campaign: Any) -> Callable[..., Any]:
    """propose(**form overrides) -> the response of POST /host from a fresh browser."""

    def post(**overrides: Any) -> Any:
        return app.test_client().post("/host", data=proposal_form(**overrides))

    return post


def host_links(app: Flask, tmp_path: Path, to: str = "ana.host@example.org") -> list[str]:
    """Deliver the queued mail; the host-link tokens in the messages to `to`, in order."""
    tokens = []
    for message in delivered(app, tmp_path / "mail"):
        if message.to == to:
            tokens += _HOST_LINK.findall(message.text)
    return tokens


def only_proposal() -> HostProposal:
    db.session.rollback()
    rows = list(db.session.scalars(db.select(HostProposal)))
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def reviewer_client(app: Flask, make_organizer: Callable[..., Any]) -> FlaskClient:
    """A browser signed in as an admin (who reviews)."""
    admin = make_organizer(email="admin@example.org", admin=True)
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    client.admin_id = admin.id  # type: ignore[attr-defined]
    return client


@pytest.fixture
def confirmed_proposal(
    app: Flask, propose: Callable[..., Any], tmp_path: Path
) -> tuple[HostProposal, str]:
    """A proposal whose host confirmed by the mailed link: (proposal, host token)."""
    assert propose().status_code == 303
    [token] = host_links(app, tmp_path)
    response = app.test_client().post(f"/host/{token}/confirm")
    assert response.status_code == 303
    return only_proposal(), token


@pytest.fixture
def approved_event(
    confirmed_proposal: tuple[HostProposal, str], reviewer_client: FlaskClient
) -> tuple[HostProposal, str]:
    """The confirmed proposal approved by an admin: (proposal, host token)."""
    proposal, token = confirmed_proposal
    response = reviewer_client.post(
        f"/manage/proposals/{proposal.id}/approve",
        data={"owner": str(reviewer_client.admin_id)},  # type: ignore[attr-defined]
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return only_proposal(), token
