"""Share cards drawn with Pillow: a frozen spec in, an image out (no Flask, no database).

This module is the renderer's public API: code outside the package imports these names
from `campaign.cardrender` and nothing from its modules. Inside, `specs` says what a card
shows, `kinds/` lays each kind of card out as a plan, `draw` paints it, `text/` fits the
words, `alt_text` describes the card, and `render` ties them together.
"""

from __future__ import annotations

from .alt_text import ALT_TEXT_LIMIT, ALT_TEXT_VERSION, alt_text
from .contrast import MIN_TEXT_CONTRAST, THEME_PAIRS, contrast_ratio, is_hex_colour, validate_theme
from .kinds import plan_card
from .render import (
    MAX_PDF_BYTES,
    MAX_PNG_BYTES,
    TextDoesNotFit,
    cache_key,
    check_myth_fact_fits,
    encode_pdf,
    encode_png,
    fit_set,
    render,
    render_flyer,
    render_flyer_with_report,
    render_with_report,
)
from .specs import (
    DEFAULT_THEME,
    LABEL_DEFAULTS,
    PAPERS,
    PRESETS,
    PRINT_DPI,
    AttendingCard,
    CardSpec,
    CountdownCard,
    EventCard,
    FlyerCard,
    Labels,
    MythFactCard,
    Preset,
    Theme,
    short_address,
)
from .text.fonts import (
    describe_character,
    raqm_available,
    raqm_status_message,
    remember_font_digest,
    undrawable_characters,
)

__all__ = [
    "ALT_TEXT_LIMIT",
    "ALT_TEXT_VERSION",
    "DEFAULT_THEME",
    "LABEL_DEFAULTS",
    "MAX_PDF_BYTES",
    "MAX_PNG_BYTES",
    "MIN_TEXT_CONTRAST",
    "PAPERS",
    "PRESETS",
    "PRINT_DPI",
    "THEME_PAIRS",
    "AttendingCard",
    "CardSpec",
    "CountdownCard",
    "EventCard",
    "FlyerCard",
    "Labels",
    "MythFactCard",
    "Preset",
    "TextDoesNotFit",
    "Theme",
    "alt_text",
    "cache_key",
    "check_myth_fact_fits",
    "contrast_ratio",
    "describe_character",
    "encode_pdf",
    "encode_png",
    "fit_set",
    "is_hex_colour",
    "plan_card",
    "raqm_available",
    "raqm_status_message",
    "remember_font_digest",
    "render",
    "render_flyer",
    "render_flyer_with_report",
    "render_with_report",
    "short_address",
    "undrawable_characters",
    "validate_theme",
]
