"""The drawing plan: what a card planner decides before anything is drawn.

The op and plan dataclasses, the theme's colours, and the helpers that fit text into boxes
and turn fitted columns into text ops. Every distance comes from `typescale.LAYOUTS`, every
colour from the spec's theme (checked by `contrast.validate_theme`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

from .columns import Block, ColumnDoesNotFit, ColumnFit, fit_column
from .contrast import RGB, muted, parse_colour
from .fitting import Align, DoesNotFit, FittedText, TextStyle, fit_text
from .fonts import missing_characters, normalize_text, strip_missing
from .specs import CardSpec, Preset
from .typescale import PresetLayout

# Fixed words drawn on the cards (alt text uses the same constants).
MYTH_LABEL = "Myth"
FACT_LABEL = "Fact"
SOURCE_PREFIX = "Source:"
QR_CAPTION = "Scan for details"
ATTENDING_SELF = "I’m attending"  # typographic apostrophe
ATTENDING_OTHER = "is attending"
TODAY = "Today"
TODAY_IS = "is"

Role = Literal["display", "heading", "body", "label", "caption"]


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
    strike: int = 0  # strike-through thickness, 0 for none


@dataclass(frozen=True)
class ShapeOp:
    kind: Literal["rect", "round", "outline", "ellipse", "icon"]
    box: Box
    fill: RGB
    radius: int = 0
    width: int = 0
    icon: str = ""


@dataclass(frozen=True)
class ImageOp:
    image: Image.Image
    xy: tuple[int, int]


@dataclass
class Plan:
    preset: Preset
    layout: PresetLayout
    spec: CardSpec
    shapes: list[ShapeOp] = field(default_factory=list)
    images: list[ImageOp] = field(default_factory=list)
    texts: list[TextOp] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)
    name_omitted: bool = False
    qr_box: Box | None = None
    qr_module: int | None = None


@dataclass(frozen=True)
class Colours:
    background: RGB
    text: RGB
    primary: RGB
    on_primary: RGB
    accent: RGB
    muted: RGB  # the myth: faded but still well over 4.5:1
    quiet: RGB  # small print on the background
    rule: RGB  # decorative lines (not text)


def theme_colours(spec: CardSpec) -> Colours:
    t = spec.theme
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


def clean(plan: Plan, text: str) -> str:
    """Drop characters no bundled font can draw (recorded in the report)."""
    plan.dropped.update(missing_characters(text))
    return strip_missing(text)


def role_style(
    plan: Plan,
    role: Role,
    weight: str,
    *,
    max_lines: int | None = None,
    align: Align = "start",
    line_height: float = 1.2,
    balance: bool = False,
    tight: bool = False,
) -> TextStyle:
    return TextStyle(
        weight,
        plan.layout.type.role(role),
        line_height=line_height,
        max_lines=max_lines,
        align=align,
        balance=balance,
        tight=tight,
    )


def frame(plan: Plan) -> Box:
    """The content box: inside the margins, the stripe and the story safe zone."""
    lay = plan.layout
    _, top, _, bottom = plan.preset.text_area
    return (
        lay.margin_x,
        max(top, lay.stripe) + lay.margin_y,
        plan.preset.width - lay.margin_x,
        bottom - lay.margin_y,
    )


def add_text(
    plan: Plan,
    field_name: str,
    role: str,
    fitted: FittedText,
    origin: tuple[int, int],
    box: Box,
    fill: RGB,
    background: RGB,
    strike: bool = False,
) -> None:
    if not fitted.lines:
        return
    thickness = max(2, round(fitted.size * plan.layout.strike_ratio)) if strike else 0
    plan.texts.append(TextOp(field_name, role, fitted, origin, box, fill, background, thickness))


def fit_or_raise(
    plan: Plan,
    field_name: str,
    text: str,
    style: TextStyle,
    width: int,
    height: int,
    *,
    truncate: bool = False,
) -> FittedText:
    fitted = fit_text(text, style, width, height, truncate=truncate)
    if isinstance(fitted, DoesNotFit):
        raise TextDoesNotFit(field_name, fitted.overflow_chars, plan.preset.name)
    return fitted


def column_or_raise(plan: Plan, blocks: list[Block], width: int, height: int) -> ColumnFit:
    fit = fit_column(blocks, width, height)
    if isinstance(fit, ColumnDoesNotFit):
        field_name, chars = max(fit.overflow.items(), key=lambda kv: kv[1])
        raise TextDoesNotFit(field_name, chars, plan.preset.name)
    return fit


def fit_two_widths(
    plan: Plan, first: list[Block], first_w: int, second: list[Block], second_w: int, height: int
) -> tuple[ColumnFit, ColumnFit]:
    """Fit two stacked groups of different widths in one height, shrinking them together.

    Done as one column whose blocks have per-block widths: the narrower group is modelled by
    insetting both sides, which fit_column expresses through `inset` on the start side.
    """
    narrow = first_w - second_w
    merged = first + [dataclasses.replace(b, inset=b.inset + narrow) for b in second]
    fit = column_or_raise(plan, merged, first_w, height)
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


@dataclass(frozen=True)
class Paint:
    role: str
    fill: RGB
    background: RGB
    strike: bool = False
    icon: str = ""
    icon_colour: RGB = (0, 0, 0)


def place_column(
    plan: Plan, fit: ColumnFit, x: int, y: int, width: int, paints: dict[str, Paint]
) -> None:
    """Turn a fitted column at (x, y) into text ops (and icons beside inset blocks)."""
    lay = plan.layout
    for placed in fit.blocks:
        b = placed.block
        paint = paints[b.field]
        inner_w = width - b.inset
        rtl = placed.fitted.direction == "rtl"
        text_x = x if rtl else x + b.inset
        top = y + placed.y
        box = (text_x, top, text_x + inner_w, top + placed.height)
        add_text(
            plan,
            b.field,
            paint.role,
            placed.fitted,
            (text_x, top + b.pad),
            box,
            paint.fill,
            paint.background,
            paint.strike,
        )
        if paint.icon and placed.fitted.lines:
            first = placed.fitted.lines[0]
            size = lay.icon_size
            icon_x = x + width - size if rtl else x
            # centre the icon on the first line's x-height band
            mid = top + b.pad + first.baseline - round(placed.fitted.size * 0.36)
            icon_box = (icon_x, mid - size // 2, icon_x + size, mid - size // 2 + size)
            plan.shapes.append(ShapeOp("icon", icon_box, paint.icon_colour, icon=paint.icon))
