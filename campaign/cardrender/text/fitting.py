"""Shrink to fit: the largest size at which a text fits its box, or a cut at the floor."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .bidi import Direction, paragraph_direction
from .fontruns import Segment
from .fonts import normalize_text
from .measure import estimate_slack, measure_line, measure_or_estimate, reference_metrics
from .wrapping import Token, clusters_of, join_tokens, tokenize, wrap_tokens

Align = Literal["start", "center", "end", "left", "right"]  # start/end follow the text direction
ELLIPSIS = "…"

# Smallest vertical gap between the ink of two lines, as a fraction of the font size.
MIN_INK_GAP = 0.06


@dataclass(frozen=True)
class SizeRange:
    """Font sizes in px a role may use: shrink from `max` down to `min` (the floor)."""

    min: int
    max: int

    def at(self, t: float) -> int:
        """The size a fraction t of the way from min (t=0) to max (t=1)."""
        return self.min + round((self.max - self.min) * t)


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
    prefer_lines: int | None = None  # above the floor, shrink rather than take more lines

    def candidate_sizes(self) -> list[int]:
        """Sizes to try, largest first, ending at the floor."""
        sizes = list(range(self.sizes.max, self.sizes.min, -self.step))
        return [*sizes, self.sizes.min]

    def at_size(self, size: int) -> TextStyle:
        """The same style pinned to one size (above the floor, `prefer_lines` is the cap)."""
        if self.prefer_lines and size > self.sizes.min:
            return dataclasses.replace(
                self, sizes=SizeRange(size, size), max_lines=self.prefer_lines, prefer_lines=None
            )
        return dataclasses.replace(self, sizes=SizeRange(size, size), prefer_lines=None)


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
        m = measure_or_estimate(text, style.weight, size, base, exact)
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
        join_tokens([Token(t) for t in lines]),
        tuple(placed),
        size,
        style.weight,
        width,
        height,
        base,
    )


def _widest(texts: list[str], weight: str, size: int, base: Direction, exact: bool) -> int:
    """The largest width among single-line texts (exact: measuring only the contenders)."""
    estimates = [measure_or_estimate(text, weight, size, base, exact=False) for text in texts]
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
    if style.prefer_lines and len(lines) > style.prefer_lines and size > style.sizes.min:
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
    return FittedText(
        join_tokens(tokens), block.lines, size, style.weight, width, block.height, base
    )


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
    return max(1, len(text) - len(join_tokens(tokens[:kept])))


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
        clusters = clusters_of(tokens[0].text) if tokens else []

        def cut(n: int) -> list[Token]:
            return [Token("".join(clusters[:n]) + ELLIPSIS)]

        _, block = _longest_fitting(len(clusters) - 1, cut, style, width, height, base)
        if block is None:
            return None
    return dataclasses.replace(block, truncated=True)


def prepare_text(text: str) -> tuple[str, Direction]:
    """Text as it is laid out (normalised, single spaces) and its paragraph direction."""
    text = normalize_text(" ".join(text.split()))
    return text, paragraph_direction(text)


def fit_at(
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
    text, base = prepare_text(text)
    if not text:
        return FittedText("", (), style.sizes.max, style.weight, width, 0, base)
    sizes = style.candidate_sizes()
    # Estimates pick the size; the exact layout confirms it, stepping down while the estimate
    # was optimistic (and trying the floor when no estimate fitted).
    start = next(
        (
            k
            for k, size in enumerate(sizes)
            if fit_at(text, style, size, width, height, base, False)
        ),
        len(sizes) - 1,
    )
    for size in sizes[start:]:
        block = fit_at(text, style, size, width, height, base, True)
        if block is not None:
            return block
    if truncate:
        cut = truncate_to_fit(text, style, width, height)
        if cut is not None:
            return cut
    return DoesNotFit(overflow_chars(text, style, width, height), style.sizes.min)
