"""Bidi ordering: the renderer's UAX #9 levels agree with python-bidi (Rust unicode-bidi)."""

from __future__ import annotations

import unicodedata

import pytest
from bidi import get_display
from hypothesis import given
from hypothesis import strategies as st

from campaign.cardrender.text.bidi import display_order, embedding_levels
from campaign.cardrender.text.fontruns import segment_line

from .conftest import PROPERTY_SETTINGS

# Every bidi class a card's text can bring: letters of both directions, European and
# Arabic digits, separators and terminators, brackets, marks, isolates and embeddings.
ALPHABET = (
    "abcXYZ"  # L
    "אבג"  # R
    "ابت"  # AL
    "0123"  # EN
    "٠١٢۱۲"  # AN, and Persian digits (EN)
    " .,:;-+%$#/!?\"'«»"  # WS, CS, ES, ET, ON
    "()[]{}〈〉\u2329\u232a"  # paired brackets, canonical equivalents included
    "\u064e\u0301"  # NSM
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u202a\u202b\u202c\u202d\u202e\u200d"  # LRE RLE PDF LRO RLO, and a BN
)

# A corpus of the strings cards actually carry (dates, places, prices, quotes).
CORPUS = [
    "العدد 2026 (abc) كبير",
    "مرحبا Leeds 2026, 18:30",
    "ندوة عن القلق 2026 في Leeds (مساءً)",
    "السبت 12 ديسمبر 2026، 18:00 GMT",
    "שלום, 12 Dec",
    "כנס בתל אביב - 25.12.2026 בשעה 18:00",
    "Talk at مركز المجتمع on 12/12, room 3B",
    "Price: 10 € / ١٠ يورو",
    "«اقتباس» and “quote” (2026)",
    "فعالية 🎉 يوم 25",
    "Event \u2067عربي 12\u2069 ok",
    "+44 20 7946 0000 هاتف",
    "A-1 ب-2 C-3",
]


def _visible(text: str) -> str:
    """Format characters draw nothing: compare only what is visible."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _reference(text: str, base: str | None) -> str:
    kwargs = {} if base is None else {"base_dir": "L" if base == "ltr" else "R"}
    return str(get_display(text, **kwargs))


@pytest.mark.parametrize("text", CORPUS)
@pytest.mark.parametrize("base", [None, "ltr", "rtl"])
def test_corpus_is_ordered_as_the_reference_orders_it(text: str, base: str | None) -> None:
    assert _visible(display_order(text, base)) == _visible(_reference(text, base))


@PROPERTY_SETTINGS
@given(
    text=st.text(alphabet=ALPHABET, min_size=1, max_size=24).map(str.rstrip).filter(bool),
    base=st.sampled_from([None, "ltr", "rtl"]),
)
def test_any_mixed_text_is_ordered_as_the_reference_orders_it(text: str, base: str | None) -> None:
    # Lines never end in whitespace on a card (wrapping drops it), so trailing whitespace,
    # where the reference leaves overridden spaces at the override's level, is not tested.
    assert _visible(display_order(text, base)) == _visible(_reference(text, base))


def test_digits_in_arabic_stay_where_the_algorithm_puts_them() -> None:
    text = "ندوة 2026 في Leeds"
    levels = embedding_levels(text)
    assert levels[5:9] == (2, 2, 2, 2)  # the year is a left-to-right number inside RTL
    assert display_order(text) == _reference(text, None)


def test_segments_follow_levels_and_fonts() -> None:
    segments = segment_line("فعالية 🎉 يوم 25", "rtl")
    families = [s.family for s in segments]
    assert "NotoColorEmoji" in families and "NotoSansArabic" in families
    assert "".join(s.text for s in segments) == "فعالية 🎉 يوم 25"
    assert {s.level for s in segments if s.text.strip() == "25"} == {2}
