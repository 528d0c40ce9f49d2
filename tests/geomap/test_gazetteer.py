"""The bundled gazetteer: cities and country centres found by the names people type, never
a same-named city in another country, nothing for blank, unknown or oversized names, and
the data file itself sound (every point on the globe, each country's centre on its land)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from campaign.geomap.boundaries import countries
from campaign.geomap.gazetteer import (
    DATA_FILE,
    MAX_NAME,
    PRECISION_CITY,
    PRECISION_COUNTRY,
    gazetteer,
    name_key,
)


def _near(found, latitude: float, longitude: float, degrees: float = 0.5) -> bool:
    return math.hypot(found.latitude - latitude, found.longitude - longitude) <= degrees


@pytest.mark.parametrize(
    ("city", "country", "latitude", "longitude", "name"),
    [
        ("London", "United Kingdom", 51.5, -0.12, "London"),
        ("london", "UK", 51.5, -0.12, "London"),
        ("  LONDON ", "england", 51.5, -0.12, "London"),
        ("Toronto", "Canada", 43.65, -79.38, "Toronto"),
        ("Sao Paulo", "Brazil", -23.55, -46.63, "São Paulo"),
        ("São  Paulo", "BRA", -23.55, -46.63, "São Paulo"),
        ("Copenhagen", "Denmark", 55.68, 12.57, "København"),
        ("Washington DC", "U.S.A.", 38.9, -77.01, "Washington, D.C."),
        ("New York", "United States", 40.72, -74.0, "New York"),
        ("Berlin", "", 52.52, 13.4, "Berlin"),  # the only Berlin: no country needed
    ],
)
def test_a_known_city_is_found_by_the_names_people_type(
    city: str, country: str, latitude: float, longitude: float, name: str
) -> None:
    found = gazetteer().locate(city, country)
    assert found is not None
    assert (found.precision, found.name) == (PRECISION_CITY, name)
    assert _near(found, latitude, longitude)


@pytest.mark.parametrize(
    ("city", "country", "name"),
    [
        ("Leeds", "United Kingdom", "United Kingdom"),  # a city the gazetteer lacks
        ("", "USA", "United States of America"),
        ("Brooklyn", "United States", "United States of America"),
        ("London", "Canada", "Canada"),  # never London, England
        ("Paris", "United States", "United States of America"),
    ],
)
def test_else_the_middle_of_the_country(city: str, country: str, name: str) -> None:
    found = gazetteer().locate(city, country)
    assert found is not None
    assert (found.precision, found.name) == (PRECISION_COUNTRY, name)
    centre = gazetteer().country(name)
    assert centre is not None
    assert (found.latitude, found.longitude) == (centre.latitude, centre.longitude)


@pytest.mark.parametrize(
    ("city", "country"),
    [
        ("", ""),
        ("   ", "  "),
        ("Leeds", ""),  # a city it lacks and no country
        ("London", "Atlantis"),  # a country it does not know: no guess by the city
        ("x" * (MAX_NAME + 1), ""),
        ("London" + " " * 200, "United Kingdom" + "!" * 200),
        ("<script>", "'; DROP TABLE events; --"),
        ("\x00", "\u202e"),
    ],
)
def test_nothing_for_blank_unknown_or_oversized_names(city: str, country: str) -> None:
    assert gazetteer().locate(city, country) is None


def test_control_characters_are_set_aside_like_punctuation() -> None:
    found = gazetteer().locate("\x00London", "\u202eUK")
    assert found is not None and (found.name, found.precision) == ("London", PRECISION_CITY)


def test_same_named_cities_without_a_country_are_not_guessed() -> None:
    doc = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    by_key: dict[str, int] = {}
    for place in doc["places"]:
        by_key[name_key(place["name"])] = by_key.get(name_key(place["name"]), 0) + 1
    shared = [key for key, count in by_key.items() if count > 1]
    for key in shared:
        assert gazetteer().locate(key, "") is None


def test_name_keys_set_accents_case_and_punctuation_aside() -> None:
    assert name_key("São  Paulo") == name_key("sao paulo") == "sao paulo"
    assert name_key("U.S.") == "us"
    assert name_key("") == ""
    assert len(name_key("a" * 10_000)) <= MAX_NAME + 1


def test_every_place_is_on_the_globe_and_named() -> None:
    doc = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert "public domain" in doc["source"]
    assert len(doc["places"]) >= 200 and len(doc["countries"]) >= 170
    for item in doc["places"] + doc["countries"]:
        assert item["name"].strip() and "?" not in item["name"], item
        assert -90 <= item["lat"] <= 90 and -180 <= item["lon"] <= 180, item


def _inside(ring: tuple[tuple[float, float], ...], lon: float, lat: float) -> bool:
    crossings = 0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > lat) != (y1 > lat) and x0 + (lat - y0) * (x1 - x0) / (y1 - y0) > lon:
            crossings += 1
    return crossings % 2 == 1


def test_each_country_centre_is_on_its_own_land() -> None:
    outlines = {country.name: country for country in countries()}
    centres = json.loads(DATA_FILE.read_text(encoding="utf-8"))["countries"]
    assert {c["name"] for c in centres} == set(outlines)
    for centre in centres:
        rings = outlines[centre["name"]].rings
        assert any(_inside(ring, centre["lon"], centre["lat"]) for ring in rings), centre


def test_the_gazetteer_is_read_from_the_repository_only() -> None:
    # Importing and using it opens no socket: run it where any network use would fail.
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise AssertionError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from campaign.geomap.gazetteer import gazetteer\n"
        "assert gazetteer().locate('London', 'UK').name == 'London'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
