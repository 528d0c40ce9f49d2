"""Bundled fonts: where they live, which characters they cover, and which one draws a run."""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import uharfbuzz as hb
from PIL import ImageFont, features

from .cmap import read_cmap

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]
FONT_DIR = REPO_ROOT / "assets" / "fonts"

REGULAR = "regular"
SEMIBOLD = "semibold"
BOLD = "bold"
WEIGHTS = (REGULAR, SEMIBOLD, BOLD)


@dataclass(frozen=True)
class FontFamily:
    """One bundled family: its file per weight (weights it lacks fall back to a neighbour).

    `index` picks a face inside a font collection (.ttc); `bitmap` marks a colour bitmap
    font (CBDT) that FreeType draws only at its one strike size, `BITMAP_STRIKE` px.
    """

    name: str
    files: tuple[tuple[str, str], ...]  # (weight, path relative to FONT_DIR)
    index: int = 0
    bitmap: bool = False

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


# Noto Color Emoji carries one bitmap strike; FreeType refuses every other pixel size.
BITMAP_STRIKE = 109
EMOJI_FAMILY = "NotoColorEmoji"

# Faces of the Noto Sans CJK collection (NotoSansCJK-Regular.ttc): the same characters with
# each region's preferred glyph shapes. SC is the fallback; cjk_face() picks JP or KR.
_CJK_FILE = "noto-cjk/NotoSansCJK-Regular.ttc"
CJK_FACES = {"jp": 0, "kr": 1, "sc": 2, "tc": 3}
CJK_FAMILY = "NotoSansCJKsc"


def _cjk(region: str) -> FontFamily:
    return FontFamily(f"NotoSansCJK{region}", ((REGULAR, _CJK_FILE),), index=CJK_FACES[region])


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
    _cjk("sc"),
    FontFamily(EMOJI_FAMILY, ((REGULAR, "noto-emoji/NotoColorEmoji.ttf"),), bitmap=True),
)
# Faces chosen by cjk_face() rather than by fallback order (same file as CJK_FAMILY).
VARIANTS: tuple[FontFamily, ...] = (_cjk("jp"), _cjk("kr"))
FAMILY_BY_NAME = {family.name: family for family in (*FAMILIES, *VARIANTS)}


def font_files() -> list[Path]:
    """Every bundled font file, in a stable order."""
    paths = {family.path(w) for family in FAMILY_BY_NAME.values() for w, _ in family.files}
    return sorted(paths)


def _hash_fonts() -> str:
    """Hex sha256 over the bundled font files' names and bytes."""
    digest = hashlib.sha256()
    for path in font_files():
        digest.update(path.relative_to(FONT_DIR).as_posix().encode())
        digest.update(b"\0")
        # In pieces: reading the 32 MB of fonts whole left a web worker's heap that much
        # bigger for good (the allocator keeps freed large blocks).
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                digest.update(chunk)
    return digest.hexdigest()


_DIGEST: dict[str, str] = {}  # "fonts": this process's digest, once known
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def font_digest() -> str:
    """Hex sha256 over the bundled font files (names and bytes), for render cache keys."""
    if "fonts" not in _DIGEST:
        _DIGEST["fonts"] = _hash_fonts()
    return _DIGEST["fonts"]


def _font_stats() -> list[list[str | int]]:
    """Each font file's name, size, modification time and inode: what changes when a file
    is replaced or rewritten."""
    stats: list[list[str | int]] = []
    for path in font_files():
        st = path.stat()
        stats.append([path.relative_to(FONT_DIR).as_posix(), st.st_size, st.st_mtime_ns, st.st_ino])
    return stats


def remember_font_digest(memo: Path) -> str:
    """font_digest(), read from `memo` when the font files are the ones it was recorded for
    (same names, sizes, modification times and inodes, as Python trusts a .pyc), otherwise
    hashed and recorded there: hashing the 32 MB of fonts was 26 ms of every start. A memo
    that cannot be read or written only means hashing, as before."""
    if "fonts" in _DIGEST:
        return _DIGEST["fonts"]
    try:
        stats = _font_stats()
    except OSError:
        return font_digest()
    try:
        recorded = json.loads(memo.read_text(encoding="utf-8"))
        digest = recorded["digest"]
        if recorded["files"] == stats and _HEX_SHA256.fullmatch(digest):
            _DIGEST["fonts"] = digest
            return str(digest)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = font_digest()
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps({"files": stats, "digest": digest}), encoding="utf-8")
        os.replace(partial, memo)
    except OSError as exc:
        logger.warning("font digest not recorded: %s", type(exc).__name__)
    return digest


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
