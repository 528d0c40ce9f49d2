"""Share cards drawn with Pillow: a frozen spec in, an image out (no Flask, no database).

This module is the renderer's public API: code outside the package imports these names
from `campaign.cardrender` and nothing from its modules. Inside, `specs` says what a card
shows, `kinds/` lays each kind of card out as a plan, `draw` paints it, `text/` fits the
words, `alt` describes the card, `rendering` ties them together and `keys` names what a
kept card or its text depends on.

Importing this package loads only specs, colours and keys. The names that lay text out
or draw (alt_text, render, plan_card and the rest of _DRAWING) are loaded together on
first use, so a web process that serves cards and alt texts already kept never loads
Pillow, HarfBuzz, segno or a font: in gunicorn's preloading master that was about 8 MiB
that no worker answering kept cards touched. Code outside the package reads a drawing
name where it calls it (`cardrender.render(...)`); importing one at the top of a module
loads them all when that module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .contrast import MIN_TEXT_CONTRAST, THEME_PAIRS, contrast_ratio, is_hex_colour, validate_theme
from .keys import ALT_TEXT_VERSION, cache_key
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
from .text.fontfiles import remember_font_digest

if TYPE_CHECKING:  # the names _load_drawing() binds, for the type checker
    from .alt import ALT_TEXT_LIMIT, alt_text
    from .kinds import plan_card
    from .rendering import (
        MAX_PDF_BYTES,
        MAX_PNG_BYTES,
        TextDoesNotFit,
        check_myth_fact_fits,
        encode_pdf,
        encode_png,
        fit_set,
        render,
        render_flyer,
        render_flyer_with_report,
        render_with_report,
    )
    from .text.fonts import (
        describe_character,
        raqm_available,
        raqm_status_message,
        undrawable_characters,
    )


def _load_drawing() -> None:
    """Bind every drawing name in this module, from the modules that define them."""
    from . import alt, kinds, rendering
    from .text import fonts

    for module in (alt, kinds, rendering, fonts):
        globals().update((name, vars(module)[name]) for name in _DRAWING & vars(module).keys())


def __getattr__(name: str) -> Any:
    """A drawing name, loaded the first time one is asked for (PEP 562)."""
    if name not in _DRAWING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _load_drawing()
    return globals()[name]


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

# The public names not imported above: loaded by __getattr__ on first use.
_DRAWING = frozenset(__all__) - set(globals())
