"""The home page's countdown: the server's count stands until the campaign zone's midnight,
and the script recounts from then on, with no Intl work on a first look."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import days_until, next_day_start, to_local, utcnow
from campaign.extensions import db
from tests.browser.conftest import COUNT_INTL_DATE_FORMATS, LiveServer, seed_demo_site

pytestmark = pytest.mark.browser


def _days_and_midnight(server: LiveServer) -> tuple[int, int]:
    """Days to go as the server counts them now, and the campaign zone's next midnight (ms)."""
    with server.app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign is not None
        now = utcnow()
        days = days_until(campaign.day, to_local(now, campaign.timezone).date())
        midnight = next_day_start(now, campaign.timezone)
        db.session.remove()
    return days, int(midnight.timestamp() * 1000)


def _count(page: Page) -> str:
    return " ".join(page.locator(".countdown__value").inner_text().split())


def test_countdown_stands_until_midnight_then_recounts(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    seed_demo_site(live_server)
    days, midnight_ms = _days_and_midnight(live_server)
    assert days > 2, "the demo campaign's day is weeks away"

    # A first look: the server's count, and the script never builds its formatter.
    first = new_page("phone")
    first.add_init_script(COUNT_INTL_DATE_FORMATS)
    first.goto(live_server("/"))
    first.wait_for_load_state("load")
    assert _count(first) == f"{days} days to go"
    assert first.locator("[data-countdown]").get_attribute("data-counted-until") == str(midnight_ms)
    first.wait_for_timeout(300)
    # The countdown's formatter is the page's only "en-CA" one.
    assert first.evaluate("window.intlDateFormatsByLocale['en-CA'] || 0") == 0

    # A page written before midnight and read after it (a stale copy): recounted at once.
    late = new_page()
    late.clock.install(time=(midnight_ms + 60_000) / 1000)
    late.goto(live_server("/"))
    expect(late.locator(".countdown__value")).to_have_text(f"{days - 1} days to go")

    # A page left open across midnight: the count changes when the day does.
    open_ = new_page()
    open_.clock.install(time=(midnight_ms - 5_000) / 1000)
    open_.goto(live_server("/"))
    open_.wait_for_load_state("load")
    assert _count(open_) == f"{days} days to go"
    open_.clock.run_for(timedelta(seconds=6))
    expect(open_.locator(".countdown__value")).to_have_text(f"{days - 1} days to go")
