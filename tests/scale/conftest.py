"""Fixtures for the scale tests: a campaign filled by the scale seeder."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import current_app

from campaign.campaigns.models import Campaign
from campaign.campaigns.scale import ScaleFill, ScalePlan
from campaign.core.timeutil import utcnow
from campaign.extensions import db


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
