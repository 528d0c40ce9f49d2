"""Fixtures for these tests: per-test config overrides (support.with_config)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The shared test config plus what a test passes with support.with_config(...)."""
    return {**app_config, **getattr(request, "param", {})}
