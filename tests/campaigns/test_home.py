"""The campaign home page: a server-rendered countdown, live totals, the disclaimer everywhere."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from tests.conftest import login


def _campaign_today(campaign) -> date:
    return utcnow().astimezone(ZoneInfo(campaign.timezone)).date()


def _set_day(campaign, day: date) -> None:
    campaign.day = day
    db.session.commit()


def _countdown(page: str) -> str:
    """The visible text of the countdown block, without markup."""
    match = re.search(r'<div class="countdown"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no countdown on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


@pytest.mark.parametrize("days", [2, 10, 28, 365])
def test_countdown_shows_days_to_go_without_javascript(client, campaign, days):
    _set_day(campaign, _campaign_today(campaign) + timedelta(days=days))
    page = client.get("/").get_data(as_text=True)
    assert _countdown(page) == f"{days} days to go"
    assert f'data-countdown="{campaign.day.isoformat()}"' in page


def test_countdown_one_day(client, campaign):
    _set_day(campaign, _campaign_today(campaign) + timedelta(days=1))
    assert _countdown(client.get("/").get_data(as_text=True)) == "1 day to go"


def test_countdown_on_the_day(client, campaign):
    _set_day(campaign, _campaign_today(campaign))
    assert _countdown(client.get("/").get_data(as_text=True)) == "It's today!"


def test_countdown_after_the_day(client, campaign):
    _set_day(campaign, _campaign_today(campaign) - timedelta(days=3))
    text = _countdown(client.get("/").get_data(as_text=True))
    assert "to go" not in text
    assert "today" not in text.lower()


def test_countdown_counts_in_the_campaign_zone(client, campaign, monkeypatch):
    # 03:00 UTC on the 10th is still the evening of the 9th in New York.
    fixed = datetime(2031, 3, 10, 3, 0, tzinfo=UTC)
    monkeypatch.setattr("campaign.campaigns.views.utcnow", lambda: fixed)
    campaign.timezone = "America/New_York"
    _set_day(campaign, date(2031, 3, 10))
    assert _countdown(client.get("/").get_data(as_text=True)) == "1 day to go"
    campaign.timezone = "Europe/London"
    _set_day(campaign, date(2031, 3, 10))
    assert _countdown(client.get("/").get_data(as_text=True)) == "It's today!"


def _stat(page: str, label: str) -> int:
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>(\d+)</dd>", page)
    assert match, f"no {label} on the page"
    return int(match.group(1))


def test_totals_count_upcoming_public_events_and_cities(client, make_organizer, make_event):
    organizer = make_organizer()
    make_event(organizer, city="Leeds")
    make_event(organizer, city="leeds")
    make_event(organizer, city="York", format="hybrid")
    make_event(organizer, city="", venue="", format="online")
    make_event(organizer, city="Paris", status="draft", published_at=None)
    make_event(organizer, city="Rome", status="cancelled")
    past = utcnow() - timedelta(days=3)
    make_event(organizer, city="Oslo", starts_at=past, ends_at=past + timedelta(hours=1))
    page = client.get("/").get_data(as_text=True)
    assert _stat(page, "Upcoming events") == 4
    assert _stat(page, "Cities") == 2
    assert _stat(page, "Join online") == 2


def test_totals_are_zero_without_events(client, campaign):
    page = client.get("/").get_data(as_text=True)
    assert _stat(page, "Upcoming events") == 0
    assert _stat(page, "Cities") == 0
    assert "No events are published yet" in page


def test_home_lists_next_events_soonest_first(client, make_organizer, make_event):
    organizer = make_organizer()
    now = utcnow()
    for title, days in (("Later", 5), ("Sooner", 2)):
        start = now + timedelta(days=days)
        make_event(organizer, title=title, starts_at=start, ends_at=start + timedelta(hours=1))
    page = client.get("/").get_data(as_text=True)
    assert page.index("Sooner") < page.index("Later")


def test_disclaimer_on_every_public_page(client, campaign, make_organizer, make_event):
    campaign.disclaimer = "Educational only: not medical advice, ask a healthcare provider (test)."
    db.session.commit()
    event = make_event(make_organizer())
    cancelled = make_event(make_organizer(), status="cancelled")
    for path in (
        "/",
        "/events",
        "/events?page=9",
        f"/events/{event.slug}",
        f"/events/{cancelled.slug}",
        "/manage/login",
        "/no-such-page",
        "/events/no-such-event",
    ):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        page = response.get_data(as_text=True)
        assert "ask a healthcare provider (test)" in page, path


def test_default_disclaimer_without_a_campaign(client, app):
    for path in ("/", "/manage/login", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        assert "not medical advice" in page, path


def test_404_page_has_no_traceback(client, campaign):
    response = client.get("/events/%ff%fe")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    assert "Page not found" in page


def test_dashboard_countdown_follows_the_day(client, campaign, make_organizer):
    admin = make_organizer(admin=True)
    _set_day(campaign, _campaign_today(campaign) + timedelta(days=12))
    login(client, admin.email)
    assert "(12 days to go)" in client.get("/manage/").get_data(as_text=True)


def test_people_registered_counts_each_address_once_and_no_cancellations(
    app, client, campaign, make_organizer, make_event
):
    from campaign.signups import seats, services

    organizer = make_organizer()
    first, second = make_event(organizer), make_event(organizer, capacity=1)
    draft = make_event(organizer, status="draft", published_at=None)
    for event, email in [
        (first, "a@example.org"),
        (first, "b@example.org"),
        (second, "a@example.org"),  # the same person at two events: one person
        (second, "c@example.org"),  # waitlisted: registered too
        (first, "gone@example.org"),
    ]:
        services.register(event.id, services.SignupInput(name="P", email=email), utcnow(), "k" * 32)
    db.session.commit()
    from sqlalchemy import select

    from campaign.signups.models import Registration

    gone = db.session.scalar(select(Registration).where(Registration.email == "gone@example.org"))
    seats.cancel(gone, utcnow())
    db.session.commit()
    assert draft.status == "draft"
    assert _stat(client.get("/").get_data(as_text=True), "People registered") == 3


def test_the_next_events_come_before_the_cards(client, campaign, make_organizer, make_event):
    make_event(make_organizer(), title="First talk")
    page = client.get("/").get_data(as_text=True)
    assert page.index('id="upcoming-heading"') < page.index('id="countdown-card-heading"')
    assert "First talk" in page
