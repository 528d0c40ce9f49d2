"""Fixtures for the scale tests: a campaign filled by the scale seeder, and a query counter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import event

from campaign.campaigns.models import Campaign
from campaign.campaigns.scale import ScaleFill, ScalePlan
from campaign.core.timeutil import utcnow
from campaign.extensions import db


@dataclass
class QueryLog:
    """The SQL statements run while the counter was open."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(app: Flask) -> Iterator[QueryLog]:
    """Count every statement the app's engine sends (cursor executes) inside the block."""
    log = QueryLog()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        log.statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def fill_campaign(campaign: Campaign) -> Callable[..., ScaleFill]:
    """Factory: fill_campaign(events, registrations) adds rows with the scale seeder."""
    campaign_id, day = campaign.id, campaign.day

    def fill(events: int, registrations: int, seed: int = 7) -> ScaleFill:
        filler = ScaleFill(
            campaign_id=campaign_id,
            campaign_day=day,
            plan=ScalePlan(events, registrations, batch=200, seed=seed),
            now=utcnow(),
            secret_key=current_app.config["SECRET_KEY"],
        )
        for _ in filler.batches():
            db.session.commit()
        return filler

    return fill
