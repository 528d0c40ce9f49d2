"""Fixtures for sign-up tests: a helper that registers through the real form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from campaign.signups.forms import started_token


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["SIGNUP_MIN_SECONDS"] = 0
    return app_config


@pytest.fixture
def signup(client: FlaskClient) -> Callable[..., Any]:
    """signup(event, name=..., email=..., **extra form fields) -> response."""

    def post(event: Any, name: str = "Sam Jones", email: str = "sam@example.org", **extra: Any):
        data = {
            "name": name,
            "email": email,
            "started": started_token(event.id),
            "website": "",
            "ref": "",
        }
        data.update(extra)
        return client.post(f"/events/{event.slug}/register", data=data)

    return post


def manage_link(text: str) -> str:
    """The /r/<token> path from a mail body."""
    match = re.search(r"https://campaign\.example\.org(/r/[A-Za-z0-9_-]+)", text)
    assert match, "no manage link in the mail"
    return match.group(1)
