"""Bundled fonts: where they live, which characters they cover, and which one draws a run."""

from __future__ import annotations

import hashlib
import logging
import struct
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import uharfbuzz as hb
from PIL import ImageFont, features

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
FONT_DIR = REPO_ROOT / "assets" / "fonts"

REGULAR = "regular"
SEMIBOLD = "semibold"
BOLD = "bold"
WEIGHTS = (REGULAR, SEMIBOLD, BOLD)


@dataclass(frozen=True)
class FontFamily:
    """One bundled family: its file per weight (weights it lacks fall back to a neighbour)."""

    name: str
    files: tuple[tuple[str, str], ...]  # (weight, path relative to FONT_DIR)

    def path(self, weight: str) -> Path:
        """Return the file for `weight`, falling back to bold for semibold, then regular."""
        table = dict(self.files)
        for candidate in (weight, BOLD if weight == SEMIBOLD else REGULAR, REGULAR):
            if candidate in table:
                return FONT_DIR / table[candidate]
        raise KeyError(f"{self.name} has no {weight} face")


def _noto(name: str) -> FontFamily:
    return FontFamily(
        name,
        ((REGULAR, f"noto/{name}-Regular.ttf"), (BOLD, f"noto/{name}-Bold.ttf")),
    )


# Fallback order: the first family that covers a whole run draws it.
FAMILIES: tuple[FontFamily, ...] = (
    FontFamily(
        "Inter",
        (
            (REGULAR, "inter/Inter-Regular.otf"),
            (SEMIBOLD, "inter/Inter-SemiBold.otf"),
            (BOLD, "inter/Inter-Bold.otf"),
        ),
    ),
    _noto("NotoSans"),
    _noto("NotoSansArabic"),
    _noto("NotoSansHebrew"),
    _noto("NotoSansDevanagari"),
)
FAMILY_BY_NAME = {family.name: family for family in FAMILIES}


def font_files() -> list[Path]:
    """Every bundled font file, in a stable order."""
    paths = {family.path(w) for family in FAMILIES for w, _ in family.files}
    return sorted(paths)


@cache
def font_digest() -> str:
    """Hex sha256 over the bundled font files (names and bytes), for render cache keys."""
    digest = hashlib.sha256()
    for path in font_files():
        digest.update(path.relative_to(FONT_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- Text layout engine -------------------------------------------------------------------------


@cache
def raqm_available() -> bool:
    """Whether Pillow can shape text with libraqm (needed for Arabic, Hebrew, Devanagari)."""
    return bool(features.check("raqm"))


def raqm_status_message() -> str:
    """One line for the app to log at start-up about complex-script text support."""
    if raqm_available():
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


@lru_cache(maxsize=512)
def load_font(family: str, weight: str, size: int) -> ImageFont.FreeTypeFont:
    """A cached FreeType font object for one family, weight and pixel size."""
    path = FAMILY_BY_NAME[family].path(weight)
    return ImageFont.truetype(str(path), size, layout_engine=layout_engine())


@dataclass(frozen=True)
class Shaper:
    """A HarfBuzz font at its design size (units per em), for quick measuring."""

    font: hb.Font
    upem: int


@cache
def load_shaper(family: str, weight: str) -> Shaper:
    """HarfBuzz (the shaper Raqm uses) on one family's font file, loaded once."""
    face = hb.Face(hb.Blob.from_file_path(str(FAMILY_BY_NAME[family].path(weight))))
    return Shaper(hb.Font(face), face.upem)


# --- Character coverage (a small sfnt 'cmap' reader) ---------------------------------------------


class FontFormatError(ValueError):
    """The font file is not an sfnt font with a usable Unicode cmap."""


def _cmap_format4(data: bytes, offset: int) -> set[int]:
    seg_x2 = struct.unpack_from(">H", data, offset + 6)[0]
    seg_count = seg_x2 // 2
    ends_at = offset + 14
    starts_at = ends_at + seg_x2 + 2  # skip reservedPad
    deltas_at = starts_at + seg_x2
    range_offsets_at = deltas_at + seg_x2
    ends = struct.unpack_from(f">{seg_count}H", data, ends_at)
    starts = struct.unpack_from(f">{seg_count}H", data, starts_at)
    deltas = struct.unpack_from(f">{seg_count}h", data, deltas_at)
    range_offsets = struct.unpack_from(f">{seg_count}H", data, range_offsets_at)
    covered: set[int] = set()
    for i in range(seg_count):
        start, end, delta, range_offset = starts[i], ends[i], deltas[i], range_offsets[i]
        if start == 0xFFFF:
            continue
        for code in range(start, end + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                # idRangeOffset is relative to its own position in the idRangeOffset array.
                at = range_offsets_at + 2 * i + range_offset + 2 * (code - start)
                glyph = struct.unpack_from(">H", data, at)[0]
                if glyph:
                    glyph = (glyph + delta) & 0xFFFF
            if glyph:
                covered.add(code)
    return covered


def _cmap_format12(data: bytes, offset: int) -> set[int]:
    n_groups = struct.unpack_from(">I", data, offset + 12)[0]
    covered: set[int] = set()
    for g in range(n_groups):
        start, end, start_glyph = struct.unpack_from(">3I", data, offset + 16 + 12 * g)
        # A group mapping its first code to glyph 0 maps only that code to .notdef.
        first = start + 1 if start_glyph == 0 else start
        covered.update(range(first, end + 1))
    return covered


_CMAP_READERS = {4: _cmap_format4, 12: _cmap_format12}
# Preferred (platform, encoding) subtables: full-repertoire Unicode first, then BMP.
_CMAP_PREFERENCE = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


def read_cmap(data: bytes) -> frozenset[int]:
    """Code points the font maps to a real glyph (not .notdef), from its Unicode cmap."""
    if len(data) < 12:
        raise FontFormatError("file too short for an sfnt header")
    sfnt_version, num_tables = struct.unpack_from(">4sH", data, 0)
    if sfnt_version not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise FontFormatError(f"unsupported sfnt version {sfnt_version!r}")
    cmap_at = None
    for t in range(num_tables):
        tag, _checksum, table_offset, _length = struct.unpack_from(">4s3I", data, 12 + 16 * t)
        if tag == b"cmap":
            cmap_at = table_offset
            break
    if cmap_at is None:
        raise FontFormatError("font has no cmap table")
    n_subtables = struct.unpack_from(">H", data, cmap_at + 2)[0]
    subtables: dict[tuple[int, int], int] = {}
    for s in range(n_subtables):
        platform, encoding, sub_offset = struct.unpack_from(">HHI", data, cmap_at + 4 + 8 * s)
        subtables.setdefault((platform, encoding), cmap_at + sub_offset)
    for key in _CMAP_PREFERENCE:
        if key in subtables:
            at = subtables[key]
            fmt = struct.unpack_from(">H", data, at)[0]
            reader = _CMAP_READERS.get(fmt)
            if reader is not None:
                return frozenset(reader(data, at))
    raise FontFormatError("no Unicode cmap subtable in format 4 or 12")


@cache
def family_coverage(family: str) -> frozenset[int]:
    """Code points that every weight of `family` can draw."""
    fam = FAMILY_BY_NAME[family]
    sets = [read_cmap(fam.path(weight).read_bytes()) for weight, _ in fam.files]
    return frozenset.intersection(*sets)


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
