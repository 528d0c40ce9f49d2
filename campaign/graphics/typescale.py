"""Layout numbers: font size ranges per text role, and spacing per card preset."""

from __future__ import annotations

from dataclasses import dataclass


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
