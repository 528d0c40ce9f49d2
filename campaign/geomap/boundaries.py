"""The bundled country outlines (Natural Earth 1:110m, public domain; see assets/geo/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parents[2] / "assets" / "geo" / "countries-110m.json"


@dataclass(frozen=True)
class Country:
    """One country: its name and its outline rings as (longitude, latitude) pairs."""

    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]
    # (west, south, east, north), for skipping countries outside the drawn area.
    bounds: tuple[float, float, float, float]


@lru_cache(maxsize=1)
def countries(path: Path = DATA_FILE) -> tuple[Country, ...]:
    """Every country of the bundled file, read once per process."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    scale = float(doc["scale"])
    result = []
    for item in doc["countries"]:
        rings = []
        for flat in item["rings"]:
            pairs = tuple(
                (flat[i] / scale, flat[i + 1] / scale) for i in range(0, len(flat) - 1, 2)
            )
            rings.append(pairs)
        lons = [lon for ring in rings for lon, _ in ring]
        lats = [lat for ring in rings for _, lat in ring]
        if not lons:
            continue
        result.append(
            Country(
                name=str(item["name"]),
                rings=tuple(rings),
                bounds=(min(lons), min(lats), max(lons), max(lats)),
            )
        )
    return tuple(result)
