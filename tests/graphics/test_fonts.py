"""Bundled fonts: files and licences, the cmap reader, coverage and fallback."""

from __future__ import annotations

import json
import struct

import pytest
from PIL import Image, ImageDraw, ImageFont

from campaign.cardrender.text import fontfiles
from campaign.cardrender.text.cmap import FontFormatError, read_cmap
from campaign.cardrender.text.fontfiles import FONT_DIR, font_digest, font_files
from campaign.cardrender.text.fonts import (
    FONTS,
    family_coverage,
    load_font,
    missing_characters,
    raqm_available,
    raqm_status_message,
)


def test_every_family_file_is_bundled_with_its_licence() -> None:
    files = font_files()
    assert len(files) == 13
    for path in files:
        assert path.is_file(), path
        assert path.stat().st_size > 10_000
    for family_dir in ("inter", "noto", "noto-cjk", "noto-emoji"):
        licence = FONT_DIR / family_dir / "LICENSE-copyright.txt"
        assert "OFL" in licence.read_text(encoding="utf-8") or "SIL" in licence.read_text(
            encoding="utf-8"
        )
    readme = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    for needle in (
        "fonts-inter",
        "4.0~beta7+ds-1",
        "fonts-noto-core",
        "20201225-1",
        "fonts-noto-cjk",
        "1:20220127+repack1-1",
        "fonts-noto-color-emoji",
        "2.042-0+deb12u1",
    ):
        assert needle in readme
    # Everything under assets/fonts counts, not only the files in use.
    total = sum(p.stat().st_size for p in FONT_DIR.rglob("*") if p.is_file())
    assert total < 40_000_000, "the repository carries under 40 MB of fonts"


def test_font_digest_is_a_stable_sha256() -> None:
    digest = font_digest()
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert font_digest() == digest


@pytest.fixture
def fresh_digest(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """No digest known to this process yet; the list counts how often the fonts are hashed."""
    hashed: list[int] = []
    real = fontfiles._hash_fonts

    def counting() -> str:
        hashed.append(1)
        return real()

    monkeypatch.setattr(fontfiles, "_DIGEST", {})
    monkeypatch.setattr(fontfiles, "_hash_fonts", counting)
    return hashed


def test_a_recorded_font_digest_is_reused_while_the_files_are_the_same(
    tmp_path, fresh_digest: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = tmp_path / "cache" / "font-digest.json"
    digest = fontfiles.remember_font_digest(memo)
    assert fresh_digest == [1]
    assert json.loads(memo.read_text())["digest"] == digest
    monkeypatch.setattr(fontfiles, "_DIGEST", {})  # the next start
    assert fontfiles.remember_font_digest(memo) == digest
    assert font_digest() == digest
    assert fresh_digest == [1], "read from the record, not hashed again"


@pytest.mark.parametrize(
    "change", ["size", "mtime", "inode", "file gone", "garbage", "empty digest", "digest a number"]
)
def test_a_font_digest_record_for_other_files_is_not_trusted(
    tmp_path, fresh_digest: list[int], change: str
) -> None:
    memo = tmp_path / "font-digest.json"
    files = fontfiles._font_stats()
    column = {"size": 1, "mtime": 2, "inode": 3}.get(change)
    if column is not None:
        files[0][column] = int(files[0][column]) + 1
    elif change == "file gone":
        files = files[1:]
    recorded = {"empty digest": "", "digest a number": 7}.get(change, "f" * 64)
    memo.write_text(
        "{not json" if change == "garbage" else json.dumps({"files": files, "digest": recorded})
    )
    digest = fontfiles.remember_font_digest(memo)
    assert digest == fontfiles._hash_fonts() != recorded
    assert json.loads(memo.read_text()) == {"files": fontfiles._font_stats(), "digest": digest}


def test_a_font_digest_that_cannot_be_recorded_is_still_computed(
    tmp_path, fresh_digest: list[int]
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    digest = fontfiles.remember_font_digest(blocked / "font-digest.json")
    assert len(digest) == 64 and fresh_digest == [1]


def test_raqm_status_message_is_clear() -> None:
    message = raqm_status_message()
    assert "Raqm" in message or "libraqm" in message
    if not raqm_available():
        assert "right to left" in message


# --- cmap reader: synthetic fonts exercise both subtable formats ---------------------------------


def _sfnt_with_cmap(subtable: bytes, platform: int = 3, encoding: int = 1) -> bytes:
    cmap = struct.pack(">HH", 0, 1) + struct.pack(">HHI", platform, encoding, 12) + subtable
    header = struct.pack(">4sHHHH", b"\x00\x01\x00\x00", 1, 16, 0, 0)
    record = struct.pack(">4sIII", b"cmap", 0, 12 + 16, len(cmap))
    return header + record + cmap


def _format4(segments: list[tuple[int, int, int, list[int] | None]]) -> bytes:
    """segments: (start, end, delta, glyph ids or None); a 0xFFFF segment is appended."""
    segments = [*segments, (0xFFFF, 0xFFFF, 1, None)]
    n = len(segments)
    ends = [s[1] for s in segments]
    starts = [s[0] for s in segments]
    deltas = [s[2] for s in segments]
    glyph_arrays: list[int] = []
    offsets = []
    for i, (_, _, _, glyphs) in enumerate(segments):
        if glyphs is None:
            offsets.append(0)
        else:
            # bytes from this idRangeOffset entry to the first glyph of this segment
            offsets.append(2 * (n - i) + 2 * len(glyph_arrays))
            glyph_arrays.extend(glyphs)
    body = (
        struct.pack(f">{n}H", *ends)
        + b"\0\0"
        + struct.pack(f">{n}H", *starts)
        + struct.pack(f">{n}h", *deltas)
        + struct.pack(f">{n}H", *offsets)
        + struct.pack(f">{len(glyph_arrays)}H", *glyph_arrays)
    )
    return struct.pack(">HHHHHHH", 4, 14 + len(body), 0, 2 * n, 0, 0, 0) + body


def test_cmap_format4_delta_and_glyph_array_segments() -> None:
    sub = _format4(
        [
            (0x41, 0x43, -0x40, None),  # A..C -> glyphs 1..3
            (0x61, 0x64, 0, [5, 0, 7, 0]),  # a, c mapped; b, d -> .notdef
        ]
    )
    covered = read_cmap(_sfnt_with_cmap(sub))
    assert covered == {0x41, 0x42, 0x43, 0x61, 0x63}


def test_cmap_format12_groups_skip_notdef() -> None:
    groups = [(0x20, 0x22, 0), (0x1F600, 0x1F601, 10)]
    sub = struct.pack(">HHIII", 12, 0, 16 + 12 * len(groups), 0, len(groups))
    sub += b"".join(struct.pack(">III", *g) for g in groups)
    covered = read_cmap(_sfnt_with_cmap(sub, 3, 10))
    assert covered == {0x21, 0x22, 0x1F600, 0x1F601}


def test_cmap_reader_rejects_non_fonts() -> None:
    with pytest.raises(FontFormatError):
        read_cmap(b"not a font at all")


def _ink(font: ImageFont.FreeTypeFont, ch: str) -> bytes:
    image = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(image).text((10, 60), ch, font=font, fill=255, anchor="ls")
    return image.tobytes()


@pytest.mark.parametrize("family", ["Inter", "NotoSansHebrew", "NotoSansDevanagari"])
def test_cmap_agrees_with_what_freetype_draws(family: str) -> None:
    """Characters the cmap maps draw something other than the .notdef box, and vice versa."""
    font = load_font(family, "regular", 40)
    notdef = _ink(font, "\u0378")  # unassigned code point: mapped by no font
    covered = family_coverage(family)
    probes = [
        chr(c)
        for c in (
            *range(0x41, 0x5B),
            *range(0x391, 0x3A0),
            *range(0x410, 0x420),
            *range(0x5D0, 0x5EB),
            *range(0x915, 0x93A),
            0x4E2D,
        )
    ]
    assert 0x378 not in covered
    for ch in probes:
        assert (_ink(font, ch) != notdef) == (ord(ch) in covered), (family, ch)


# --- Coverage and fallback -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Zoë Ångström",
        "Ωμέγα Αθήνα",
        "Привет, Москва",
        "مرحبا بالعالم",
        "שלום עולם",
        "हिन्दी नमस्ते",
        "Sat 12 Dec 2026, 18:00 EST — “quoted” ‘text’ … #tag",
    ],
)
def test_supported_scripts_have_no_missing_characters(text: str) -> None:
    assert missing_characters(text) == set()


def test_missing_characters_finds_scripts_no_font_has() -> None:
    assert missing_characters("Li 李 😀 ok") == set()
    assert missing_characters("Somchai สม ሰ ok") == {"ส", "ม", "ሰ"}
    assert missing_characters("a\u200db\n") == set()  # invisible and control characters


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("Leeds", "Inter"),
        ("Привет", "Inter"),
        ("مرحبا 2026", "NotoSansArabic"),
        ("שלום", "NotoSansHebrew"),
        ("हिन्दी", "NotoSansDevanagari"),
        ("李", "NotoSansCJKsc"),
        ("😀", "NotoColorEmoji"),
        ("สม", None),
    ],
)
def test_family_for_picks_the_first_family_covering_the_run(text: str, family: str) -> None:
    assert FONTS.family_for(text) == family


def test_noto_families_fall_back_to_bold_for_semibold() -> None:
    arabic = fontfiles.FAMILY_BY_NAME["NotoSansArabic"]
    assert arabic.path("semibold").name == "NotoSansArabic-Bold.ttf"
    assert fontfiles.FAMILY_BY_NAME["Inter"].path("semibold").name == "Inter-SemiBold.otf"
