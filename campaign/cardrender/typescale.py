"""Layout numbers: font size ranges per text role, and spacing per card preset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .text.fitting import SizeRange

Role = Literal["display", "heading", "body", "label", "caption"]


@dataclass(frozen=True)
class TypeScale:
    """Font size ranges per text role for one preset.

    heading and display are headings (floor >= 64 px), body is the main copy (floor >= 44 px
    on 1080-wide cards, >= 48 px on og); label and caption are the small print around it
    (pills, brand line, source line, disclaimer, address, QR caption): >= 28 px, and
    >= 32 px on og, which link previews show at a third of its size.
    """

    display: SizeRange
    heading: SizeRange
    body: SizeRange
    label: SizeRange
    caption: SizeRange

    def role(self, name: Role) -> SizeRange:
        """The range for a role name."""
        sizes: SizeRange = getattr(self, name)
        return sizes


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
    type: TypeScale
    body_leading: float = 1.22  # line pitch of body text, as a multiple of the size
    split: float = 0.4  # share of the width for the left column on landscape cards


# Text floors the guarantees promise (px), per role and preset.
BODY_FLOOR = {"og": 48, "square": 44, "portrait": 44, "story": 44}
SMALL_PRINT_FLOOR = {"og": 32, "square": 28, "portrait": 28, "story": 28}
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
        margin_x=48,
        margin_y=18,
        gap=14,
        tight_gap=8,
        panel_pad=20,
        radius=22,
        stripe=8,
        brand_height=42,
        pill_pad_x=12,
        pill_pad_y=4,
        icon_size=30,
        icon_gap=12,
        qr_max=300,
        qr_module_min=5,
        type=TypeScale(
            display=SizeRange(120, 260),
            heading=SizeRange(64, 84),
            body=SizeRange(48, 56),
            label=SizeRange(32, 32),
            caption=SizeRange(32, 32),
        ),
        body_leading=1.12,
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
        type=TypeScale(
            display=SizeRange(240, 420),
            heading=SizeRange(64, 112),
            body=SizeRange(44, 68),
            label=SizeRange(32, 32),
            caption=SizeRange(28, 34),
        ),
    ),
}


# The flyer at 300 dpi (the same numbers for Letter and A4): small print >= 48 px (11.5 pt),
# body >= 72 px (17 pt), the title >= 120 px (29 pt); the QR code 3 inches wide.
FLYER_LAYOUT = PresetLayout(
    margin_x=200,
    margin_y=150,
    gap=90,
    tight_gap=36,
    panel_pad=80,
    radius=64,
    stripe=40,
    brand_height=120,
    pill_pad_x=40,
    pill_pad_y=16,
    icon_size=84,
    icon_gap=44,
    qr_max=900,
    qr_module_min=12,
    type=TypeScale(
        display=SizeRange(300, 480),
        heading=SizeRange(120, 230),
        body=SizeRange(72, 112),
        label=SizeRange(60, 72),
        caption=SizeRange(48, 60),
    ),
)
