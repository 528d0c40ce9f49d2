"""/events: upcoming published events, soonest first, with filters and pagination."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

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


# --- search, dates, seat badges and the feed (issue 15) -------------------------------------


def test_search_finds_words_in_title_summary_and_city(client, soon):
    soon("Harm reduction talk", 1, summary="An evening.", city="Leeds")
    soon("Film night", 2, summary="A documentary on harm reduction.", city="York")
    soon("Quiz", 3, summary="Questions.", city="Harmston")
    soon("Walk", 4, summary="Fresh air.", city="Bath")
    assert _titles(_get(client, "?q=harm")) == ["Harm reduction talk", "Film night", "Quiz"]
    assert _titles(_get(client, "?q=HARM+reduction")) == ["Harm reduction talk", "Film night"]
    assert _titles(_get(client, "?q=bath")) == ["Walk"]
    page = _get(client, "?q=nothing-like-this")
    assert _titles(page) == [] and "No upcoming events match" in page


@pytest.mark.parametrize("hostile", ["%", "_", "\\", "a%b", "'; drop table events; --"])
def test_search_treats_wildcards_as_text(client, soon, hostile):
    soon("100% facts", 1)
    soon("Plain", 2)
    titles = _titles(_get(client, "?q=" + hostile.replace("%", "%25")))
    assert "Plain" not in titles


def test_on_the_day_shows_the_campaigns_day_in_its_zone(client, soon, campaign):
    from campaign.core.timeutil import local_to_utc

    day = campaign.day
    noon = local_to_utc(datetime.combine(day, time(12)), campaign.timezone)
    soon("On the day", (noon - utcnow()).total_seconds() / 86400)
    soon("Day after", (noon - utcnow()).total_seconds() / 86400 + 1)
    soon("Day before", (noon - utcnow()).total_seconds() / 86400 - 1)
    assert _titles(_get(client, "?when=day")) == ["On the day"]


def test_this_week_runs_to_sunday(client, soon, campaign):
    from campaign.core.timeutil import to_local

    today = to_local(utcnow(), campaign.timezone).date()
    days_left = 6 - today.weekday()
    soon("Soon", 0.01)
    soon("Next week", days_left + 1.5)
    titles = _titles(_get(client, "?when=week"))
    assert "Soon" in titles and "Next week" not in titles


def test_a_date_range_includes_both_days(client, soon, campaign):
    from campaign.core.timeutil import to_local

    first = to_local(utcnow() + timedelta(days=3), campaign.timezone).date()
    soon("Before", 1)
    soon("Inside", 3.5)
    soon("After", 9)
    last = first + timedelta(days=2)
    page = _get(client, f"?when=range&from={first.isoformat()}&to={last.isoformat()}")
    assert _titles(page) == ["Inside"]
    # Dates typed without choosing "Between dates" still count as a range.
    assert _titles(_get(client, f"?from={first.isoformat()}&to={last.isoformat()}")) == ["Inside"]
    assert _titles(_get(client, f"?when=range&from={first.isoformat()}")) == ["Inside", "After"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?when=range&from=2-30-99&to=", "Enter the first day as a date"),
        ("?when=range&from=&to=yesterday", "Enter the last day as a date"),
        ("?when=range", "Enter a first day, a last day, or both"),
        ("?when=someday", "Choose a date option from the list"),
        ("?when=range&from=9999-01-01", "Enter the first day as a date"),
    ],
)
def test_bad_dates_say_what_is_wrong_and_show_every_event(client, soon, query, message):
    soon("First", 1)
    soon("Second", 20)
    page = _get(client, query)
    assert message in page
    assert 'role="alert"' in page
    assert _titles(page) == ["First", "Second"]


def test_an_end_before_the_start_is_refused(client, soon):
    soon("First", 1)
    first = (utcnow() + timedelta(days=5)).date()
    page = _get(
        client, f"?when=range&from={first.isoformat()}&to={(first - timedelta(days=2)).isoformat()}"
    )
    assert "The last day must be on or after the first day." in page
    assert 'id="filter-to" name="to"' in page and 'aria-invalid="true"' in page
    assert _titles(page) == ["First"]


def test_seat_badges(client, soon, register_people):
    open_event = soon("Open", 1, capacity=10)
    full_waitlist = soon("Waitlist", 2, capacity=1, is_waitlist_enabled=True)
    full = soon("Full", 3, capacity=1, is_waitlist_enabled=False)
    soon("Unlimited", 4)
    register_people(open_event, 3)
    register_people(full_waitlist, 1)
    register_people(full, 1)
    page = _get(client)
    assert "7 places left" in page
    assert ">Waitlist</span>" in page
    assert ">Full</span>" in page
    # A new registration changes the badge at once (the cached listing follows seats).
    register_people(open_event, 1, start=10)
    assert "6 places left" in _get(client)


def test_the_feed_is_offered_to_subscribe(client, soon):
    soon("First", 1)
    page = _get(client)
    assert re.search(r'href="webcal://[^"]+/calendar\.ics"', page)
    assert re.search(r'id="feed-link"[^>]*value="https?://[^"]+/calendar\.ics"', page)
    assert 'data-copy="#feed-link"' in page


@pytest.fixture
def register_people(app):
    from campaign.core.timeutil import utcnow as now
    from campaign.extensions import db
    from campaign.signups import services

    def add(event, n, start=0):
        for i in range(start, start + n):
            services.register(
                event.id,
                services.SignupInput(name=f"P {i}", email=f"p{i}.{event.id}@example.org"),
                now(),
                app.config["SECRET_KEY"],
            )
        db.session.commit()

    return add


def test_every_change_to_the_seats_shows_on_the_cached_listing_at_once(
    app, client, soon, register_people
):
    """The listing is served from memory until its key changes: a cancellation, a walk-in
    and a promotion change its badge as a new registration does (events.seats_version)."""
    from campaign.attendees import checkin
    from campaign.extensions import db
    from campaign.signups import seats
    from campaign.signups.models import Registration

    event = soon("Limited", 1, capacity=3)
    register_people(event, 2)
    assert "1 place left" in _get(client)
    assert "1 place left" in _get(client)  # from memory now
    first = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).first()
    seats.cancel(first, utcnow())
    db.session.commit()
    assert "2 places left" in _get(client)
    checkin.add_walk_in(event, "At The Door", "", utcnow(), app.config["SECRET_KEY"])
    db.session.commit()
    assert "1 place left" in _get(client)
    register_people(event, 2, start=10)  # the last seat, then the waitlist
    assert ">Waitlist</span>" in _get(client)
    waitlisted = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.status == "waitlisted"
        )
    ).one()
    seats.cancel(waitlisted, utcnow())  # the waitlist is empty again, the event full
    db.session.commit()
    assert ">Waitlist</span>" in _get(client)  # (full with a waitlist: the same badge)
    confirmed = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.status == "confirmed"
        )
    ).first()
    seats.cancel(confirmed, utcnow())
    db.session.commit()
    assert "1 place left" in _get(client)
