"""Where a place is when no one gave its coordinates: the bundled gazetteer (major cities
and country centres from Natural Earth, public domain; see assets/geo/README.md).

Looked up by the words an organizer typed (city and country), never over the network.
Pure: no Flask, no database.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parents[2] / "assets" / "geo" / "places.json"

PRECISION_CITY = "city"
PRECISION_COUNTRY = "country"
# Longer text than any name in the file is no name in it (and is not worth normalising).
MAX_NAME = 100


@dataclass(frozen=True)
class Place:
    """A named point: a city (with the country it lies in, when known) or a country's centre."""

    name: str
    country: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Located:
    """Where the gazetteer puts a place, and how closely: "city" or "country" (its centre)."""

    latitude: float
    longitude: float
    precision: str
    name: str


def name_key(text: str) -> str:
    """A name as looked up: accents, case, punctuation and extra spaces set aside, so
    "São Paulo", "sao paulo" and "Sao  Paulo" are one key, and "U.S." is "us"."""
    decomposed = unicodedata.normalize("NFKD", text[: MAX_NAME + 1])
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.sub(r"[^\w\s]", "", bare.casefold()).split()
    return " ".join(words)


@dataclass(frozen=True)
class Gazetteer:
    """Cities by name (several may share one) and countries by name, alias or ISO code."""

    cities: dict[str, tuple[Place, ...]]
    countries: dict[str, Place]

    def country(self, text: str) -> Place | None:
        """The country a typed name means, or None (blank or not in the gazetteer)."""
        if len(text) > MAX_NAME:
            return None
        return self.countries.get(name_key(text))

    def locate(self, city: str, country: str) -> Located | None:
        """Where an event in city, country is: the city when the gazetteer has it (in that
        country, when one is given; the only city of that name, when none is), else the
        centre of the country, else None. A city of the same name in another country is
        never taken: "London" in Canada is not London in England."""
        found = self.country(country) if country.strip() else None
        candidates = () if len(city) > MAX_NAME else self.cities.get(name_key(city), ())
        if found is not None:
            candidates = tuple(p for p in candidates if p.country == found.name)
        elif country.strip():
            candidates = ()  # a country the gazetteer does not know: no guessing by city
        if len(candidates) == 1:
            place = candidates[0]
            return Located(place.latitude, place.longitude, PRECISION_CITY, place.name)
        if found is not None:
            return Located(found.latitude, found.longitude, PRECISION_COUNTRY, found.name)
        return None


@lru_cache(maxsize=1)
def gazetteer(path: Path = DATA_FILE) -> Gazetteer:
    """The bundled gazetteer, read once per process."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    cities: dict[str, list[Place]] = {}
    for item in doc["places"]:
        place = Place(str(item["name"]), str(item["country"]), item["lat"], item["lon"])
        for key in {name_key(name) for name in (place.name, *item["aliases"])}:
            cities.setdefault(key, []).append(place)
    countries: dict[str, Place] = {}
    for item in doc["countries"]:
        place = Place(str(item["name"]), str(item["name"]), item["lat"], item["lon"])
        for name in (place.name, item["iso_a3"], *item["aliases"]):
            if name:
                countries.setdefault(name_key(name), place)
    return Gazetteer(
        cities={key: tuple(places) for key, places in cities.items()}, countries=countries
    )
