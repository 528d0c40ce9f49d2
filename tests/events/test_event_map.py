"""The map of events on /events and in the embed: coordinates set in the organizer's form
(bad ones refused with a clear message), the map drawn from the listing's events, its
grouped list, escaping, no third-party address, and a fresh map when an event moves."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.events.services import coordinate_errors
from campaign.extensions import db
from tests.events.conftest import (
    count_events,
    edit_form_values,
    event_form,
    field_error,
    get_event,
)

SITE = "https://campaign.example.org"


def _map_svg(page: str) -> ET.Element:
    """The map's SVG element, parsed as XML."""
    match = re.search(r"<svg class=\"event-map__svg\".*?</svg>", page, re.S)
    assert match, "no map on the page"
    return ET.fromstring(match.group(0))


def _map_section(page: str) -> str:
    match = re.search(r'<section class="event-map".*?</section>', page, re.S)
    assert match, "no map section"
    return match.group(0)


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


# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (None, None, {}),
        (51.5, -0.12, {}),
        (90, 180, {}),
        (-90, -180, {}),
        (90.01, 0, {"latitude": "Enter a latitude from -90 to 90 degrees."}),
        (0, -180.5, {"longitude": "Enter a longitude from -180 to 180 degrees."}),
        (
            float("nan"),
            0,
            {"latitude": "Enter the latitude as a number of degrees, from -90 to 90."},
        ),
        (
            0,
            float("inf"),
            {"longitude": "Enter the longitude as a number of degrees, from -180 to 180."},
        ),
        (51.5, None, {"longitude": "Enter the longitude too, or leave both empty."}),
        (None, -0.12, {"latitude": "Enter the latitude too, or leave both empty."}),
    ],
)
def test_coordinate_rules(latitude, longitude, expected):
    assert coordinate_errors(latitude, longitude) == expected


# --- the organizer's form -------------------------------------------------------------------


def test_coordinates_saved_from_the_form_and_shown_again(client, create_via_form):
    event_id = create_via_form(latitude="53.8008", longitude="-1,5491")
    event = get_event(event_id)
    assert (event.latitude, event.longitude) == (53.8008, -1.5491)
    page = client.get(f"/manage/events/{event_id}/edit").get_data(as_text=True)
    values = edit_form_values(page)
    assert (values["latitude"], values["longitude"]) == ("53.8008", "-1.5491")
    # Saving the form unchanged keeps them; clearing both removes them.
    client.post(f"/manage/events/{event_id}/edit", data=values)
    assert get_event(event_id).latitude == 53.8008
    values.update(latitude="", longitude="")
    client.post(f"/manage/events/{event_id}/edit", data=values)
    event = get_event(event_id)
    assert (event.latitude, event.longitude) == (None, None)


@pytest.mark.parametrize(
    ("latitude", "longitude", "field", "message"),
    [
        ("91", "0", "latitude", "Enter a latitude from -90 to 90 degrees."),
        ("0", "200", "longitude", "Enter a longitude from -180 to 180 degrees."),
        ("north", "0", "latitude", "Enter the latitude as a number of degrees, from -90 to 90."),
        ("nan", "0", "latitude", "Enter the latitude as a number of degrees, from -90 to 90."),
        (
            "0",
            "1e999",
            "longitude",
            "Enter the longitude as a number of degrees, from -180 to 180.",
        ),
        ("north", "", "latitude", "Enter the latitude as a number of degrees, from -90 to 90."),
        ("51.5", "", "longitude", "Enter the longitude too, or leave both empty."),
    ],
)
def test_bad_coordinates_get_a_message_and_save_nothing(
    client, signed_in, latitude, longitude, field, message
):
    response = client.post(
        "/manage/events/new", data=event_form(latitude=latitude, longitude=longitude)
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error(page, field) == message
    assert count_events() == 0
    # What was typed is shown again to be corrected.
    assert f'value="{latitude}"' in page


def test_an_online_event_has_no_place_on_the_map(client, create_via_form):
    event_id = create_via_form(
        format="online",
        venue="",
        join_url="https://meet.example.net/x",
        latitude="1",
        longitude="2",
    )
    event = get_event(event_id)
    assert (event.latitude, event.longitude) == (None, None)


def test_a_host_can_give_coordinates_too(client, campaign):
    page = client.get("/host").get_data(as_text=True)
    if 'id="latitude"' not in page:  # the proposal form may sit one step further
        page = client.get("/host/propose").get_data(as_text=True)
    assert 'id="latitude"' in page and 'id="longitude"' in page


# --- the public listing ---------------------------------------------------------------------


def test_listing_map_places_events_and_lists_all_by_region(client, soon):
    leeds = soon("Leeds Talk", 1, latitude=53.8008, longitude=-1.5491)
    # No coordinates, and no country for the gazetteer to fall back on.
    soon("York Talk", 2, city="York", region="England", country="")
    soon("Toronto Talk", 3, city="Toronto", region="Ontario", latitude=43.65, longitude=-79.38)
    soon("Online Talk", 4, format="online", venue="", city="", region="", country="")
    soon("Draft Talk", 1, status="draft", published_at=None, latitude=50.0, longitude=0.0)
    page = client.get("/events").get_data(as_text=True)
    svg = _map_svg(page)
    hrefs = sorted(a.get("href") for a in svg.iter("a"))
    assert hrefs == [f"/events/{leeds.slug}", "/events/event-3"]
    titles = [a.findtext("title") for a in svg.iter("a")]
    assert any(t.startswith("Leeds Talk, ") for t in titles)
    section = _map_section(page)
    headings = re.findall(r"<h4>(.*?)</h4>", section)
    assert headings == ["England", "Ontario", "Online"]
    assert "York Talk" in section and "(not on the map)" in section
    assert "Online Talk" in section and "Draft Talk" not in section
    # The map comes after the events themselves: the first screen shows events.
    assert page.index("event-card__title") < page.index('class="event-map"')


def test_crowded_events_cluster_into_one_marker_with_a_count(client, soon):
    soon("Leeds One", 1, latitude=53.8008, longitude=-1.5491)
    soon("Leeds Two", 2, latitude=53.81, longitude=-1.55)
    soon("Sydney", 3, city="Sydney", region="NSW", latitude=-33.87, longitude=151.21)
    svg = _map_svg(client.get("/events").get_data(as_text=True))
    clusters = [a for a in svg.iter("a") if a.get("href") == "#event-map-list"]
    assert len(clusters) == 1
    assert clusters[0].findtext("text") == "2"
    assert clusters[0].findtext("title") is not None
    assert "Leeds One" in clusters[0].findtext("title", "")


def test_map_follows_the_filters(client, soon):
    soon("Leeds Talk", 1, latitude=53.8008, longitude=-1.5491)
    soon("Toronto Talk", 2, city="Toronto", region="Ontario", latitude=43.65, longitude=-79.38)
    svg = _map_svg(client.get("/events?region=Ontario").get_data(as_text=True))
    assert [a.findtext("title", "").split(",")[0] for a in svg.iter("a")] == ["Toronto Talk"]


def test_hostile_titles_are_escaped_in_the_map(client, soon):
    soon('</title></svg><script>alert("x")</script> & more', 1, latitude=51.5, longitude=-0.1)
    page = client.get("/events").get_data(as_text=True)
    assert "<script>alert" not in page
    svg = _map_svg(page)
    link = next(svg.iter("a"))
    assert link.findtext("title", "").startswith('</title></svg><script>alert("x")</script> & more')


def test_no_map_section_when_nothing_is_listed(client, campaign):
    page = client.get("/events").get_data(as_text=True)
    assert 'class="event-map"' not in page


def test_only_a_list_when_no_event_has_a_place_on_the_map(client, soon):
    soon("Leeds Talk", 1, country="")  # no coordinates, a city the gazetteer lacks
    section = _map_section(client.get("/events").get_data(as_text=True))
    assert "<svg" not in section
    assert "No event in this list has a place on the map yet." in section
    assert "Leeds Talk" in section


def test_the_map_asks_nothing_of_other_sites(client, soon):
    soon("Leeds Talk", 1, latitude=53.8008, longitude=-1.5491)
    for path in ("/events", "/embed/events"):
        page = client.get(path).get_data(as_text=True)
        section = _map_section(page)
        addresses = re.findall(r"https?://[^\s\"'<>)]+", section)
        assert all(a.startswith(SITE) for a in addresses), (path, addresses)
        assert "<image" not in section and "<iframe" not in section


def test_a_moved_event_moves_on_the_cached_listing(client, soon):
    event = soon("Leeds Talk", 1, latitude=53.8008, longitude=-1.5491)
    first = client.get("/events").get_data(as_text=True)
    assert client.get("/events").get_data(as_text=True) == first
    stored = db.session.get(Event, event.id)
    assert stored is not None
    stored.latitude, stored.longitude = -33.87, 151.21  # to Sydney
    stored.updated_at = utcnow()
    db.session.commit()
    moved = client.get("/events").get_data(as_text=True)
    assert _map_section(moved) != _map_section(first)
    # The view follows the event (a lone marker stays centred): other land around it.
    before, after = _map_svg(first), _map_svg(moved)
    assert before.find(".//path").get("d") != after.find(".//path").get("d")


# --- placed without coordinates: the bundled gazetteer ----------------------------------


def _marker_titles(page: str) -> dict[str, str]:
    """Each single marker's link and tooltip."""
    return {a.get("href", ""): a.findtext("title", "") for a in _map_svg(page).iter("a")}


def test_an_event_without_coordinates_is_placed_by_its_city(client, soon):
    event = soon("Toronto Talk", 1, city="toronto", region="Ontario", country="Canada")
    page = client.get("/events").get_data(as_text=True)
    title = _marker_titles(page)[f"/events/{event.slug}"]
    assert title.startswith("Toronto Talk, ")
    assert title.endswith("(the map shows Toronto, not the venue)")
    section = _map_section(page)
    assert "(not on the map)" not in section and "middle of" not in section


def test_else_at_the_middle_of_its_country_and_the_list_says_so(client, soon):
    event = soon("Leeds Talk", 1)  # Leeds, United Kingdom: a city the gazetteer lacks
    page = client.get("/events").get_data(as_text=True)
    title = _marker_titles(page)[f"/events/{event.slug}"]
    assert title.endswith("(the map shows the middle of United Kingdom, not the venue)")
    assert "(on the map at the middle of United Kingdom)" in _map_section(page)


def test_coordinates_given_win_over_the_gazetteer(client, soon):
    # Given as Toronto's, though the city says London: the organizer's pin is drawn.
    event = soon("Pinned", 1, city="London", latitude=43.65, longitude=-79.38)
    both = soon("Guessed", 1, city="Toronto", country="Canada")
    svg = _map_svg(client.get("/events").get_data(as_text=True))
    # The two fall on one spot: one cluster, named with both titles and no note for the pin.
    [marker] = list(svg.iter("a"))
    title = marker.findtext("title", "")
    assert title.startswith("2 events: Pinned, ") and "Guessed, " in title
    assert event.slug != both.slug and title.count("not the venue") == 1


def test_online_events_and_unknown_places_stay_off_the_map(client, soon):
    soon("Online", 1, format="online", venue="", city="London", country="United Kingdom")
    soon("Nowhere", 2, city="Atlantis City", region="", country="Atlantis")
    section = _map_section(client.get("/events").get_data(as_text=True))
    assert "<svg" not in section
    assert "Nowhere" in section and "(not on the map)" in section


# --- the embed ------------------------------------------------------------------------------


def test_embed_map_markers_open_the_event_in_a_new_tab(client, soon):
    event = soon("Leeds Talk", 1, latitude=53.8008, longitude=-1.5491)
    page = client.get("/embed/events").get_data(as_text=True)
    link = next(_map_svg(page).iter("a"))
    assert link.get("href") == f"{SITE}/events/{event.slug}"
    assert link.get("target") == "_blank"
    section = _map_section(page)
    assert 'target="_blank" rel="noopener">Leeds Talk' in section


def test_seeded_demo_shows_its_in_person_events_on_the_map(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    placed = db.session.scalars(db.select(Event).where(Event.latitude.is_not(None))).all()
    assert placed and all(event.has_venue for event in placed)
    svg = _map_svg(client.get("/events").get_data(as_text=True))
    assert len(list(svg.iter("a"))) >= 2
