"""Issue 15, point 14: the organizer's event list reads soonest first, like the dashboard:
events not over yet by start time, then the ones that ended, most recent first."""

from __future__ import annotations

import re
from datetime import timedelta

from campaign.core.timeutil import utcnow


def _titles(page: str) -> list[str]:
    return re.findall(r'<td><a href="/manage/events/\d+">([^<]+)</a></td>', page)


def test_event_list_is_soonest_first_then_most_recently_ended(
    client, login_as, make_organizer, make_event
):
    owner, other = make_organizer(), make_organizer()
    now = utcnow()

    def at(title: str, start: timedelta, organizer=owner, **fields):  # type: ignore[no-untyped-def]
        starts = now + start
        return make_event(
            organizer, title=title, starts_at=starts, ends_at=starts + timedelta(hours=2), **fields
        )

    at("Far future", timedelta(days=30))
    at("Long ago", timedelta(days=-60))
    at("Soon", timedelta(days=2))
    at("Happening now", timedelta(hours=-1))
    at("Last week", timedelta(days=-7))
    at("Draft next month", timedelta(days=20), status="draft", published_at=None)
    at("Someone else's", timedelta(days=1), organizer=other)
    login_as(owner)

    page = client.get("/manage/events").get_data(as_text=True)
    assert _titles(page) == [
        "Happening now",
        "Soon",
        "Draft next month",
        "Far future",
        "Last week",
        "Long ago",
    ]
    drafts = client.get("/manage/events?status=draft").get_data(as_text=True)
    assert _titles(drafts) == ["Draft next month"]
    published = client.get("/manage/events?status=published").get_data(as_text=True)
    assert _titles(published) == ["Happening now", "Soon", "Far future", "Last week", "Long ago"]
