"""What people (and OCR) read: every myth/fact card of the content file, in every preset.

Tesseract (Debian's tesseract-ocr, installed by .ci/run) must recover at least 95% of the
words of the fact and of the myth, and the card's address, from each card as rendered.
Also: a set of cards shares one fact size and one myth size per preset (a carousel).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess

import pytest
from PIL import Image, ImageOps

from campaign.cardrender import PRESETS, MythFactCard, fit_set, render, render_with_report

from .conftest import REPO_ROOT, drawn_words, sample_spec

CONTENT = json.loads((REPO_ROOT / "assets" / "content" / "myths.json").read_text("utf-8"))
HOST = "ketamineday.example.org"
MIN_RECOVERED = 0.95

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is installed by .ci/run"
)


def _spec(item: dict[str, str]) -> MythFactCard:
    spec = sample_spec(
        "myth_fact",
        myth=item["myth"],
        fact=item["fact"],
        reason=item.get("reason", ""),
        address=f"{HOST}/facts/{item['slug']}",
    )
    assert isinstance(spec, MythFactCard)
    return spec


def ocr(image: Image.Image) -> str:
    """Tesseract's reading of a card (grey, inverted: the cards are light on dark)."""
    grey = ImageOps.invert(ImageOps.grayscale(image))
    buffer = io.BytesIO()
    grey.save(buffer, "PNG")
    result = subprocess.run(
        ["tesseract", "stdin", "stdout", "--psm", "3"],
        input=buffer.getvalue(),
        capture_output=True,
        check=True,
        timeout=60,
        # One thread: the same reading for half the CPU (its OpenMP threads mostly spin on
        # a card this size, and the suite's other work wants the cores).
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    return result.stdout.decode("utf-8", "replace")


def recovered(text: str, reading: str) -> float:
    """Share of the words of `text` found in the OCR reading."""
    read = set(drawn_words(reading))
    words = drawn_words(text)
    return sum(1 for w in words if w in read) / len(words)


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("item", CONTENT["items"], ids=lambda item: item["slug"])
def test_ocr_reads_the_fact_the_myth_and_the_address(item: dict[str, str], preset: str) -> None:
    spec = _spec(item)
    reading = ocr(render(spec, preset))
    assert recovered(spec.fact, reading) >= MIN_RECOVERED, (preset, reading)
    assert recovered(spec.myth, reading) >= MIN_RECOVERED, (preset, reading)
    assert spec.address.casefold() in re.sub(r"\s+", "", reading).casefold(), reading


def test_ocr_check_can_fail() -> None:
    """A card without its myth does not pass: the check reads the picture, not the spec."""
    spec = _spec(CONTENT["items"][0])
    reading = ocr(render(sample_spec("event", title="Nothing about it"), "square"))
    assert recovered(spec.myth, reading) < MIN_RECOVERED


def test_a_set_shares_one_fact_size_and_one_myth_size_per_preset() -> None:
    specs = [_spec(item) for item in CONTENT["items"]]
    pins = fit_set(specs)
    assert {p for p, _, _ in pins} == set(PRESETS)
    for preset, fact_px, myth_px in pins:
        assert myth_px <= fact_px
        sizes = set()
        for spec in specs:
            pinned = MythFactCard(**{**spec.__dict__, "type_sizes": pins})
            report = render_with_report(pinned, preset)[1]
            fact, myth = report.run("fact"), report.run("myth")
            assert fact is not None and myth is not None
            sizes.add((fact.font_size, myth.font_size))
        assert sizes == {(fact_px, myth_px)}, (preset, sizes)


def test_a_pin_that_does_not_fit_falls_back_to_the_cards_own_sizes() -> None:
    spec = _spec(CONTENT["items"][0])
    alone = render_with_report(spec, "square")[1].run("fact")
    huge = MythFactCard(**{**spec.__dict__, "type_sizes": (("square", 400, 300),)})
    report = render_with_report(huge, "square")[1]
    fact = report.run("fact")
    assert alone is not None and fact is not None and fact.font_size == alone.font_size
