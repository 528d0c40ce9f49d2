"""/events: upcoming published events, soonest first, with filters and pagination."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from campaign.core.timeutil import utcnow


def _titles(page: str) -> list[str]:
    """Event titles on a listing page, in order."""
    return [
        html.unescape(t)
        for t in re.findall(r'class="event-card__title"><a href="[^"]*">([^<]*)</a>', page)
    ]


def _get(client, query: str = "") -> str:
    response = client.get("/events" + query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def soon(make_event, make_organizer):
    """Factory: soon(title, days, **fields) makes a published event days from now."""
    organizer = make_organizer()

    def make(title: str, days: float, **fields):
        start = utcnow() + timedelta(days=days)
        return make_event(
            organizer, title=title, starts_at=start, ends_at=start + timedelta(hours=2), **fields
        )

    return make


def test_upcoming_published_soonest_first(client, soon):
    soon("Third", 3)
    soon("First", 1)
    soon("Second", 2)
    soon("Draft", 1.5, status="draft", published_at=None)
    soon("Cancelled", 1.5, status="cancelled")
    soon("Ended", -1)
    page = _get(client)
    assert _titles(page) == ["First", "Second", "Third"]
    assert "3 events" in page


def test_filter_by_city_is_case_insensitive(client, soon):
    soon("Leeds Talk", 1, city="Leeds")
    soon("York Talk", 2, city="York")
    soon("Leeds Walk", 3, city="leeds")
    for value in ("Leeds", "leeds", "LEEDS"):
        assert _titles(_get(client, f"?city={value}")) == ["Leeds Talk", "Leeds Walk"], value
    assert _titles(_get(client, "?city=York")) == ["York Talk"]
    assert _titles(_get(client, "?city=Paris")) == []
    # The city options come from the events that are listed.
    page = _get(client)
    assert '<option value="York"' in page
    assert '<option value="Leeds"' in page


def test_filter_by_region(client, soon):
    soon("England Talk", 1, region="England", city="Leeds")
    soon("Scotland Talk", 2, region="Scotland", city="Glasgow")
    assert _titles(_get(client, "?region=scotland")) == ["Scotland Talk"]
    assert _titles(_get(client, "?region=England")) == ["England Talk"]
    assert _titles(_get(client, "?region=England&city=Glasgow")) == []


def test_filter_online_includes_hybrid(client, soon):
    soon("In Person", 1, format="in_person")
    soon("Online Only", 2, format="online", venue="", city="")
    soon("Hybrid", 3, format="hybrid")
    assert _titles(_get(client, "?online=1")) == ["Online Only", "Hybrid"]
    assert _titles(_get(client, "?online=1&city=Leeds")) == ["Hybrid"]
    assert _titles(_get(client)) == ["In Person", "Online Only", "Hybrid"]
    # Only online=1 turns the filter on.
    assert len(_titles(_get(client, "?online=0"))) == 3
    assert 'id="filter-online" name="online" value="1" checked' in _get(client, "?online=1")


def test_pagination(client, soon, app):
    per_page = app.config["EVENTS_PER_PAGE"]
    for n in range(per_page + 2):
        soon(f"Event {n:02d}", 1 + n / 10)
    first = _get(client)
    assert _titles(first) == [f"Event {n:02d}" for n in range(per_page)]
    assert "Page 1 of 2" in first
    assert 'rel="next" href="/events?page=2"' in first
    second = _get(client, "?page=2")
    assert _titles(second) == [f"Event {n:02d}" for n in range(per_page, per_page + 2)]
    assert 'rel="prev"' in second
    assert f"{per_page + 2} events" in second


def test_pagination_keeps_filters(client, soon, app):
    per_page = app.config["EVENTS_PER_PAGE"]
    for n in range(per_page + 1):
        soon(f"Online {n:02d}", 1 + n / 10, format="online", city="Leeds")
    soon("Elsewhere", 1, city="York")
    page = html.unescape(_get(client, "?city=leeds&online=1"))
    next_link = re.search(r'rel="next" href="([^"]+)"', page)
    assert next_link
    assert "city=leeds" in next_link.group(1)
    assert "online=1" in next_link.group(1)
    assert "page=2" in next_link.group(1)
    assert _titles(_get(client, "?city=leeds&online=1&page=2")) == [f"Online {per_page:02d}"]


@pytest.mark.parametrize(
    "page",
    [
        "3",
        "999",
        "abc",
        "-1",
        "0",
        "1.5",
        "",
        "%00",
        "１",
        "99999999999999999999",
    ],
)
def test_odd_page_numbers_do_not_fail(client, soon, page):
    soon("Only Event", 1)
    response = client.get(f"/events?page={page}")
    assert response.status_code == 200, page
    titles = _titles(response.get_data(as_text=True))
    assert titles in ([], ["Only Event"]), titles


def test_out_of_range_page_is_an_empty_list(client, soon):
    soon("Only Event", 1)
    page = _get(client, "?page=5")
    assert _titles(page) == []
    assert "No upcoming events match" in page


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '"><svg onload=alert(1)>',
        "' OR 1=1 --",
        "%' OR city LIKE '%",
        "Leeds\u202e",
        "x" * 5000,
        "\x00",
        "Leeds%00",
    ],
)
def test_hostile_filter_values_are_harmless(client, soon, hostile):
    soon("Leeds Talk", 1, city="Leeds", region="England")
    for name in ("city", "region"):
        response = client.get("/events", query_string={name: hostile, "online": "1"})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "<script>alert(1)" not in page
        assert "<svg onload" not in page
        assert _titles(page) == []
        # With more than one page the value goes into links: always URL-encoded.
        for href in re.findall(r'href="([^"]*)"', page):
            assert "<" not in href and '"' not in href


def test_hostile_filter_in_pagination_links_is_encoded(client, soon, app):
    per_page = app.config["EVENTS_PER_PAGE"]
    hostile = '"><script>alert(1)</script>'
    for n in range(per_page + 1):
        soon(f"Hostile {n:02d}", 1 + n / 10, city=hostile)
    response = client.get("/events", query_string={"city": hostile})
    page = response.get_data(as_text=True)
    assert len(_titles(page)) == per_page
    assert "<script>alert(1)" not in page
    next_link = re.search(r'rel="next" href="([^"]+)"', page)
    assert next_link and "%3Cscript%3E" in next_link.group(1)


def test_listing_only_shows_the_current_campaign(client, soon, campaign):
    from datetime import date

    from campaign.campaigns.models import Campaign
    from campaign.extensions import db

    soon("Current Campaign Talk", 1)
    old = Campaign(
        slug="old",
        name="Old Day",
        day=date(2000, 1, 1),
        timezone="UTC",
        disclaimer="Old disclaimer.",
        is_active=False,
    )
    db.session.add(old)
    db.session.commit()
    soon("Old Campaign Talk", 2, campaign_id=old.id)
    assert _titles(_get(client)) == ["Current Campaign Talk"]
