"""The API's tests see every change at once: its one-second memo of the events' state is off."""

from __future__ import annotations

import pytest

from campaign.api import views


@pytest.fixture(autouse=True)
def no_state_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "STATE_SECONDS", 0)
