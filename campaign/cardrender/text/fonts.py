"""Bundled fonts loaded: which characters they cover, which one draws a run, and the
FreeType and HarfBuzz objects that measure and draw it (the files themselves are listed in
fontfiles)."""

from __future__ import annotations

import logging
import mmap
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import uharfbuzz as hb
from PIL import ImageFont, features

from .cmap import read_cmap
from .fontfiles import (
    BITMAP_STRIKE,
    CJK_FAMILY,
    FAMILIES,
    FAMILY_BY_NAME,
    FontFamily,
)

logger = logging.getLogger(__name__)

# --- Text layout engine -------------------------------------------------------------------------


@cache
def raqm_available() -> bool:
    """Whether Pillow can shape text with libraqm (needed for Arabic, Hebrew, Devanagari).

    The first answer in a process is logged (raqm_status_message), as a warning when Raqm
    is missing: the log says so when the process first lays card text out, and a process
    that never does (a web worker answering kept cards) never loads the fonts to say it."""
    available = bool(features.check("raqm"))
    (logger.info if available else logger.warning)(_raqm_message(available))
    return available


def raqm_status_message() -> str:
    """One line about complex-script text support, as raqm_available() logs it."""
    return _raqm_message(raqm_available())


def _raqm_message(available: bool) -> str:
    if available:
        version = features.version("raqm") or "unknown version"
        return f"Share graphics: Raqm text layout {version} available; RTL and Indic scripts ok."
    return (
        "Share graphics: Pillow was built without libraqm, so Arabic and Hebrew text will not be "
        "laid out right to left and Devanagari will not be shaped. Install libraqm (e.g. "
        "`apt install libraqm0`) and reinstall Pillow to fix this."
    )


def layout_engine() -> ImageFont.Layout:
    """Raqm when available, otherwise Pillow's basic layout."""
    return ImageFont.Layout.RAQM if raqm_available() else ImageFont.Layout.BASIC


def is_bitmap(family: str) -> bool:
    """Whether `family` is a colour bitmap font, drawn at BITMAP_STRIKE px and scaled."""
    return FAMILY_BY_NAME[family].bitmap


@lru_cache(maxsize=512)
def load_font(family: str, weight: str, size: int) -> ImageFont.FreeTypeFont:
    """A cached FreeType font object for one family, weight and pixel size.

    A bitmap family is always loaded at its strike size (callers scale what it draws).
    """
    fam = FAMILY_BY_NAME[family]
    if fam.bitmap:
        size = BITMAP_STRIKE
    return ImageFont.truetype(
        str(fam.path(weight)), size, index=fam.index, layout_engine=layout_engine()
    )


@dataclass(frozen=True)
class Shaper:
    """A HarfBuzz font at its design size (units per em), for quick measuring."""

    font: hb.Font
    upem: int


@cache
def load_shaper(family: str, weight: str) -> Shaper:
    """HarfBuzz (the shaper Raqm uses) on one family's font file, loaded once."""
    fam = FAMILY_BY_NAME[family]
    face = hb.Face(hb.Blob.from_file_path(str(fam.path(weight))), fam.index)
    return Shaper(hb.Font(face), face.upem)


# --- Character coverage ---------------------------------------------------------------------------


@cache
def family_coverage(family: str) -> frozenset[int]:
    """Code points that every weight of `family` can draw."""
    fam = FAMILY_BY_NAME[family]
    return frozenset.intersection(
        *(_file_cmap(fam.path(weight), fam.index) for weight, _ in fam.files)
    )


def _file_cmap(path: Path, index: int) -> frozenset[int]:
    """read_cmap over a font file mapped into memory: only the pages of its header and
    cmap are read, where reading the file whole kept megabytes of heap in every worker."""
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return read_cmap(data, index)


def cjk_face(text: str) -> str:
    """The CJK face for a run: Japanese with kana, Korean with Hangul, else Simplified Chinese.

    Han characters alone do not say which language they are in; the faces differ only in
    the regional shapes of some ideographs.
    """
    for ch in text:
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
            return "NotoSansCJKjp"
        if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            return "NotoSansCJKkr"
    return CJK_FAMILY


def needs_glyph(ch: str) -> bool:
    """False for characters that are never drawn (controls and invisible format marks)."""
    return unicodedata.category(ch) not in ("Cc", "Cf")


def normalize_text(text: str) -> str:
    """NFC-normalise, turn whitespace (tabs, newlines) into spaces and drop control codes."""
    text = unicodedata.normalize("NFC", text)
    if text.isprintable():  # no controls, format marks or whitespace but " ": nothing to do
        return text
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) == "Cc":
            continue
        elif unicodedata.category(ch) == "Cf" and not raqm_available():
            continue  # basic layout would draw invisible marks as boxes
        else:
            out.append(ch)
    return "".join(out)


def covering_family(ch: str) -> str | None:
    """The first family in fallback order that draws `ch`, or None."""
    code = ord(ch)
    for family in FAMILIES:
        if code in family_coverage(family.name):
            return family.name
    return None


def missing_characters(text: str) -> set[str]:
    """Characters of `text` that no bundled font can draw (emoji, CJK, ...)."""
    return {
        ch
        for ch in normalize_text(text)
        if needs_glyph(ch) and ch != " " and covering_family(ch) is None
    }


def undrawable_characters(text: str) -> tuple[str, ...]:
    """Characters of `text` that no bundled font can draw, in order of first appearance.

    For forms to refuse text out loud (a card never draws with characters left out);
    `describe_character` names one for a message.
    """
    missing = missing_characters(text)
    seen: dict[str, None] = {}
    for ch in normalize_text(text):
        if ch in missing:
            seen.setdefault(ch, None)
    return tuple(seen)


def describe_character(ch: str) -> str:
    """A character as messages name it, e.g. “é” (U+00E9 LATIN SMALL LETTER E WITH ACUTE)."""
    name = unicodedata.name(ch, "unnamed character")
    return f"“{ch}” (U+{ord(ch):04X} {name})"


def strip_missing(text: str) -> str:
    """`text` with undrawable characters removed (and runs of spaces collapsed)."""
    missing = missing_characters(text)
    kept = "".join(ch for ch in normalize_text(text) if ch not in missing)
    return " ".join(kept.split())


# --- Choosing fonts for a run ---------------------------------------------------------------------


class FontSet:
    """The bundled families in fallback order (Inter, Noto Sans, then the script families)."""

    families: tuple[FontFamily, ...] = FAMILIES

    def family_for(self, text: str) -> str | None:
        """The first family that covers every drawable character of `text`, if any."""
        wanted = {ord(ch) for ch in text if needs_glyph(ch)}
        for family in self.families:
            if wanted <= family_coverage(family.name):
                return family.name
        return None

    def family_for_char(self, ch: str) -> str | None:
        """The first family that draws `ch`, if any."""
        return covering_family(ch)

    def covers(self, family: str, ch: str) -> bool:
        """Whether `family` draws `ch` (invisible characters always count as covered)."""
        return not needs_glyph(ch) or ord(ch) in family_coverage(family)

    def font(self, family: str, weight: str, size: int) -> ImageFont.FreeTypeFont:
        """The font object for one family, weight and pixel size."""
        return load_font(family, weight, size)

    def missing(self, text: str) -> set[str]:
        """Characters of `text` that no family draws."""
        return missing_characters(text)


FONTS = FontSet()
