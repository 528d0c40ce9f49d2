"""A small sfnt 'cmap' reader: which code points a font file maps to a real glyph."""

from __future__ import annotations

import mmap
import struct

# A font file's bytes, read whole or mapped into memory.
FontData = bytes | mmap.mmap


class FontFormatError(ValueError):
    """The font file is not an sfnt font with a usable Unicode cmap."""


def _cmap_format4(data: FontData, offset: int) -> set[int]:
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


def _cmap_format12(data: FontData, offset: int) -> set[int]:
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


def read_cmap(data: FontData, index: int = 0) -> frozenset[int]:
    """Code points the font maps to a real glyph (not .notdef), from its Unicode cmap.

    For a font collection (.ttc), `index` picks the face (table offsets in a collection
    count from the start of the file, as in a single font).
    """
    if len(data) < 12:
        raise FontFormatError("file too short for an sfnt header")
    start = 0
    if data[:4] == b"ttcf":
        count = struct.unpack_from(">I", data, 8)[0]
        if not 0 <= index < count:
            raise FontFormatError(f"collection has {count} faces, not face {index}")
        start = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    sfnt_version, num_tables = struct.unpack_from(">4sH", data, start)
    if sfnt_version not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise FontFormatError(f"unsupported sfnt version {sfnt_version!r}")
    cmap_at = None
    for t in range(num_tables):
        tag, _checksum, table_offset, _length = struct.unpack_from(
            ">4s3I", data, start + 12 + 16 * t
        )
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
