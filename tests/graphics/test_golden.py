"""Golden images: a few reference renders, compared with a small tolerance.

Regenerate after an intended visual change with `UPDATE_GOLDEN=1 pytest tests/graphics`,
and the review sheet of every kind and preset with
`.venv/bin/python -m tests.graphics.contact_sheet` (tests/graphics/contact_sheet.png).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from campaign.cardrender.rendering import encode_png, render

from .conftest import sample_spec

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
# Mean absolute difference per channel (0-255): survives FreeType/zlib version drift, not a
# moved or resized block of text.
TOLERANCE = 1.5

CASES = {
    "myth_fact-square": ("myth_fact", "square", {}),
    "event-og": ("event", "og", {"place_text": "Community Hall, Leeds"}),
    "attending-story": ("attending", "story", {"first_name": "Priya"}),
    "countdown-portrait": ("countdown", "portrait", {}),
    "myth_fact-og": ("myth_fact", "og", {"address": "ketamineday.example.org/facts/party"}),
    "event-rtl-square": (
        "event",
        "square",
        {"title": "أمسية توعية حول الكيتامين 2026", "place_text": "قاعة المجتمع، شارع 12"},
    ),
    "attending-cjk-portrait": (
        "attending",
        "portrait",
        {"first_name": "さくら 🌸", "event_title": "ケタミンと不安についての勉強会"},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_matches_golden(name: str) -> None:
    kind, preset, overrides = CASES[name]
    image = render(sample_spec(kind, **overrides), preset)
    path = GOLDEN_DIR / f"{name}.png"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(encode_png(image))
        pytest.skip(f"golden image {path.name} rewritten")
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 to create it"
    with Image.open(path) as stored:
        golden = stored.convert("RGB")
    assert golden.size == image.size
    diff = ImageStat.Stat(ImageChops.difference(image, golden)).mean
    assert max(diff) <= TOLERANCE, f"{name} differs from its golden image by {diff}"
