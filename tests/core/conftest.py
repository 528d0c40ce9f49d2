"""Fixtures for these tests: per-test config overrides and clients isolated per request."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.core.support import IsolatedClient


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The shared test config plus what a test passes with support.with_config(...)."""
    return {**app_config, **getattr(request, "param", {})}


@pytest.fixture
def app(app: Flask) -> Flask:
    """The shared app, whose test clients run each request in its own app context."""
    app.test_client_class = IsolatedClient
    return app
