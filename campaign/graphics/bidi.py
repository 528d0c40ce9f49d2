"""Bidi: paragraph direction, font runs and their visual order."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from .fonts import FONTS, FontSet

Direction = Literal["ltr", "rtl"]


def _strong(ch: str) -> str:
    """'L', 'R' or 'N' (neutral or weak) from the Unicode bidi class."""
    kind = unicodedata.bidirectional(ch)
    if kind == "L":
        return "L"
    if kind in ("R", "AL"):
        return "R"
    return "N"


def paragraph_direction(text: str) -> Direction:
    """Direction of the first strong character (Unicode rules P2/P3), ltr if none."""
    for ch in text:
        kind = _strong(ch)
        if kind != "N":
            return "rtl" if kind == "R" else "ltr"
    return "ltr"


@dataclass(frozen=True)
class Segment:
    """Part of a line drawn with one family in one direction; x is its pen offset."""

    text: str
    family: str
    direction: Direction
    x: int = 0


def segment_line(text: str, base: Direction, fonts: FontSet = FONTS) -> tuple[Segment, ...]:
    """Split one line into single-font, single-direction segments, in logical order.

    When one family covers the whole line it is one segment and Raqm does the bidi itself;
    otherwise neutrals between two runs of the same direction join them and others take the
    paragraph direction (a simplified form of Unicode rules N1/N2).
    """
    if not text:
        return ()
    whole = fonts.family_for(text)
    if whole is not None:
        return (Segment(text, whole, base),)
    base_kind = "R" if base == "rtl" else "L"
    kinds = [_strong(ch) for ch in text]
    dirs: list[str] = []
    i = 0
    while i < len(text):
        if kinds[i] != "N":
            dirs.append(kinds[i])
            i += 1
            continue
        j = i
        while j < len(text) and kinds[j] == "N":
            j += 1
        before = kinds[i - 1] if i > 0 else base_kind
        after = kinds[j] if j < len(text) else base_kind
        dirs.extend([before if before == after else base_kind] * (j - i))
        i = j
    fallback = fonts.families[0].name
    letter_family: list[str | None] = [
        None if kinds[k] == "N" else (fonts.family_for_char(ch) or fallback)
        for k, ch in enumerate(text)
    ]
    families: list[str] = []
    for k, ch in enumerate(text):
        fam = letter_family[k]
        if fam is None:
            previous = families[-1] if families else None
            following = next((f for f in letter_family[k + 1 :] if f is not None), None)
            same_dir_prev = previous is not None and dirs[k - 1] == dirs[k]
            if same_dir_prev and fonts.covers(previous, ch):
                fam = previous
            elif following is not None and fonts.covers(following, ch):
                fam = following
            elif previous is not None and fonts.covers(previous, ch):
                fam = previous
            else:
                fam = fonts.family_for_char(ch) or previous or fallback
        families.append(fam)
    segments: list[Segment] = []
    start = 0
    for k in range(1, len(text) + 1):
        if k == len(text) or (families[k], dirs[k]) != (families[start], dirs[start]):
            direction: Direction = "rtl" if dirs[start] == "R" else "ltr"
            segments.append(Segment(text[start:k], families[start], direction))
            start = k
    return tuple(segments)


def visual_order(segments: tuple[Segment, ...], base: Direction) -> tuple[Segment, ...]:
    """Segments left to right (Unicode rule L2 on segment embedding levels)."""
    if base == "ltr":
        levels = [0 if s.direction == "ltr" else 1 for s in segments]
    else:
        levels = [2 if s.direction == "ltr" else 1 for s in segments]
    order = list(range(len(segments)))
    for level in range(max(levels, default=0), 0, -1):
        k = 0
        while k < len(order):
            if levels[order[k]] >= level:
                j = k
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[k:j] = reversed(order[k:j])
                k = j
            else:
                k += 1
    return tuple(segments[k] for k in order)
