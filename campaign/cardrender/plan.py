"""The drawing plan: what a card planner decides before anything is drawn.

The op dataclasses, the plan (with the methods that fit text into boxes and turn fitted
columns into text ops), and the theme's colours. Every distance comes from
`typescale.LAYOUTS`, every colour from the spec's theme (checked by `contrast.validate_theme`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from PIL import Image

from .contrast import RGB, muted, parse_colour
from .specs import AnySpec, Preset, Theme
from .text.columns import Block, ColumnDoesNotFit, ColumnFit, fit_column
from .text.fitting import Align, DoesNotFit, FittedText, TextStyle, fit_text
from .text.fonts import missing_characters, normalize_text, strip_missing
from .typescale import PresetLayout, Role

# Where "start" and "end" are on a card laid out left to right (see Plan.style).
_PHYSICAL: dict[Align, Align] = {"start": "left", "end": "right"}


class TextDoesNotFit(ValueError):
    """A text that must not be cut does not fit even at the floor size."""

    def __init__(self, field: str, overflow_chars: int, preset: str | None = None) -> None:
        self.field = field
        self.overflow_chars = overflow_chars
        self.preset = preset
        where = f" on the {preset} card" if preset else ""
        super().__init__(f"{field} is about {overflow_chars} characters too long{where}")


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class TextOp:
    field: str
    role: str
    fitted: FittedText
    origin: tuple[int, int]  # block top-left
    box: Box
    fill: RGB
    background: RGB


@dataclass(frozen=True)
class ShapeOp:
    kind: Literal["rect", "round", "outline", "ellipse", "ring", "icon"]
    box: Box
    fill: RGB
    radius: int = 0
    width: int = 0
    icon: str = ""


@dataclass(frozen=True)
class ImageOp:
    image: Image.Image
    xy: tuple[int, int]


@dataclass(frozen=True)
class Paint:
    """How a placed block is drawn: its role, colours and leading icon."""

    role: Role
    fill: RGB
    background: RGB
    icon: str = ""
    icon_colour: RGB = (0, 0, 0)


# Blocks to stack in a column, and how each of their fields is painted.
Column = tuple[list[Block], dict[str, Paint]]


@dataclass
class Plan:
    """A card being laid out: the ops drawn so far, and the helpers planners place text with."""

    preset: Preset
    layout: PresetLayout
    spec: AnySpec
    shapes: list[ShapeOp] = field(default_factory=list)
    images: list[ImageOp] = field(default_factory=list)
    texts: list[TextOp] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)
    name_omitted: bool = False
    qr_box: Box | None = None
    qr_module: int | None = None
    backdrop: Image.Image | None = None  # the photo under its scrim, card-sized
    mirrored: bool = False  # right-to-left card: laid out left to right, then flipped
    omitted: set[str] = field(default_factory=set)  # optional fields with no room here

    @property
    def landscape(self) -> bool:
        """The wide link-preview card (og): its planners lay content out side by side."""
        return self.preset.name == "og"

    def frame(self) -> Box:
        """The content box: inside the margins, the stripe and the story safe zone."""
        lay = self.layout
        _, top, _, bottom = self.preset.text_area
        return (
            lay.margin_x,
            max(top, lay.stripe) + lay.margin_y,
            self.preset.width - lay.margin_x,
            bottom - lay.margin_y,
        )

    def clean(self, text: str) -> str:
        """Drop characters no bundled font can draw (recorded in the report)."""
        self.dropped.update(missing_characters(text))
        return strip_missing(text)

    def style(
        self,
        role: Role,
        weight: str,
        *,
        max_lines: int | None = None,
        align: Align = "start",
        line_height: float = 1.2,
        balance: bool = False,
        tight: bool = False,
    ) -> TextStyle:
        """A text style in this preset's size range for `role`.

        Alignment follows the card, not each text: planners lay every card out left to right
        ("start" is the left edge) and a right-to-left card is flipped as a whole afterwards
        (`mirror`), so a line of Latin text on an Arabic card also starts at the right.
        """
        physical = _PHYSICAL.get(align, align)
        return TextStyle(
            weight,
            self.layout.type.role(role),
            line_height=line_height,
            max_lines=max_lines,
            align=physical,
            balance=balance,
            tight=tight,
        )

    def fit(
        self,
        field_name: str,
        text: str,
        style: TextStyle,
        width: int,
        height: int,
        *,
        truncate: bool = False,
    ) -> FittedText:
        """`text` fitted in width x height, or TextDoesNotFit for this field and preset."""
        fitted = fit_text(text, style, width, height, truncate=truncate)
        if isinstance(fitted, DoesNotFit):
            raise TextDoesNotFit(field_name, fitted.overflow_chars, self.preset.name)
        return fitted

    def column(self, blocks: list[Block], width: int, height: int) -> ColumnFit:
        """Blocks fitted as one column, or TextDoesNotFit for the field most over."""
        fit = fit_column(blocks, width, height)
        if isinstance(fit, ColumnDoesNotFit):
            field_name, chars = max(fit.overflow.items(), key=lambda kv: kv[1])
            raise TextDoesNotFit(field_name, chars, self.preset.name)
        return fit

    def two_widths(
        self, first: list[Block], first_w: int, second: list[Block], second_w: int, height: int
    ) -> tuple[ColumnFit, ColumnFit]:
        """Fit two stacked groups of different widths in one height, shrinking them together.

        Done as one column whose blocks have per-block widths: the narrower group is modelled
        by insetting both sides, which fit_column expresses through `inset` on the start side.
        """
        narrow = first_w - second_w
        merged = first + [dataclasses.replace(b, inset=b.inset + narrow) for b in second]
        fit = self.column(merged, first_w, height)
        n = len([b for b in first if normalize_text(b.text).strip()])
        head = fit.blocks[:n]
        tail = fit.blocks[n:]
        first_fit = ColumnFit(head, head[-1].y + head[-1].height if head else 0)
        base = first_fit.height
        shifted = tuple(
            dataclasses.replace(
                p, y=p.y - base, block=dataclasses.replace(p.block, inset=p.block.inset - narrow)
            )
            for p in tail
        )
        return first_fit, ColumnFit(shifted, fit.height - base)

    def add_text(
        self,
        field_name: str,
        role: str,
        fitted: FittedText,
        origin: tuple[int, int],
        box: Box,
        fill: RGB,
        background: RGB,
    ) -> None:
        """A text op for a fitted block at `origin` in its slot `box` (none for empty text)."""
        if not fitted.lines:
            return
        self.texts.append(TextOp(field_name, role, fitted, origin, box, fill, background))

    def place(self, fit: ColumnFit, x: int, y: int, width: int, paints: dict[str, Paint]) -> None:
        """Turn a fitted column at (x, y) into text ops (and icons beside inset blocks)."""
        lay = self.layout
        for placed in fit.blocks:
            b = placed.block
            paint = paints[b.field]
            inner_w = width - b.inset
            text_x = x + b.inset
            top = y + placed.y
            box = (text_x, top, text_x + inner_w, top + placed.height)
            self.add_text(
                b.field,
                paint.role,
                placed.fitted,
                (text_x, top + b.pad),
                box,
                paint.fill,
                paint.background,
            )
            if paint.icon and placed.fitted.lines:
                first = placed.fitted.lines[0]
                size = lay.icon_size
                icon_x = x
                # centre the icon on the first line's x-height band
                mid = top + b.pad + first.baseline - round(placed.fitted.size * 0.36)
                icon_box = (icon_x, mid - size // 2, icon_x + size, mid - size // 2 + size)
                self.shapes.append(ShapeOp("icon", icon_box, paint.icon_colour, icon=paint.icon))


@dataclass(frozen=True)
class Colours:
    """The theme's colours, parsed, with the shades derived from them."""

    background: RGB
    text: RGB
    primary: RGB
    on_primary: RGB
    accent: RGB
    muted: RGB  # the myth: faded but still well over 4.5:1
    quiet: RGB  # small print on the background
    rule: RGB  # decorative lines (not text)


def theme_colours(spec: AnySpec) -> Colours:
    """The colours a card is drawn in, from its spec's theme."""
    return _colours(spec.theme)


@lru_cache(maxsize=64)
def _colours(t: Theme) -> Colours:
    background = parse_colour(t.background)
    text = parse_colour(t.text)
    return Colours(
        background=background,
        text=text,
        primary=parse_colour(t.primary),
        on_primary=parse_colour(t.on_primary),
        accent=parse_colour(t.accent),
        muted=muted(text, background, target=6.0),
        quiet=muted(text, background, target=9.0),
        rule=muted(text, background, target=2.0),
    )
