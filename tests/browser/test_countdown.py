"""The home page's countdown: the server's count stands until the campaign zone's midnight,
and the script recounts from then on, with no Intl work on a first look."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import days_until, next_day_start, to_local, utcnow
from campaign.extensions import db
from tests.browser.conftest import COUNT_INTL_DATE_FORMATS, LiveServer

pytestmark = pytest.mark.browser


def _campaign_weeks_away(server: LiveServer) -> tuple[int, int]:
    """A campaign four weeks away: days to go as the server counts them now, and the
    campaign zone's next midnight (ms since the epoch)."""
    with server.app.app_context():
        now = utcnow()
        campaign = Campaign(
            slug="national-ketamine-day",
            name="National Ketamine Day",
            day=to_local(now, "America/New_York").date() + timedelta(days=28),
            timezone="America/New_York",
            disclaimer="Educational content, not medical advice.",
        )
        db.session.add(campaign)
        db.session.commit()
        days = days_until(campaign.day, to_local(now, campaign.timezone).date())
        midnight = next_day_start(now, campaign.timezone)
        db.session.remove()
    return days, int(midnight.timestamp() * 1000)


def _count(page: Page) -> str:
    return " ".join(page.locator(".countdown__value").inner_text().split())


def test_countdown_stands_until_midnight_then_recounts(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    days, midnight_ms = _campaign_weeks_away(live_server)

    # A first look: the server's count, and the script never builds its formatter.
    first = new_page("phone")
    first.add_init_script(COUNT_INTL_DATE_FORMATS)
    first.goto(live_server("/"))
    first.wait_for_load_state("load")
    assert _count(first) == f"{days} days to go"
    assert first.locator("[data-countdown]").get_attribute("data-counted-until") == str(midnight_ms)
    # The countdown's formatter is the page's only "en-CA" one.
    assert first.evaluate("window.intlDateFormatsByLocale['en-CA'] || 0") == 0

    # A page written before midnight and read after it (a stale copy): recounted at once.
    late = new_page()
    late.clock.install(time=(midnight_ms + 60_000) / 1000)
    late.goto(live_server("/"))
    expect(late.locator(".countdown__value")).to_have_text(f"{days - 1} days to go")

    # A page left open across midnight: the count changes when the day does.
    open_ = new_page()
    open_.clock.install(time=(midnight_ms - 60_000) / 1000)
    open_.goto(live_server("/"))
    open_.wait_for_load_state("load")
    open_.clock.pause_at((midnight_ms - 1_000) / 1000)
    assert _count(open_) == f"{days} days to go"
    open_.clock.run_for(2_000)  # in ms: a timedelta fired no timer (Playwright 1.65)
    expect(open_.locator(".countdown__value")).to_have_text(f"{days - 1} days to go")
