"""Fixtures for the share-graphics tests: sample specs, text strategies and pixel helpers."""

from __future__ import annotations

import os
import string
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image

from campaign.cardrender.specs import (
    AttendingCard,
    CardSpec,
    CountdownCard,
    EventCard,
    MythFactCard,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTICLE = REPO_ROOT / "assets" / "content" / "source-article.txt"
SOURCE_TITLE = "Understanding the Mechanism of Ketamine in Reducing Anxiety Symptoms"
DISCLAIMER = "Educational content, not medical advice. Talk to a healthcare provider."
CAMPAIGN = "National Ketamine Day"
HASHTAG = "#NationalKetamineDay"

# Few examples by default (GRAPHICS_EXAMPLES=500 for a soak run), no deadline (rendering is
# slow on a busy machine) and no example database.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("GRAPHICS_EXAMPLES", "8")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def article_text() -> str:
    """The source article, which ships in the repository (assets/content/)."""
    return ARTICLE.read_text(encoding="utf-8")


def sample_spec(kind: str, **overrides: object) -> CardSpec:
    """A realistic spec of one kind, with any field overridden."""
    base: dict[str, dict[str, object]] = {
        "myth_fact": {
            "myth": "Ketamine is only a recreational party drug.",
            "fact": "When administered in a controlled medical setting, ketamine is both safe "
            "and effective.",
            "source_title": SOURCE_TITLE,
            "disclaimer": DISCLAIMER,
            "campaign_name": CAMPAIGN,
            "hashtag": HASHTAG,
        },
        "event": {
            "title": "Understanding ketamine for anxiety: a community evening",
            "when_text": "Sat 12 Dec 2026, 18:00 GMT",
            "place_text": "Community Hall, Leeds",
            "campaign_name": CAMPAIGN,
            "hashtag": HASHTAG,
            "url_for_qr": "https://example.org/events/understanding-ketamine-leeds",
        },
        "attending": {
            "first_name": "Priya",
            "event_title": "Understanding ketamine for anxiety: a community evening",
            "when_text": "Sat 12 Dec 2026, 18:00 GMT",
            "place_text": "Online",
            "campaign_name": CAMPAIGN,
            "hashtag": HASHTAG,
        },
        "countdown": {
            "days": 12,
            "campaign_name": CAMPAIGN,
            "day_text": "Saturday 12 December 2026",
            "tagline": "Learn the facts. Talk to a healthcare provider.",
            "hashtag": HASHTAG,
        },
    }
    cls = {
        "myth_fact": MythFactCard,
        "event": EventCard,
        "attending": AttendingCard,
        "countdown": CountdownCard,
    }[kind]
    return cls(**{**base[kind], **overrides})


@pytest.fixture
def make_spec() -> Callable[..., CardSpec]:
    """Factory fixture: make_spec(kind, **overrides)."""
    return sample_spec


KINDS = ("myth_fact", "event", "attending", "countdown")


# --- Text strategies ----------------------------------------------------------------------------

_DEVANAGARI_CONSONANTS = "कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह"
_DEVANAGARI_SIGNS = "ािीुूेैोौं"

_ALPHABETS = {
    "latin": string.ascii_letters + "éüñøçßÅ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩάέήίόύώ",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯ",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "hebrew": "אבגדהוזחטיכלמנסעפצקרשת",
}
SCRIPTS = (*_ALPHABETS, "devanagari")


def _devanagari_word() -> st.SearchStrategy[str]:
    syllable = st.tuples(
        st.sampled_from(_DEVANAGARI_CONSONANTS),
        st.sampled_from(["", *_DEVANAGARI_SIGNS]),
    ).map("".join)
    return st.lists(syllable, min_size=1, max_size=6).map("".join)


def word_in(script: str, max_len: int = 14) -> st.SearchStrategy[str]:
    """One word in a script."""
    if script == "devanagari":
        return _devanagari_word()
    return st.text(alphabet=_ALPHABETS[script], min_size=1, max_size=max_len)


def text_in(script: str, max_words: int, max_len: int = 14) -> st.SearchStrategy[str]:
    """Words in one script with the odd number or comma, as a sentence."""
    token = st.one_of(
        word_in(script, max_len),
        word_in(script, max_len),
        word_in(script, max_len),
        st.integers(0, 2026).map(str),
        word_in(script, max_len).map(lambda w: w + ","),
    )
    return st.lists(token, min_size=1, max_size=max_words).map(" ".join)


def scripted_text(max_words: int, max_len: int = 14) -> st.SearchStrategy[str]:
    """Text in a random one of the six scripts (sometimes with Latin words mixed in)."""
    single = st.sampled_from(SCRIPTS).flatmap(lambda s: text_in(s, max_words, max_len))
    mixed = st.tuples(
        st.sampled_from(SCRIPTS).flatmap(lambda s: text_in(s, max(1, max_words // 2), max_len)),
        text_in("latin", max(1, max_words // 2), max_len),
    ).map(" ".join)
    return st.one_of(single, single, mixed)


# --- Pixel helpers -------------------------------------------------------------------------------


def pixels_in(image: Image.Image, box: tuple[int, int, int, int]) -> set[tuple[int, int, int]]:
    """The distinct RGB colours inside a box."""
    crop = image.crop(box)
    return {c for _, c in crop.getcolors(maxcolors=crop.width * crop.height + 1)}


def drawn_words(text: str) -> list[str]:
    """Case-folded words of a text, punctuation stripped from their ends."""
    words = []
    for raw in text.split():
        word = raw
        while word and unicodedata.category(word[0])[0] in "PS":
            word = word[1:]
        while word and (unicodedata.category(word[-1])[0] in "PS" or word[-1] == "…"):
            word = word[:-1]
        if word:
            words.append(word.casefold())
    return words
