"""WCAG 2.2 relative luminance and contrast ratio, and theme validation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .specs import Theme

MIN_TEXT_CONTRAST = 4.5  # WCAG 2.2 success criterion 1.4.3, normal-size text

RGB = tuple[int, int, int]
Colour = str | Sequence[int]

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def is_hex_colour(value: str) -> bool:
    """True for #RGB or #RRGGBB."""
    return bool(_HEX.match(value))


def parse_colour(colour: Colour) -> RGB:
    """An (r, g, b) tuple from #RGB, #RRGGBB or an RGB(A) sequence."""
    if isinstance(colour, str):
        if not is_hex_colour(colour):
            raise ValueError(f"not a #RRGGBB colour: {colour!r}")
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    r, g, b = (int(c) for c in colour[:3])
    for c in (r, g, b):
        if not 0 <= c <= 255:
            raise ValueError(f"colour channel out of range: {colour!r}")
    return (r, g, b)


def to_hex(colour: Colour) -> str:
    """#rrggbb for any accepted colour."""
    r, g, b = parse_colour(colour)
    return f"#{r:02x}{g:02x}{b:02x}"


def _linear(channel: int) -> float:
    c = channel / 255
    # WCAG 2.2 uses 0.04045 (earlier versions printed 0.03928; both agree on 8-bit values).
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: Colour) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b = parse_colour(colour)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: Colour, b: Colour) -> float:
    """WCAG contrast ratio between two colours, 1 to 21 (order does not matter)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def mix(a: Colour, b: Colour, t: float) -> RGB:
    """The colour t of the way from a to b (t=0 gives a)."""
    (r1, g1, b1), (r2, g2, b2) = parse_colour(a), parse_colour(b)
    return (round(r1 + (r2 - r1) * t), round(g1 + (g2 - g1) * t), round(b1 + (b2 - b1) * t))


def muted(text: Colour, background: Colour, target: float = 6.0) -> RGB:
    """`text` faded towards `background` as far as possible while keeping `target` contrast.

    Never goes below the theme's own contrast: if text/background is already under the
    target, the text colour is returned unchanged.
    """
    if contrast_ratio(text, background) <= target:
        return parse_colour(text)
    lo, hi = 0.0, 1.0  # fraction of the way towards the background
    for _ in range(20):
        mid = (lo + hi) / 2
        if contrast_ratio(mix(text, background, mid), background) >= target:
            lo = mid
        else:
            hi = mid
    return mix(text, background, lo)


# Which theme colours are drawn on which: (text role, background role, where it is used).
THEME_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("text", "background", "text on the card background"),
    ("on_primary", "primary", "text on panels"),
    ("accent", "background", "accent text and labels on the card background"),
)


def validate_theme(theme: Theme) -> list[str]:
    """Human-readable problems with a theme (bad colours, text pairs under 4.5:1); [] if fine."""
    problems: list[str] = []
    bad = set()
    for role in ("primary", "accent", "background", "text", "on_primary"):
        value = getattr(theme, role)
        if not isinstance(value, str) or not is_hex_colour(value):
            problems.append(f"{role.replace('_', ' ')} colour {value!r} is not a #RRGGBB colour.")
            bad.add(role)
    for fg, bg, where in THEME_PAIRS:
        if fg in bad or bg in bad:
            continue
        ratio = contrast_ratio(getattr(theme, fg), getattr(theme, bg))
        if ratio < MIN_TEXT_CONTRAST:
            problems.append(
                f"Contrast of {fg.replace('_', ' ')} ({getattr(theme, fg)}) on "
                f"{bg.replace('_', ' ')} ({getattr(theme, bg)}) is {ratio:.2f}:1, "
                f"below {MIN_TEXT_CONTRAST}:1 ({where})."
            )
    return problems
