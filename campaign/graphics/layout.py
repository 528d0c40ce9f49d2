"""Text fitting maths: font runs and bidi order, wrapping by measured width, shrink to fit.

Everything here works in pixels on measured glyphs (`getlength`, `getbbox`), never on
character counts, and knows nothing about cards: `render.py` decides what goes where.
The maths lives in `typescale`, `bidi`, `measure`, `wrapping`, `fitting` and `columns`;
this module gathers their public names in one place.
"""

from __future__ import annotations

from .bidi import Direction, Segment, paragraph_direction, segment_line, visual_order
from .columns import Block, ColumnDoesNotFit, ColumnFit, PlacedBlock, fit_column
from .fitting import (
    ELLIPSIS,
    MIN_INK_GAP,
    Align,
    DoesNotFit,
    FittedText,
    LineBox,
    TextStyle,
    build_block,
    fit_text,
    overflow_chars,
    truncate_to_fit,
)
from .measure import (
    REFERENCE_FAMILY,
    MeasuredLine,
    clear_caches,
    direction_kwargs,
    estimate_line,
    estimate_slack,
    measure_line,
    reference_metrics,
    text_width,
)
from .typescale import BODY_FLOOR, HEADING_FLOOR, LAYOUTS, PresetLayout, SizeRange, TypeScale
from .wrapping import Token, tokenize, wrap, wrap_tokens

__all__ = [
    "BODY_FLOOR",
    "ELLIPSIS",
    "HEADING_FLOOR",
    "LAYOUTS",
    "MIN_INK_GAP",
    "REFERENCE_FAMILY",
    "Align",
    "Block",
    "ColumnDoesNotFit",
    "ColumnFit",
    "Direction",
    "DoesNotFit",
    "FittedText",
    "LineBox",
    "MeasuredLine",
    "PlacedBlock",
    "PresetLayout",
    "Segment",
    "SizeRange",
    "TextStyle",
    "Token",
    "TypeScale",
    "build_block",
    "clear_caches",
    "direction_kwargs",
    "estimate_line",
    "estimate_slack",
    "fit_column",
    "fit_text",
    "measure_line",
    "overflow_chars",
    "paragraph_direction",
    "reference_metrics",
    "segment_line",
    "text_width",
    "tokenize",
    "truncate_to_fit",
    "visual_order",
    "wrap",
    "wrap_tokens",
]
