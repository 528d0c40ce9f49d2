"""Line measurements: exact ones from Pillow, and estimates from words shaped once."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TypedDict

import uharfbuzz as hb
from PIL import Image, ImageDraw

from .bidi import Direction, paragraph_direction
from .fontfiles import BITMAP_STRIKE
from .fontruns import Segment, segment_line, visual_order
from .fonts import (
    FONTS,
    Shaper,
    is_bitmap,
    load_font,
    load_shaper,
    normalize_text,
    raqm_available,
)

# Reference family for the ascender/descender room every line reserves.
REFERENCE_FAMILY = "Inter"


# --- Measuring -----------------------------------------------------------------------------------


class DirectionKwargs(TypedDict, total=False):
    """Pillow's text layout options that depend on the direction."""

    direction: str
    features: list[str]


def direction_kwargs(direction: Direction) -> DirectionKwargs:
    """Keyword arguments for Pillow text calls: Raqm direction (and features for RTL)."""
    if not raqm_available():
        return {}
    if direction == "rtl":
        return {"direction": "rtl", "features": ["kern", "liga", "calt", "rlig"]}
    return {"direction": "ltr"}


# Colour emoji are drawn at this fraction of the text size (their bitmaps are taller than
# letters: at 1.0 an emoji stands 0.93 em above the baseline and 0.25 em below it).
BITMAP_SCALE = 0.85


@dataclass(frozen=True)
class Bitmap:
    """A bitmap-font run drawn at its strike size and scaled to the text size."""

    image: Image.Image  # RGBA, scaled
    offset: tuple[int, int]  # top-left relative to the pen at the baseline
    advance: float


@lru_cache(maxsize=256)
def bitmap_run(text: str, family: str, weight: str, size: int, direction: Direction) -> Bitmap:
    """A colour-bitmap run (emoji) drawn at the font's strike and scaled to `size`."""
    font = load_font(family, weight, size)
    kwargs = direction_kwargs(direction)
    scale = size * BITMAP_SCALE / BITMAP_STRIKE
    x0, y0, x1, y1 = (int(v) for v in font.getbbox(text, anchor="ls", **kwargs))
    advance = font.getlength(text, **kwargs) * scale
    if x1 <= x0 or y1 <= y0:
        return Bitmap(Image.new("RGBA", (0, 0)), (0, 0), advance)
    big = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    ImageDraw.Draw(big).text(
        (-x0, -y0), text, font=font, anchor="ls", embedded_color=True, **kwargs
    )
    left, top = math.floor(x0 * scale), math.floor(y0 * scale)
    right, bottom = math.ceil(x1 * scale), math.ceil(y1 * scale)
    small = big.resize((right - left, bottom - top), Image.Resampling.LANCZOS)
    return Bitmap(small, (left, top), advance)


@lru_cache(maxsize=65536)
def _segment_metrics(
    text: str, family: str, weight: str, size: int, direction: Direction
) -> tuple[float, tuple[int, int, int, int] | None]:
    """(advance, ink bbox relative to pen at baseline or None when there is no ink)."""
    if is_bitmap(family):
        run = bitmap_run(text, family, weight, size, direction)
        if not run.image.width:
            return run.advance, None
        dx, dy = run.offset
        return run.advance, (dx, dy, dx + run.image.width, dy + run.image.height)
    font = load_font(family, weight, size)
    kwargs = direction_kwargs(direction)
    advance = font.getlength(text, **kwargs)
    # Typed as floats by Pillow; FreeType's boxes are whole pixels.
    x0, y0, x1, y1 = (int(v) for v in font.getbbox(text, anchor="ls", **kwargs))
    if x1 <= x0 or y1 <= y0:
        return advance, None
    return advance, (x0, y0, x1, y1)


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
        placed.append(Segment(seg.text, seg.family, seg.direction, pen, seg.level))
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
    ink_box = (ink[0], ink[1], ink[2], ink[3]) if ink else None
    return MeasuredLine(text, tuple(placed), pen, ink_box)


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


# Inter's contextual alternates that reach across a space: an "x" between figures is drawn
# as a multiplication sign ("2 x 3", "10 x 20 cm"), which shaping the words apart cannot
# see (11 font units too narrow per sign). Lines with one are measured exactly.
_ACROSS_SPACES = re.compile(r"\d x \d|\dx \d|\d x\d")


@dataclass(frozen=True, slots=True)
class Run:
    """A line of plain reference-family words, composed in font units (see estimate_line)."""

    weight: str
    pen: float
    left: float
    top: float
    right: float
    bottom: float
    space_kern: float  # of the last word, should a space follow
    tail: str  # the run's last characters: what a contextual form across a space reads

    @classmethod
    def start(cls, word: str, weight: str, base: Direction) -> Run | None:
        """The run of one word, or None when the word is not plain reference-family text."""
        if base != "ltr" or not word or not raqm_available() or not _simple_word(word):
            return None
        shape = _reference_word(word, weight)
        box = shape.box
        return cls(
            weight, shape.advance, box[0], box[1], box[2], box[3], shape.space_kern, word[-3:]
        )

    def add(self, word: str) -> Run | None:
        """This run with a space and `word` appended (None if the word is not plain, or if
        the font would draw the words differently side by side than apart)."""
        if not word or not _simple_word(word):
            return None
        if _ACROSS_SPACES.search(f"{self.tail} {word[:2]}"):
            return None
        shape = _reference_word(word, self.weight)
        x = self.pen + self.space_kern + shape.space_before
        box = shape.box
        return Run(
            self.weight,
            x + shape.advance,
            min(self.left, x + box[0]),
            min(self.top, box[1]),
            max(self.right, x + box[2]),
            max(self.bottom, box[3]),
            shape.space_kern,
            f"{self.tail} {word}"[-3:],
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


def _run_of(text: str, weight: str, base: Direction) -> Run | None:
    words = text.split(" ")
    run = Run.start(words[0], weight, base)
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


def measure_or_estimate(
    text: str, weight: str, size: int, base: Direction, exact: bool
) -> MeasuredLine:
    """The exact measurement, or (exact=False) an estimate where one can be made."""
    if not exact:
        estimate = estimate_line(text, weight, size, base)
        if estimate is not None:
            return estimate
    return measure_line(text, weight, size, base)


def fits_width(
    text: str,
    weight: str,
    size: int,
    base: Direction,
    width: int,
    exact: bool,
    run: Run | None = None,
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
    """Forget every measurement and text analysis (loaded font files are kept): for
    benchmarks and tests."""
    from .bidi import embedding_levels
    from .wrapping import break_ideographs

    embedding_levels.cache_clear()
    break_ideographs.cache_clear()
    for cached in (
        bitmap_run,
        _segment_metrics,
        measure_line,
        reference_metrics,
        _reference_word,
        _simple_word,
    ):
        cached.cache_clear()
