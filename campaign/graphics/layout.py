"""Text fitting maths: font runs and bidi order, wrapping by measured width, shrink to fit.

Everything here works in pixels on measured glyphs (`getlength`, `getbbox`), never on
character counts, and knows nothing about cards: `render.py` decides what goes where.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import uharfbuzz as hb

from .fonts import (
    FONTS,
    FontSet,
    Shaper,
    load_font,
    load_shaper,
    normalize_text,
    raqm_available,
)

Direction = Literal["ltr", "rtl"]
Align = Literal["start", "center", "end", "left", "right"]  # start/end follow the text direction
ELLIPSIS = "…"

# Reference family for the ascender/descender room every line reserves.
REFERENCE_FAMILY = "Inter"
# Smallest vertical gap between the ink of two lines, as a fraction of the font size.
MIN_INK_GAP = 0.06


# --- Layout numbers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeRange:
    """Font sizes in px a role may use: shrink from `max` down to `min` (the floor)."""

    min: int
    max: int

    def at(self, t: float) -> int:
        """The size a fraction t of the way from min (t=0) to max (t=1)."""
        return self.min + round((self.max - self.min) * t)


@dataclass(frozen=True)
class TypeScale:
    """Font size ranges per text role for one preset.

    heading and display are headings (floor >= 64 px), body is the main copy (floor >= 44 px
    on 1080-wide cards, >= 48 px on og); label and caption are the small print around it
    (pills, brand line, source line, disclaimer, QR caption).
    """

    display: SizeRange
    heading: SizeRange
    body: SizeRange
    label: SizeRange
    caption: SizeRange

    def role(self, name: str) -> SizeRange:
        """The range for a role name."""
        return getattr(self, name)


@dataclass(frozen=True)
class PresetLayout:
    """Spacing for one preset; the drawing code takes every distance from here."""

    margin_x: int  # left and right margin
    margin_y: int  # top and bottom margin inside the text area
    gap: int  # between sections
    tight_gap: int  # between a label and its text, or related lines
    panel_pad: int  # inside panels
    radius: int  # panel corner radius
    stripe: int  # accent stripe along the top edge
    brand_height: int  # the brand row (logo, campaign name, hashtag)
    pill_pad_x: int  # label pills
    pill_pad_y: int
    icon_size: int  # calendar / place icons beside body lines
    icon_gap: int
    qr_max: int  # QR panel side (white, quiet zone included)
    qr_module_min: int  # smallest QR module in px (so it scans from a screen)
    strike_ratio: float  # strike-through thickness as a fraction of the font size
    type: TypeScale
    body_leading: float = 1.22  # line pitch of body text, as a multiple of the size
    split: float = 0.4  # share of the width for the left column on landscape cards


# Text floors the guarantees promise (px), per role and preset.
BODY_FLOOR = {"og": 48, "square": 44, "portrait": 44, "story": 44}
HEADING_FLOOR = 64

_SQUARE_TYPE = TypeScale(
    display=SizeRange(200, 340),
    heading=SizeRange(64, 96),
    body=SizeRange(44, 60),
    label=SizeRange(30, 30),
    caption=SizeRange(28, 32),
)

LAYOUTS: dict[str, PresetLayout] = {
    "og": PresetLayout(
        margin_x=56,
        margin_y=30,
        gap=20,
        tight_gap=10,
        panel_pad=22,
        radius=24,
        stripe=10,
        brand_height=36,
        pill_pad_x=14,
        pill_pad_y=6,
        icon_size=32,
        icon_gap=16,
        qr_max=330,
        qr_module_min=5,
        strike_ratio=0.075,
        type=TypeScale(
            display=SizeRange(120, 260),
            heading=SizeRange(64, 84),
            body=SizeRange(48, 54),
            label=SizeRange(24, 24),
            caption=SizeRange(22, 24),
        ),
        body_leading=1.15,
        split=0.35,
    ),
    "square": PresetLayout(
        margin_x=72,
        margin_y=56,
        gap=40,
        tight_gap=18,
        panel_pad=40,
        radius=32,
        stripe=12,
        brand_height=52,
        pill_pad_x=20,
        pill_pad_y=8,
        icon_size=40,
        icon_gap=22,
        qr_max=300,
        qr_module_min=6,
        strike_ratio=0.075,
        type=_SQUARE_TYPE,
    ),
    "portrait": PresetLayout(
        margin_x=80,
        margin_y=72,
        gap=48,
        tight_gap=20,
        panel_pad=44,
        radius=36,
        stripe=12,
        brand_height=56,
        pill_pad_x=20,
        pill_pad_y=8,
        icon_size=40,
        icon_gap=22,
        qr_max=340,
        qr_module_min=6,
        strike_ratio=0.075,
        type=TypeScale(
            display=SizeRange(220, 380),
            heading=SizeRange(64, 104),
            body=SizeRange(44, 64),
            label=SizeRange(30, 30),
            caption=SizeRange(28, 32),
        ),
    ),
    "story": PresetLayout(
        margin_x=80,
        margin_y=24,
        gap=56,
        tight_gap=22,
        panel_pad=48,
        radius=40,
        stripe=12,
        brand_height=56,
        pill_pad_x=22,
        pill_pad_y=8,
        icon_size=44,
        icon_gap=24,
        qr_max=400,
        qr_module_min=6,
        strike_ratio=0.075,
        type=TypeScale(
            display=SizeRange(240, 420),
            heading=SizeRange(64, 112),
            body=SizeRange(44, 68),
            label=SizeRange(32, 32),
            caption=SizeRange(28, 34),
        ),
    ),
}


# --- Bidi: paragraph direction, font runs and their visual order ---------------------------------


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


# --- Measuring -----------------------------------------------------------------------------------


def direction_kwargs(direction: Direction) -> dict[str, object]:
    """Keyword arguments for Pillow text calls: Raqm direction (and features for RTL)."""
    if not raqm_available():
        return {}
    if direction == "rtl":
        return {"direction": "rtl", "features": ["kern", "liga", "calt", "rlig"]}
    return {"direction": "ltr"}


@lru_cache(maxsize=65536)
def _segment_metrics(
    text: str, family: str, weight: str, size: int, direction: Direction
) -> tuple[float, tuple[int, int, int, int] | None]:
    """(advance, ink bbox relative to pen at baseline or None when there is no ink)."""
    font = load_font(family, weight, size)
    kwargs = direction_kwargs(direction)
    advance = font.getlength(text, **kwargs)
    bbox = font.getbbox(text, anchor="ls", **kwargs)
    if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
        return advance, None
    return advance, bbox


@lru_cache(maxsize=64)
def reference_metrics(weight: str, size: int) -> tuple[int, int]:
    """(ascent, descent) that every line reserves at least, from the reference family."""
    return load_font(REFERENCE_FAMILY, weight, size).getmetrics()


@dataclass(frozen=True)
class MeasuredLine:
    """One line measured at pen origin (0, baseline 0): segments carry their pen offsets."""

    text: str
    segments: tuple[Segment, ...]
    advance: int
    ink: tuple[int, int, int, int] | None  # x0, y0 (negative = above baseline), x1, y1

    @property
    def left(self) -> int:
        """Leftmost pixel used (ink may start before the pen)."""
        return min(0, self.ink[0]) if self.ink else 0

    @property
    def right(self) -> int:
        """Rightmost pixel used (advance or ink, whichever is further)."""
        return max(self.advance, self.ink[2]) if self.ink else self.advance

    @property
    def width(self) -> int:
        """Horizontal room the line needs."""
        return self.right - self.left


@lru_cache(maxsize=32768)
def measure_line(text: str, weight: str, size: int, base: Direction) -> MeasuredLine:
    """Measure a line: font runs in visual order, total advance, and ink box."""
    placed: list[Segment] = []
    pen = 0
    ink: list[int] | None = None
    for seg in visual_order(segment_line(text, base), base):
        advance, bbox = _segment_metrics(seg.text, seg.family, weight, size, seg.direction)
        placed.append(Segment(seg.text, seg.family, seg.direction, pen))
        if bbox is not None:
            box = [bbox[0] + pen, bbox[1], bbox[2] + pen, bbox[3]]
            if ink is None:
                ink = box
            else:
                ink = [
                    min(ink[0], box[0]),
                    min(ink[1], box[1]),
                    max(ink[2], box[2]),
                    max(ink[3], box[3]),
                ]
        pen += round(advance)
    box = (ink[0], ink[1], ink[2], ink[3]) if ink else None
    return MeasuredLine(text, tuple(placed), pen, box)


def text_width(text: str, weight: str, size: int) -> int:
    """Pixels a single line of `text` needs."""
    text = normalize_text(text)
    return measure_line(text, weight, size, paragraph_direction(text)).width


# --- Estimating ----------------------------------------------------------------------------------
#
# Every Pillow measurement costs a full text layout (about 0.1 ms even for one word), and
# fitting tries several sizes. For text in the reference family, words are instead shaped
# once with HarfBuzz at the font's design size (the shaper Raqm itself uses, so advances
# and kerning agree to within 0.05 px and ink boxes to within 1 px) and lines at any size
# are composed from those words. Estimates steer the search; what is finally drawn is
# measured exactly with Pillow.


@dataclass(frozen=True, slots=True)
class _WordShape:
    """One word shaped at the design size, in font units (y down from the baseline pen)."""

    advance: float  # alone
    box: tuple[float, float, float, float]  # as Pillow's getbbox: at least the advance wide
    space_before: float  # a space's advance before this word (kerned with its first glyph)
    space_kern: float  # how a following space changes the word's advance (kerning)


def _shape(shaper: Shaper, text: str) -> list[tuple[int, int, hb.GlyphPosition]]:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.direction = "ltr"
    buffer.guess_segment_properties()
    hb.shape(shaper.font, buffer, {})
    return [
        (info.codepoint, info.cluster, pos)
        for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)
    ]


@lru_cache(maxsize=16384)
def _reference_word(word: str, weight: str) -> _WordShape:
    """Shape `word` alone and between two spaces (kerning reaches across spaces)."""
    shaper = load_shaper(REFERENCE_FAMILY, weight)
    pen = 0
    left, top, right, bottom = 0.0, 0.0, 0.0, 0.0
    for glyph, _, pos in _shape(shaper, word):
        extents = shaper.font.get_glyph_extents(glyph)
        if extents is not None and extents.width and extents.height:
            x = pen + pos.x_offset + extents.x_bearing
            y = -(pos.y_offset + extents.y_bearing)
            left = min(left, x)
            right = max(right, x + extents.width)
            top = min(top, y)
            bottom = max(bottom, y - extents.height)
        pen += pos.x_advance
    spaced = _shape(shaper, f" {word} ")
    space_before = sum(pos.x_advance for _, cluster, pos in spaced if cluster == 0)
    inside = sum(pos.x_advance for _, cluster, pos in spaced if 0 < cluster <= len(word))
    return _WordShape(
        float(pen), (left, top, max(right, pen), bottom), float(space_before), inside - pen
    )


@lru_cache(maxsize=4096)
def _simple_word(word: str) -> bool:
    """Whether the reference family draws the word alone, left to right."""
    return FONTS.family_for(word) == REFERENCE_FAMILY and paragraph_direction(word) == "ltr"


@dataclass(frozen=True, slots=True)
class _Run:
    """A line of plain reference-family words, composed in font units (see estimate_line)."""

    weight: str
    pen: float
    left: float
    top: float
    right: float
    bottom: float
    space_kern: float  # of the last word, should a space follow

    @classmethod
    def start(cls, word: str, weight: str, base: Direction) -> _Run | None:
        """The run of one word, or None when the word is not plain reference-family text."""
        if base != "ltr" or not word or not raqm_available() or not _simple_word(word):
            return None
        shape = _reference_word(word, weight)
        box = shape.box
        return cls(weight, shape.advance, box[0], box[1], box[2], box[3], shape.space_kern)

    def add(self, word: str) -> _Run | None:
        """This run with a space and `word` appended (None if the word is not plain)."""
        if not word or not _simple_word(word):
            return None
        shape = _reference_word(word, self.weight)
        x = self.pen + self.space_kern + shape.space_before
        box = shape.box
        return _Run(
            self.weight,
            x + shape.advance,
            min(self.left, x + box[0]),
            min(self.top, box[1]),
            max(self.right, x + box[2]),
            max(self.bottom, box[3]),
            shape.space_kern,
        )

    def _scale(self, size: int) -> float:
        return size / load_shaper(REFERENCE_FAMILY, self.weight).upem

    def width(self, size: int) -> int:
        """MeasuredLine.width at `size`."""
        scale = self._scale(size)
        return math.ceil(self.right * scale) - math.floor(self.left * scale)

    def measured(self, text: str, size: int) -> MeasuredLine:
        """The run as a MeasuredLine of `text` at `size`."""
        scale = self._scale(size)
        ink = (
            math.floor(self.left * scale),
            math.floor(self.top * scale),
            math.ceil(self.right * scale),
            math.ceil(self.bottom * scale),
        )
        segments = (Segment(text, REFERENCE_FAMILY, "ltr"),)
        return MeasuredLine(text, segments, round(self.pen * scale), ink)


def _run_of(text: str, weight: str, base: Direction) -> _Run | None:
    words = text.split(" ")
    run = _Run.start(words[0], weight, base)
    for word in words[1:]:
        if run is None:
            break
        run = run.add(word)
    return run


def estimate_line(text: str, weight: str, size: int, base: Direction) -> MeasuredLine | None:
    """measure_line's result composed from words shaped once, or None when the line is not
    plain left-to-right text in the reference family (those are measured exactly)."""
    run = _run_of(text, weight, base)
    return None if run is None else run.measured(text, size)


def estimate_slack(width: int) -> float:
    """How far (px) an estimated line width may be from the exact one: 3 px for rounding
    and hinting plus 0.5% for what shaping words apart cannot see (tested over random
    text in tests/graphics/test_layout.py). Decisions closer than this are measured."""
    return 3 + width / 200


def _line(text: str, weight: str, size: int, base: Direction, exact: bool) -> MeasuredLine:
    """The exact measurement, or (exact=False) an estimate where one can be made."""
    if not exact:
        estimate = estimate_line(text, weight, size, base)
        if estimate is not None:
            return estimate
    return measure_line(text, weight, size, base)


def _fits_width(
    text: str,
    weight: str,
    size: int,
    base: Direction,
    width: int,
    exact: bool,
    run: _Run | None = None,
) -> bool:
    """Whether the line is at most `width` wide (`run`: its estimate, when already known).

    exact=True gives the exact answer but measures only close calls: an estimate further
    than its error bound from `width` already decides.
    """
    if run is None:
        run = _run_of(text, weight, base)
    if run is None:
        return measure_line(text, weight, size, base).width <= width
    estimate = run.width(size)
    if not exact:
        return estimate <= width
    slack = estimate_slack(estimate)
    if estimate + slack <= width:
        return True
    if estimate - slack > width:
        return False
    return measure_line(text, weight, size, base).width <= width


def clear_caches() -> None:
    """Forget every measurement (loaded font files are kept): for benchmarks and tests."""
    for cached in (
        _segment_metrics,
        measure_line,
        reference_metrics,
        _reference_word,
        _simple_word,
    ):
        cached.cache_clear()


# --- Wrapping ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A word, or a piece of a word too long for a line (glued: no space before it)."""

    text: str
    glued: bool = False


def _break_after_allowed(prev: str, ch: str) -> bool:
    """May a too-long word be broken between prev and ch (keeps marks and conjuncts whole)?"""
    if unicodedata.category(ch).startswith("M"):
        return False
    if ch in "\u200c\u200d" or prev in "\u200c\u200d":
        return False
    return not unicodedata.name(prev, "").endswith("SIGN VIRAMA")


def _clusters(word: str) -> list[str]:
    clusters: list[str] = []
    for ch in word:
        if clusters and not _break_after_allowed(clusters[-1][-1], ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _join(tokens: list[Token]) -> str:
    out = ""
    for tok in tokens:
        out += tok.text if (not out or tok.glued) else " " + tok.text
    return out


def tokenize(
    text: str, weight: str, size: int, width: int, base: Direction, exact: bool = True
) -> list[Token]:
    """Words of `text`, with words wider than `width` broken into glued pieces."""
    tokens: list[Token] = []
    for word in text.split():
        if _fits_width(word, weight, size, base, width, exact):
            tokens.append(Token(word))
            continue
        piece = ""
        first = True
        for cluster in _clusters(word):
            candidate = piece + cluster
            if piece and measure_line(candidate, weight, size, base).width > width:
                tokens.append(Token(piece, glued=not first))
                first = False
                piece = cluster
            else:
                piece = candidate
        if piece:
            tokens.append(Token(piece, glued=not first))
    return tokens


def wrap_tokens(
    tokens: list[Token], weight: str, size: int, width: int, base: Direction, exact: bool = True
) -> list[str]:
    """Greedy line filling by measured width, in logical order."""
    lines: list[str] = []
    current = ""
    run: _Run | None = None  # the estimate of `current`, grown word by word
    for tok in tokens:
        if not current:
            current = tok.text
            run = _Run.start(tok.text, weight, base)
            continue
        if tok.glued:
            candidate, extended = current + tok.text, None
        else:
            candidate = current + " " + tok.text
            extended = run.add(tok.text) if run is not None else None
        if _fits_width(candidate, weight, size, base, width, exact, extended):
            current = candidate
            run = extended
        else:
            lines.append(current)
            current = tok.text
            run = _Run.start(tok.text, weight, base)
    if current:
        lines.append(current)
    return lines


def wrap(text: str, weight: str, size: int, width: int) -> list[str]:
    """Lines of `text` that each fit `width` px at `size` (breaking over-long words)."""
    text = normalize_text(text)
    base = paragraph_direction(text)
    return wrap_tokens(tokenize(text, weight, size, width, base), weight, size, width, base)


# --- Fitting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextStyle:
    """How a text block may be set: weight, size range, leading, line cap and alignment."""

    weight: str
    sizes: SizeRange
    line_height: float = 1.2
    max_lines: int | None = None
    align: Align = "start"
    step: int = 2
    balance: bool = False  # even out line lengths (no short last line) for headings
    tight: bool = False  # box hugs the ink instead of reserving ascender/descender room

    def candidate_sizes(self) -> list[int]:
        """Sizes to try, largest first, ending at the floor."""
        sizes = list(range(self.sizes.max, self.sizes.min, -self.step))
        return [*sizes, self.sizes.min]

    def at_size(self, size: int) -> TextStyle:
        """The same style pinned to one size."""
        return dataclasses.replace(self, sizes=SizeRange(size, size))


@dataclass(frozen=True)
class LineBox:
    """A placed line; coordinates are relative to the block's top-left corner."""

    text: str
    segments: tuple[Segment, ...]  # visual order, x = pen offset from `x`
    x: int  # pen origin
    baseline: int
    box: tuple[int, int, int, int]  # x0, top (ascender), x1, bottom (descender)
    ink: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class FittedText:
    """A text block that fits: its lines, size and the text actually drawn."""

    text: str  # what is drawn (ends in "…" when truncated)
    lines: tuple[LineBox, ...]
    size: int
    weight: str
    width: int
    height: int
    direction: Direction
    truncated: bool = False

    @property
    def line_boxes(self) -> tuple[tuple[int, int, int, int], ...]:
        """Each line's box (ascender to descender), relative to the block."""
        return tuple(line.box for line in self.lines)

    @property
    def ink(self) -> tuple[int, int, int, int] | None:
        """Union of the lines' ink, relative to the block."""
        boxes = [line.ink for line in self.lines if line.ink]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


@dataclass(frozen=True)
class DoesNotFit:
    """The text cannot fit at the floor size; roughly this many characters must go."""

    overflow_chars: int
    size: int
    field: str = ""


def build_block(
    lines: list[str],
    style: TextStyle,
    size: int,
    width: int,
    base: Direction,
    exact: bool = True,
) -> FittedText | None:
    """Stack measured lines into a block, or None if a line is wider than `width`."""
    ref_ascent, ref_descent = (0, 0) if style.tight else reference_metrics(style.weight, size)
    pitch = round(size * style.line_height)
    min_gap = math.ceil(size * MIN_INK_GAP)
    placed: list[LineBox] = []
    baseline = 0
    prev_ink_bottom = 0
    for k, text in enumerate(lines):
        m = _line(text, style.weight, size, base, exact)
        if m.width > width:
            return None
        ink_top = -m.ink[1] if m.ink else 0
        ink_bottom = m.ink[3] if m.ink else 0
        ascent = max(ref_ascent, ink_top)
        descent = max(ref_descent, ink_bottom)
        if k == 0:
            baseline = ascent
        else:
            baseline += max(pitch, prev_ink_bottom + ink_top + min_gap)
        prev_ink_bottom = ink_bottom
        align = style.align
        if align in ("left", "right"):
            align = "start" if align == "left" else "end"
        elif align != "center":
            at_left = (align == "start") == (base == "ltr")
            align = "start" if at_left else "end"
        if align == "start":
            x = -m.left
        elif align == "end":
            x = width - m.right
        else:
            x = (width - m.width) // 2 - m.left
        ink = (
            (x + m.ink[0], baseline + m.ink[1], x + m.ink[2], baseline + m.ink[3])
            if m.ink
            else None
        )
        box = (x + m.left, baseline - ascent, x + m.right, baseline + descent)
        placed.append(LineBox(text, m.segments, x, baseline, box, ink))
    height = placed[-1].box[3] if placed else 0
    return FittedText(
        _join([Token(t) for t in lines]), tuple(placed), size, style.weight, width, height, base
    )


def _widest(texts: list[str], weight: str, size: int, base: Direction, exact: bool) -> int:
    """The largest width among single-line texts (exact: measuring only the contenders)."""
    estimates = [_line(text, weight, size, base, exact=False) for text in texts]
    top = max(m.width for m in estimates)
    if not exact:
        return top
    slack = estimate_slack(top)
    return max(
        measure_line(text, weight, size, base).width
        for text, m in zip(texts, estimates, strict=True)
        if m.width + 2 * slack >= top
    )


def _balanced(
    tokens: list[Token],
    style: TextStyle,
    size: int,
    width: int,
    base: Direction,
    count: int,
    exact: bool = True,
) -> list[str]:
    """The narrowest wrapping that still takes `count` lines (evens out line lengths)."""
    lo = _widest([t.text for t in tokens], style.weight, size, base, exact)
    hi = width
    while lo < hi:
        mid = (lo + hi) // 2
        if len(wrap_tokens(tokens, style.weight, size, mid, base, exact)) <= count:
            hi = mid
        else:
            lo = mid + 1
    return wrap_tokens(tokens, style.weight, size, hi, base, exact)


def _fits(
    tokens: list[Token],
    style: TextStyle,
    size: int,
    width: int,
    height: int,
    base: Direction,
    exact: bool = True,
) -> FittedText | None:
    """The block for `tokens` at `size` if it fits width x height (and max_lines).

    exact=False judges by estimates (a trial); exact=True measures what would be drawn.
    """
    lines = wrap_tokens(tokens, style.weight, size, width, base, exact)
    if style.max_lines is not None and len(lines) > style.max_lines:
        return None
    block = build_block(lines, style, size, width, base, exact)
    if block is None or block.height > height:
        return None
    if style.balance and len(lines) > 1:
        even = build_block(
            _balanced(tokens, style, size, width, base, len(lines), exact),
            style,
            size,
            width,
            base,
            exact,
        )
        if even is not None and even.height <= height:
            block = even
    return FittedText(_join(tokens), block.lines, size, style.weight, width, block.height, base)


def _longest_prefix(n: int, ok: Callable[[int], bool]) -> int:
    """Largest k in [0, n] with ok(k) true, assuming ok is monotone (ok(0) is true)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _longest_fitting(
    n: int,
    tokens_for: Callable[[int], list[Token]],
    style: TextStyle,
    width: int,
    height: int,
    base: Direction,
) -> tuple[int, FittedText | None]:
    """Largest k in [0, n] whose tokens_for(k) fit at the floor, with that block (k=0: None).

    Searched on estimates, then confirmed exactly (stepping back while the estimate was
    optimistic).
    """
    size = style.sizes.min

    def trial(k: int) -> bool:
        return k == 0 or _fits(tokens_for(k), style, size, width, height, base, False) is not None

    k = _longest_prefix(n, trial)
    while k > 0:
        block = _fits(tokens_for(k), style, size, width, height, base)
        if block is not None:
            return k, block
        k -= 1
    return 0, None


def overflow_chars(text: str, style: TextStyle, width: int, height: int) -> int:
    """Roughly how many characters must be cut from the end for `text` to fit at the floor."""
    text = normalize_text(text)
    base = paragraph_direction(text)
    size = style.sizes.min
    tokens = tokenize(text, style.weight, size, width, base)
    if _fits(tokens, style, size, width, height, base) is not None:
        return 0
    kept, _ = _longest_fitting(len(tokens) - 1, lambda k: tokens[:k], style, width, height, base)
    return max(1, len(text) - len(_join(tokens[:kept])))


def truncate_to_fit(text: str, style: TextStyle, width: int, height: int) -> FittedText | None:
    """`text` cut at a word boundary with "…" so it fits at the floor, or None."""
    text = normalize_text(text)
    base = paragraph_direction(text)
    size = style.sizes.min
    tokens = tokenize(text, style.weight, size, width, base)

    def with_ellipsis(k: int) -> list[Token]:
        head = tokens[:k]
        return [*head[:-1], Token(head[-1].text + ELLIPSIS, head[-1].glued)]

    _, block = _longest_fitting(len(tokens) - 1, with_ellipsis, style, width, height, base)
    if block is None:
        # Not even the first word fits: cut inside it, between clusters.
        clusters = _clusters(tokens[0].text) if tokens else []

        def cut(n: int) -> list[Token]:
            return [Token("".join(clusters[:n]) + ELLIPSIS)]

        _, block = _longest_fitting(len(clusters) - 1, cut, style, width, height, base)
        if block is None:
            return None
    return dataclasses.replace(block, truncated=True)


def _prepare(text: str) -> tuple[str, Direction]:
    """Text as it is laid out (normalised, single spaces) and its paragraph direction."""
    text = normalize_text(" ".join(text.split()))
    return text, paragraph_direction(text)


def _fit_at(
    text: str, style: TextStyle, size: int, width: int, height: int, base: Direction, exact: bool
) -> FittedText | None:
    """Prepared `text` laid out at one size, if it fits."""
    tokens = tokenize(text, style.weight, size, width, base, exact)
    return _fits(tokens, style, size, width, height, base, exact)


def fit_text(
    text: str, style: TextStyle, width: int, height: int, *, truncate: bool = False
) -> FittedText | DoesNotFit:
    """Fit `text` in a width x height box: largest size that fits, down to the floor.

    At the floor, a truncatable text (a title) is cut at a word boundary with "…"; any other
    text gets DoesNotFit with roughly how many characters to cut.
    """
    text, base = _prepare(text)
    if not text:
        return FittedText("", (), style.sizes.max, style.weight, width, 0, base)
    sizes = style.candidate_sizes()
    # Estimates pick the size; the exact layout confirms it, stepping down while the estimate
    # was optimistic (and trying the floor when no estimate fitted).
    start = next(
        (
            k
            for k, size in enumerate(sizes)
            if _fit_at(text, style, size, width, height, base, False)
        ),
        len(sizes) - 1,
    )
    for size in sizes[start:]:
        block = _fit_at(text, style, size, width, height, base, True)
        if block is not None:
            return block
    if truncate:
        cut = truncate_to_fit(text, style, width, height)
        if cut is not None:
            return cut
    return DoesNotFit(overflow_chars(text, style, width, height), style.sizes.min)


# --- Columns of blocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One text block in a column; `pad` adds room above and below (pills, panels)."""

    field: str
    text: str
    style: TextStyle
    truncate: bool = False
    space_before: int = 0
    pad: int = 0
    inset: int = 0  # room kept free at the line start (for an icon)


@dataclass(frozen=True)
class PlacedBlock:
    """A fitted block and its slot in the column (y relative to the column top)."""

    block: Block
    fitted: FittedText
    y: int  # slot top
    height: int  # slot height (text height + 2 * pad)


@dataclass(frozen=True)
class ColumnFit:
    """Every block fitted; `height` is the total height used."""

    blocks: tuple[PlacedBlock, ...]
    height: int

    def get(self, field_name: str) -> PlacedBlock | None:
        """The placed block for a field, if present."""
        return next((b for b in self.blocks if b.block.field == field_name), None)


@dataclass(frozen=True)
class ColumnDoesNotFit:
    """Some non-truncatable blocks cannot fit at their floors: field -> characters to cut."""

    overflow: dict[str, int] = field(default_factory=dict)


def _place(blocks: list[Block], fitted: list[FittedText]) -> ColumnFit:
    placed: list[PlacedBlock] = []
    y = 0
    for block, fit in zip(blocks, fitted, strict=True):
        y += block.space_before
        slot = fit.height + 2 * block.pad
        placed.append(PlacedBlock(block, fit, y, slot))
        y += slot
    return ColumnFit(tuple(placed), y)


def _fixed_height(blocks: list[Block]) -> int:
    return sum(b.space_before + 2 * b.pad for b in blocks)


def fit_column(blocks: list[Block], width: int, height: int) -> ColumnFit | ColumnDoesNotFit:
    """Fit blocks stacked top to bottom in width x height, shrinking them together.

    All blocks shrink in step, each within its own size range; truncatable blocks are cut
    only once everything is at its floor.
    """
    blocks = [b for b in blocks if normalize_text(b.text).strip()]
    if not blocks:
        return ColumnFit((), 0)
    fixed = _fixed_height(blocks)
    steps = max(1, max((b.style.sizes.max - b.style.sizes.min) // 2 for b in blocks))
    prepared = [_prepare(b.text) for b in blocks]

    def attempt(k: int, exact: bool) -> list[FittedText] | None:
        """Every block at step k of `steps` (0 = all at their floors), if they all fit."""
        t = k / steps
        fitted: list[FittedText] = []
        used = fixed
        for b, (text, base) in zip(blocks, prepared, strict=True):
            size = b.style.sizes.at(t)
            fit = _fit_at(text, b.style.at_size(size), size, width - b.inset, height, base, exact)
            if fit is None:
                return None
            fitted.append(fit)
            used += fit.height
            if used > height:
                return None
        return fitted

    # Smaller sizes never need more room, so the largest step that fits is found by
    # bisection on estimates, then confirmed exactly (stepping down if it was optimistic).
    if attempt(steps, False) is not None:
        fits = steps
    else:
        fits, fails = -1, steps  # -1 stands for "none fits"; `fails` is known not to
        while fails - fits > 1:
            mid = (fits + fails) // 2
            if attempt(mid, False) is None:
                fails = mid
            else:
                fits = mid
    for k in range(max(fits, 0), -1, -1):
        found = attempt(k, True)
        if found is not None:
            return _place(blocks, found)
    return _fit_at_floor(blocks, width, height)


def _fit_at_floor(blocks: list[Block], width: int, height: int) -> ColumnFit | ColumnDoesNotFit:
    """Everything at its floor: cut truncatable blocks, or report what must be cut."""
    floor = {b.field: b.style.at_size(b.style.sizes.min) for b in blocks}
    overflow: dict[str, int] = {}
    heights: dict[str, int] = {}
    min_heights: dict[str, int] = {}
    unbounded = 100_000
    for b in blocks:
        fit = fit_text(b.text, floor[b.field], width - b.inset, unbounded, truncate=b.truncate)
        if isinstance(fit, DoesNotFit):  # more lines than max_lines allows
            overflow[b.field] = fit.overflow_chars
            capped = fit_text("x", floor[b.field], width - b.inset, unbounded)
            per_line = capped.height if isinstance(capped, FittedText) else 0
            heights[b.field] = per_line * (b.style.max_lines or 1)
        else:
            heights[b.field] = fit.height
        one_line = fit_text("x", floor[b.field], width - b.inset, unbounded)
        min_heights[b.field] = one_line.height if isinstance(one_line, FittedText) else 0
    fixed = _fixed_height(blocks)
    firm = [b for b in blocks if not b.truncate]
    cuttable = [b for b in blocks if b.truncate]
    firm_height = sum(heights[b.field] for b in firm)
    spare = height - fixed - firm_height - sum(min_heights[b.field] for b in cuttable)
    if spare < 0 and firm:
        # Blame the longest non-truncatable text: how much of it fits in what is left over.
        worst = max(firm, key=lambda b: len(b.text))
        others = firm_height - heights[worst.field]
        budget = height - fixed - others - sum(min_heights[b.field] for b in cuttable)
        style = floor[worst.field]
        if budget <= 0:
            overflow[worst.field] = len(normalize_text(worst.text))
        else:
            overflow[worst.field] = max(
                overflow.get(worst.field, 0),
                overflow_chars(worst.text, style, width - worst.inset, budget),
            )
    if overflow:
        return ColumnDoesNotFit(overflow)
    fitted: dict[str, FittedText] = {}
    for b in firm:
        fit = fit_text(b.text, floor[b.field], width - b.inset, heights[b.field])
        assert isinstance(fit, FittedText)
        fitted[b.field] = fit
    remaining = height - fixed - firm_height
    for k, b in enumerate(cuttable):
        later = sum(min_heights[c.field] for c in cuttable[k + 1 :])
        fit = fit_text(b.text, floor[b.field], width - b.inset, remaining - later, truncate=True)
        if isinstance(fit, DoesNotFit):
            return ColumnDoesNotFit({b.field: fit.overflow_chars})
        fitted[b.field] = fit
        remaining -= fit.height
    return _place(blocks, [fitted[b.field] for b in blocks])
