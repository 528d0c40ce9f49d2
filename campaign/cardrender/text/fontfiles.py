"""The bundled font files: where each family's files are, and the digest of their bytes that
every card key holds. Reads only file names, sizes and bytes (no Pillow, no HarfBuzz), so a
process that serves cards and texts already kept never loads the fonts themselves."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

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
