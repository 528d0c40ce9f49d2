"""`flask seed-demo`: a believable campaign dated relative to the day it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer
from tests.campaigns.test_home import _countdown
from tests.conftest import login


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _campaign_today():
    """Today where the demo campaign counts its days (it runs in New York time)."""
    return utcnow().astimezone(ZoneInfo("America/New_York")).date()


def _seed(runner, *args: str):
    return runner.invoke(args=["seed-demo", *args])


@pytest.fixture
def app_config(app_config):
    """An offset other than the default, so the test proves the setting is read."""
    app_config["DEMO_DAY_OFFSET_DAYS"] = 40
    return app_config


def test_seed_creates_the_campaign_offset_from_today(app, runner):
    assert app.config["DEMO_DAY_OFFSET_DAYS"] == 40
    before = _campaign_today()
    result = _seed(runner)
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign))
    assert campaign.name == "National Ketamine Day"
    assert campaign.slug == "national-ketamine-day"
    assert campaign.disclaimer and "not medical advice" in campaign.disclaimer.lower()
    assert campaign.tagline and campaign.hashtag.startswith("#")
    # "Today" is taken when the command runs; allow a date change while it runs.
    assert campaign.day - before in (timedelta(days=40), timedelta(days=41))
    assert "National Ketamine Day" in result.output


@pytest.mark.parametrize("offset", [7, 40, 90])
def test_the_offset_setting_moves_the_day(app_config, offset, tmp_path):
    from campaign import create_app
    from tests.conftest import _reset_database

    app_config["DEMO_DAY_OFFSET_DAYS"] = offset
    app = create_app(app_config)
    _reset_database(app)
    with app.app_context():
        before = _campaign_today()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        day = db.session.scalar(select(Campaign.day))
        assert day - before in (timedelta(days=offset), timedelta(days=offset + 1))
        db.session.remove()
        db.engine.dispose()


def test_seeded_events_are_varied_and_in_the_coming_weeks(app, runner):
    now = utcnow()
    assert _seed(runner).exit_code == 0
    campaign = db.session.scalar(select(Campaign))
    events = list(db.session.scalars(select(Event)))
    assert 6 <= len(events) <= 12
    published = [e for e in events if e.status == "published"]
    assert len(published) >= 6
    assert len({e.timezone for e in published}) >= 3
    assert {"in_person", "online", "hybrid"} <= {e.format for e in published}
    last = datetime.combine(campaign.day, datetime.min.time(), tzinfo=UTC) + timedelta(days=3)
    for event in events:
        assert event.starts_at > now, event.title
        assert event.starts_at < last, event.title
        assert event.ends_at > event.starts_at
        assert event.campaign_id == campaign.id
        assert event.starts_at.tzinfo is UTC
    # At least one event on the day itself, in its own zone.
    assert any(e.starts_at.astimezone(ZoneInfo(e.timezone)).date() == campaign.day for e in events)
    online = [e for e in published if e.format in ("online", "hybrid")]
    assert all(e.join_url.startswith("https://") for e in online)
    assert len({e.slug for e in events}) == len(events)


def test_seeded_site_is_alive(app, runner, client):
    assert _seed(runner).exit_code == 0
    home = client.get("/").get_data(as_text=True)
    assert "National Ketamine Day" in home
    assert "days to go" in _countdown(home)
    listing = client.get("/events")
    assert listing.status_code == 200
    assert listing.get_data(as_text=True).count('class="event-card"') >= 6
    for event in db.session.scalars(select(Event).where(Event.status == "published")):
        page = client.get(f"/events/{event.slug}")
        assert page.status_code == 200, event.slug
        if event.join_url:
            assert event.join_url not in page.get_data(as_text=True)


def test_countdown_after_seeding_matches_the_offset(app, runner, client, monkeypatch):
    # 02:00 UTC is still the previous evening in New York, the demo campaign's zone.
    fixed = datetime.combine(utcnow().date() + timedelta(days=1), datetime.min.time(), UTC)
    fixed += timedelta(hours=2)
    monkeypatch.setattr("campaign.core.timeutil.utcnow", lambda: fixed)
    monkeypatch.setattr("campaign.campaigns.views.utcnow", lambda: fixed)
    assert _seed(runner).exit_code == 0
    assert _countdown(client.get("/").get_data(as_text=True)) == "40 days to go"


def test_second_run_fails_without_if_empty(app, runner):
    assert _seed(runner).exit_code == 0
    campaigns, events = _count(Campaign), _count(Event)
    result = _seed(runner)
    assert result.exit_code != 0
    assert "already" in result.output
    assert (_count(Campaign), _count(Event)) == (campaigns, events)


def test_if_empty_is_a_no_op_on_a_seeded_database(app, runner):
    result = _seed(runner, "--if-empty")
    assert result.exit_code == 0
    campaigns, events = _count(Campaign), _count(Event)
    assert campaigns == 1
    result = _seed(runner, "--if-empty")
    assert result.exit_code == 0, result.output
    assert (_count(Campaign), _count(Event)) == (campaigns, events)


def test_if_empty_leaves_an_existing_campaign_alone(app, runner, campaign):
    result = _seed(runner, "--if-empty")
    assert result.exit_code == 0
    assert _count(Campaign) == 1
    assert _count(Event) == 0


def test_demo_events_owner_cannot_sign_in(app, runner, client):
    assert _seed(runner).exit_code == 0
    team = db.session.scalar(select(Organizer))
    assert team is not None
    assert not team.is_enabled
    response = login(client, team.email, "")
    assert response.status_code != 302
    assert login(client, team.email, "anything at all").status_code != 302
