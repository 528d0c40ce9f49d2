"""Font runs: one line cut into runs of one bidi level and one font family
(`segment_line`), and those runs put left to right (`visual_order`, rule L2)."""

from __future__ import annotations

from dataclasses import dataclass

from .bidi import Direction, bidi_class, embedding_levels, reorder
from .fontfiles import CJK_FAMILY, EMOJI_FAMILY
from .fonts import FONTS, FontSet, cjk_face, raqm_available


@dataclass(frozen=True)
class Segment:
    """Part of a line drawn with one family in one direction; x is its pen offset.

    `level` is the run's bidi embedding level (None: 0 for ltr, 1 for rtl, under the base).
    """

    text: str
    family: str
    direction: Direction
    x: int = 0
    level: int | None = None


_EMOJI_JOINERS = frozenset({"\u200d", "\ufe0f", "\u20e3"})


def _is_modifier(ch: str) -> bool:
    return "\U0001f3fb" <= ch <= "\U0001f3ff" or "\U000e0020" <= ch <= "\U000e007f"


def _char_families(text: str, fonts: FontSet) -> list[str]:
    """The family that draws each character (neutrals join a neighbour that draws them)."""
    n = len(text)
    own: list[str | None] = []
    for k, ch in enumerate(text):
        nxt = text[k + 1] if k + 1 < n else ""
        presented = nxt in ("\ufe0f", "\u20e3") or _is_modifier(nxt)
        if presented and fonts.covers(EMOJI_FAMILY, ch):  # emoji presentation: ❤️, #️⃣, 👍🏽
            own.append(EMOJI_FAMILY)
            continue
        if ch in _EMOJI_JOINERS or _is_modifier(ch):
            own.append(EMOJI_FAMILY if k and own[k - 1] == EMOJI_FAMILY else None)
            continue
        neutral = bidi_class(ch) not in ("L", "R", "AL") or ch == " "
        own.append(None if neutral else fonts.family_for_char(ch))
    fallback = fonts.families[0].name
    families: list[str] = []
    for k, ch in enumerate(text):
        fam = own[k]
        if fam is None:
            previous = families[-1] if families else None
            following = next((f for f in own[k + 1 :] if f is not None), None)
            for candidate in (previous, following):
                if (
                    candidate is not None
                    and candidate != EMOJI_FAMILY
                    and fonts.covers(candidate, ch)
                ):
                    fam = candidate
                    break
            else:
                fam = fonts.family_for_char(ch) or previous or fallback
        families.append(fam)
    return families


def segment_line(text: str, base: Direction, fonts: FontSet = FONTS) -> tuple[Segment, ...]:
    """Split one line into runs of one font family and one bidi level, in logical order.

    With Raqm, a line that one family draws whole is one run and Raqm (FriBiDi) orders it;
    otherwise the levels come from embedding_levels.
    """
    if not text:
        return ()
    whole = fonts.family_for(text)
    if whole is not None and raqm_available() and whole != EMOJI_FAMILY:
        if whole == CJK_FAMILY:
            whole = cjk_face(text)
        return (Segment(text, whole, base, level=0 if base == "ltr" else 1),)
    levels = embedding_levels(text, base)
    families = _char_families(text, fonts)
    if CJK_FAMILY in families:
        face = cjk_face(text)
        families = [face if f == CJK_FAMILY else f for f in families]
    segments: list[Segment] = []
    start = 0
    for k in range(1, len(text) + 1):
        if k == len(text) or (families[k], levels[k]) != (families[start], levels[start]):
            direction: Direction = "rtl" if levels[start] % 2 else "ltr"
            segments.append(Segment(text[start:k], families[start], direction, level=levels[start]))
            start = k
    return tuple(segments)


def visual_order(segments: tuple[Segment, ...], base: Direction) -> tuple[Segment, ...]:
    """Segments left to right (rule L2 on their embedding levels)."""

    def level(s: Segment) -> int:
        if s.level is not None:
            return s.level
        if base == "ltr":
            return 0 if s.direction == "ltr" else 1
        return 2 if s.direction == "ltr" else 1

    levels = [level(s) for s in segments]
    return tuple(segments[k] for k in reorder(levels))
