"""Draw share cards: a frozen spec and a preset name in, a Pillow image (and a report) out.

Pure Pillow: no Flask, no database, no clock. Every distance comes from `layout.LAYOUTS`,
every colour from the spec's theme (checked by `contrast.validate_theme`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import segno
from PIL import Image, ImageDraw

from .contrast import RGB, mix, muted, parse_colour, to_hex
from .fonts import (
    BOLD,
    REGULAR,
    SEMIBOLD,
    font_digest,
    load_font,
    missing_characters,
    normalize_text,
    strip_missing,
)
from .layout import (
    LAYOUTS,
    Align,
    Block,
    ColumnDoesNotFit,
    ColumnFit,
    DoesNotFit,
    FittedText,
    PresetLayout,
    SizeRange,
    TextStyle,
    direction_kwargs,
    fit_column,
    fit_text,
    text_width,
)
from .specs import (
    PRESETS,
    AttendingCard,
    CardSpec,
    CountdownCard,
    EventCard,
    MythFactCard,
    Preset,
)

logger = logging.getLogger(__name__)

RENDERER_VERSION = "1"
MAX_PNG_BYTES = 300 * 1024
PNG_COMPRESS_LEVEL = 3  # see encode_png
SUPERSAMPLE = 3  # shapes are drawn this much larger, then reduced, for smooth edges

# Fixed words drawn on the cards (alt text uses the same constants).
MYTH_LABEL = "Myth"
FACT_LABEL = "Fact"
SOURCE_PREFIX = "Source:"
QR_CAPTION = "Scan for details"
ATTENDING_SELF = "I’m attending"  # typographic apostrophe
ATTENDING_OTHER = "is attending"
TODAY = "Today"
TODAY_IS = "is"

QR_DARK: RGB = (0, 0, 0)
QR_LIGHT: RGB = (255, 255, 255)
QR_BORDER_MODULES = 4  # the quiet zone the QR standard asks for

Role = Literal["display", "heading", "body", "label", "caption"]


class TextDoesNotFit(ValueError):
    """A text that must not be cut does not fit even at the floor size."""

    def __init__(self, field: str, overflow_chars: int, preset: str | None = None) -> None:
        self.field = field
        self.overflow_chars = overflow_chars
        self.preset = preset
        where = f" on the {preset} card" if preset else ""
        super().__init__(f"{field} is about {overflow_chars} characters too long{where}")


# --- Report --------------------------------------------------------------------------------------


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class TextRun:
    """One drawn text block: what, where, how big, and in which colours."""

    field: str
    role: str
    text: str
    lines: tuple[str, ...]
    font_size: int
    weight: str
    families: tuple[str, ...]
    bbox: Box  # measured ink (plus any strike-through), image coordinates
    box: Box  # the slot it had to fit in
    fill: str
    background: str  # the flat colour it is drawn on
    truncated: bool = False


@dataclass(frozen=True)
class RenderReport:
    """What a render drew, for tests and for alt text."""

    kind: str
    preset: str
    size: tuple[int, int]
    runs: tuple[TextRun, ...]
    text_area: Box
    name_omitted: bool = False
    dropped_characters: tuple[str, ...] = ()
    qr_box: Box | None = None
    qr_module: int | None = None

    def run(self, field_name: str) -> TextRun | None:
        """The run for a field, if drawn."""
        return next((r for r in self.runs if r.field == field_name), None)

    def drawn_text(self) -> dict[str, str]:
        """field -> text as drawn."""
        return {r.field: r.text for r in self.runs}


# --- Drawing plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TextOp:
    field: str
    role: str
    fitted: FittedText
    origin: tuple[int, int]  # block top-left
    box: Box
    fill: RGB
    background: RGB
    strike: int = 0  # strike-through thickness, 0 for none


@dataclass(frozen=True)
class _ShapeOp:
    kind: Literal["rect", "round", "outline", "ellipse", "icon"]
    box: Box
    fill: RGB
    radius: int = 0
    width: int = 0
    icon: str = ""


@dataclass(frozen=True)
class _ImageOp:
    image: Image.Image
    xy: tuple[int, int]


@dataclass
class _Plan:
    preset: Preset
    layout: PresetLayout
    spec: CardSpec
    shapes: list[_ShapeOp] = field(default_factory=list)
    images: list[_ImageOp] = field(default_factory=list)
    texts: list[_TextOp] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)
    name_omitted: bool = False
    qr_box: Box | None = None
    qr_module: int | None = None


@dataclass(frozen=True)
class _Colours:
    background: RGB
    text: RGB
    primary: RGB
    on_primary: RGB
    accent: RGB
    muted: RGB  # the myth: faded but still well over 4.5:1
    quiet: RGB  # small print on the background
    rule: RGB  # decorative lines (not text)


def _colours(spec: CardSpec) -> _Colours:
    t = spec.theme
    background = parse_colour(t.background)
    text = parse_colour(t.text)
    return _Colours(
        background=background,
        text=text,
        primary=parse_colour(t.primary),
        on_primary=parse_colour(t.on_primary),
        accent=parse_colour(t.accent),
        muted=muted(text, background, target=6.0),
        quiet=muted(text, background, target=9.0),
        rule=muted(text, background, target=2.0),
    )


def _clean(plan: _Plan, text: str) -> str:
    """Drop characters no bundled font can draw (recorded in the report)."""
    plan.dropped.update(missing_characters(text))
    return strip_missing(text)


def _style(
    plan: _Plan,
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


def _frame(plan: _Plan) -> Box:
    """The content box: inside the margins, the stripe and the story safe zone."""
    lay = plan.layout
    _, top, _, bottom = plan.preset.text_area
    return (
        lay.margin_x,
        max(top, lay.stripe) + lay.margin_y,
        plan.preset.width - lay.margin_x,
        bottom - lay.margin_y,
    )


def _add_text(
    plan: _Plan,
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
    plan.texts.append(_TextOp(field_name, role, fitted, origin, box, fill, background, thickness))


def _fit_or_raise(
    plan: _Plan,
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


def _column_or_raise(plan: _Plan, blocks: list[Block], width: int, height: int) -> ColumnFit:
    fit = fit_column(blocks, width, height)
    if isinstance(fit, ColumnDoesNotFit):
        field_name, chars = max(fit.overflow.items(), key=lambda kv: kv[1])
        raise TextDoesNotFit(field_name, chars, plan.preset.name)
    return fit


@dataclass(frozen=True)
class _Paint:
    role: str
    fill: RGB
    background: RGB
    strike: bool = False
    icon: str = ""
    icon_colour: RGB = (0, 0, 0)


def _place_column(
    plan: _Plan, fit: ColumnFit, x: int, y: int, width: int, paints: dict[str, _Paint]
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
        _add_text(
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
            plan.shapes.append(_ShapeOp("icon", icon_box, paint.icon_colour, icon=paint.icon))


# --- Shared pieces: stripe, brand row, pills, QR --------------------------------------------------


def _stripe(plan: _Plan, colours: _Colours) -> None:
    """The accent stripe along the top; on stories, quiet discs in the text-free zones."""
    lay = plan.layout
    preset = plan.preset
    _, safe_top, _, safe_bottom = preset.text_area
    if safe_top > lay.stripe:
        _discs(plan, colours, safe_top, safe_bottom)
    plan.shapes.append(_ShapeOp("rect", (0, 0, preset.width, lay.stripe), colours.accent))


def _discs(plan: _Plan, colours: _Colours, safe_top: int, safe_bottom: int) -> None:
    """Two quiet discs, kept inside the story's text-free zones."""
    lay = plan.layout
    preset = plan.preset
    disc = mix(colours.background, colours.primary, 0.55)
    r = safe_top - lay.stripe - lay.margin_y  # stays above the text area
    cx, cy = preset.width - r // 3, lay.stripe + lay.margin_y // 2
    plan.shapes.append(_ShapeOp("ellipse", (cx - r, cy - r, cx + r, cy + r), disc))
    r = preset.height - safe_bottom - lay.margin_y
    cx, cy = r // 3, preset.height + r // 6
    plan.shapes.append(_ShapeOp("ellipse", (cx - r, cy - r, cx + r, cy + r), disc))


def _logo_image(logo: bytes, max_w: int, max_h: int) -> Image.Image | None:
    try:
        with Image.open(io.BytesIO(logo)) as source:
            image = source.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("share card logo could not be decoded; drawing the card without it")
        return None
    image.thumbnail((max_w, max_h), Image.Resampling.LANCZOS)
    return image


def _brand_row(plan: _Plan, colours: _Colours, box: Box) -> None:
    """Logo, campaign name (left) and hashtag (right) in one row."""
    spec = plan.spec
    lay = plan.layout
    x0, y0, x1, y1 = box
    height = y1 - y0
    if spec.logo:
        logo = _logo_image(spec.logo, height * 3, height)
        if logo is not None:
            plan.images.append(_ImageOp(logo, (x0, y0 + (height - logo.height) // 2)))
            x0 += logo.width + lay.icon_gap
    gap = lay.gap
    hashtag = _clean(plan, spec.hashtag)
    name = _clean(plan, spec.campaign_name)
    style = _style(plan, "caption", SEMIBOLD, max_lines=1)
    tag_w = 0
    if hashtag:
        limit = (x1 - x0) // 2 if name else x1 - x0
        tag_w = min(limit, text_width(hashtag, SEMIBOLD, style.sizes.max) + 2)
        fitted = _fit_or_raise(
            plan, "hashtag", hashtag, style.at_size(style.sizes.max), tag_w, height, truncate=True
        )
        top = y0 + (height - fitted.height) // 2
        slot = (x1 - tag_w, y0, x1, y1)
        fitted = _realign(fitted, "end")
        _add_text(
            plan,
            "hashtag",
            "caption",
            fitted,
            (x1 - tag_w, top),
            slot,
            colours.accent,
            colours.background,
        )
    if name:
        width = x1 - x0 - (tag_w + gap if hashtag else 0)
        fitted = _fit_or_raise(
            plan,
            "campaign_name",
            name,
            style.at_size(style.sizes.max),
            width,
            height,
            truncate=True,
        )
        fitted = _realign(fitted, "left")
        top = y0 + (height - fitted.height) // 2
        _add_text(
            plan,
            "campaign_name",
            "caption",
            fitted,
            (x0, top),
            (x0, y0, x0 + width, y1),
            colours.text,
            colours.background,
        )


def _realign(fitted: FittedText, where: Literal["left", "end"]) -> FittedText:
    """Move single-line text to the box's left edge, or to its right edge ("end")."""
    lines = []
    for line in fitted.lines:
        left, right = line.box[0], line.box[2]
        shift = -left if where == "left" else fitted.width - right
        ink = line.ink
        if ink is not None:
            ink = (ink[0] + shift, ink[1], ink[2] + shift, ink[3])
        box = (line.box[0] + shift, line.box[1], line.box[2] + shift, line.box[3])
        lines.append(dataclasses.replace(line, x=line.x + shift, box=box, ink=ink))
    return dataclasses.replace(fitted, lines=tuple(lines))


def _pill_block(plan: _Plan, field_name: str, text: str, space_before: int = 0) -> Block:
    lay = plan.layout
    return Block(
        field_name,
        text,
        _style(plan, "label", BOLD, max_lines=1),
        space_before=space_before,
        pad=lay.pill_pad_y,
        inset=lay.pill_pad_x + lay.icon_size + lay.icon_gap // 2,
    )


def _pill_shapes(
    plan: _Plan,
    fit: ColumnFit,
    field_name: str,
    x: int,
    y: int,
    *,
    fill: RGB,
    outline: bool,
    icon: str,
    icon_colour: RGB,
) -> None:
    """The rounded pill (filled or outlined) and icon around a label placed by a column."""
    placed = fit.get(field_name)
    if placed is None or not placed.fitted.lines:
        return
    lay = plan.layout
    line = placed.fitted.lines[0]
    top = y + placed.y
    bottom = top + placed.height
    right = x + placed.block.inset + line.box[2] + lay.pill_pad_x
    box = (x, top, right, bottom)
    radius = (bottom - top) // 2
    if outline:
        width = max(2, lay.stripe // 4)
        plan.shapes.append(_ShapeOp("outline", box, fill, radius=radius, width=width))
    else:
        plan.shapes.append(_ShapeOp("round", box, fill, radius=radius))
    size = min(lay.icon_size, bottom - top - 2 * lay.pill_pad_y)
    ix = x + lay.pill_pad_x
    iy = top + (bottom - top - size) // 2
    plan.shapes.append(_ShapeOp("icon", (ix, iy, ix + size, iy + size), icon_colour, icon=icon))


def _qr_image(url: str, side: int, module_min: int) -> tuple[Image.Image, int]:
    """The QR code (with its quiet zone) as an RGB image no wider than `side`."""
    qr = segno.make_qr(url, error="m")
    count = qr.symbol_size(scale=1, border=QR_BORDER_MODULES)[0]
    if side // count < module_min:
        qr = segno.make_qr(url, error="l", boost_error=False)
        count = qr.symbol_size(scale=1, border=QR_BORDER_MODULES)[0]
    module = max(1, side // count)
    small = Image.new("L", (count, count), 255)
    small.putdata(
        [
            0 if dark else 255
            for row in qr.matrix_iter(scale=1, border=QR_BORDER_MODULES)
            for dark in row
        ]
    )
    big = small.resize((count * module, count * module), Image.Resampling.NEAREST)
    image = Image.new("RGB", big.size, QR_LIGHT)
    image.paste(QR_DARK, mask=Image.eval(big, lambda v: 255 - v))
    return image, module


def _qr_panel(plan: _Plan, url: str, x: int, y: int, side: int) -> Box:
    """White rounded panel holding the QR code; returns the panel box."""
    lay = plan.layout
    radius = lay.radius // 2
    # Inset the code so its square corners stay inside the panel's rounded ones.
    image, module = _qr_image(url, side - radius, lay.qr_module_min)
    offset = (side - image.width) // 2
    box = (x, y, x + side, y + side)
    plan.shapes.append(_ShapeOp("round", box, QR_LIGHT, radius=radius))
    plan.images.append(_ImageOp(image, (x + offset, y + offset)))
    plan.qr_box = (x + offset, y + offset, x + offset + image.width, y + offset + image.height)
    plan.qr_module = module
    return box


# --- Card kinds -----------------------------------------------------------------------------------


def _myth_fact_texts(plan: _Plan, spec: MythFactCard) -> tuple[str, str, str, str]:
    return (
        _clean(plan, spec.myth),
        _clean(plan, spec.fact),
        f"{SOURCE_PREFIX} {_clean(plan, spec.source_title)}",
        _clean(plan, spec.disclaimer),
    )


def _footer_fit(plan: _Plan, source: str, disclaimer: str, width: int, height: int) -> ColumnFit:
    lay = plan.layout
    blocks = [
        Block("source_title", source, _style(plan, "caption", REGULAR, max_lines=2)),
        Block(
            "disclaimer",
            disclaimer,
            _style(plan, "caption", REGULAR, max_lines=2),
            space_before=lay.tight_gap // 2,
        ),
    ]
    return _column_or_raise(plan, blocks, width, height)


def _plan_myth_fact(plan: _Plan, spec: MythFactCard, colours: _Colours) -> None:
    lay = plan.layout
    myth, fact, source, disclaimer = _myth_fact_texts(plan, spec)
    x0, y0, x1, y1 = _frame(plan)
    width = x1 - x0
    _stripe(plan, colours)
    _brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    footer = _footer_fit(plan, source, disclaimer, width, (y1 - y0) // 3)
    footer_top = y1 - footer.height
    quiet = _Paint("caption", colours.quiet, colours.background)
    _place_column(plan, footer, x0, footer_top, width, {"source_title": quiet, "disclaimer": quiet})
    rule_y = footer_top - lay.gap // 2
    plan.shapes.append(_ShapeOp("rect", (x0, rule_y - 1, x1, rule_y + 1), colours.rule))
    top = y0 + lay.brand_height + lay.gap
    bottom = rule_y - lay.gap // 2
    myth_paint = _Paint("body", colours.muted, colours.background, strike=True)
    fact_paint = _Paint("body", colours.on_primary, colours.primary)
    label_myth = _Paint("label", colours.muted, colours.background)
    label_fact = _Paint("label", colours.background, colours.accent)
    body = _style(plan, "body", REGULAR, line_height=lay.body_leading)
    if plan.preset.name == "og":
        # Two columns: the myth on the left, the fact on a panel on the right.
        col_gap = lay.gap
        myth_w = round((width - col_gap) * lay.split)
        panel_x = x0 + myth_w + col_gap
        pad = lay.panel_pad
        fact_fit = _column_or_raise(
            plan,
            [
                _pill_block(plan, "fact_label", FACT_LABEL),
                Block(
                    "fact",
                    fact,
                    _style(plan, "body", SEMIBOLD, line_height=lay.body_leading),
                    space_before=lay.tight_gap,
                ),
            ],
            x1 - panel_x - 2 * pad,
            bottom - top - 2 * pad,
        )
        fact_size = fact_fit.get("fact").fitted.size if fact_fit.get("fact") else body.sizes.max
        myth_style = dataclasses.replace(
            body, sizes=SizeRange(body.sizes.min, max(body.sizes.min, fact_size))
        )
        myth_fit = _column_or_raise(
            plan,
            [
                _pill_block(plan, "myth_label", MYTH_LABEL),
                Block("myth", myth, myth_style, space_before=lay.tight_gap),
            ],
            myth_w,
            bottom - top - 2 * pad,
        )
        plan.shapes.append(
            _ShapeOp("round", (panel_x, top, x1, bottom), colours.primary, radius=lay.radius)
        )
        _pill_shapes(
            plan,
            myth_fit,
            "myth_label",
            x0,
            top + pad,
            fill=colours.muted,
            outline=True,
            icon="cross",
            icon_colour=colours.muted,
        )
        _place_column(
            plan, myth_fit, x0, top + pad, myth_w, {"myth_label": label_myth, "myth": myth_paint}
        )
        _pill_shapes(
            plan,
            fact_fit,
            "fact_label",
            panel_x + pad,
            top + pad,
            fill=colours.accent,
            outline=False,
            icon="check",
            icon_colour=colours.background,
        )
        _place_column(
            plan,
            fact_fit,
            panel_x + pad,
            top + pad,
            x1 - panel_x - 2 * pad,
            {"fact_label": label_fact, "fact": fact_paint},
        )
        return
    # One column: myth, then the fact on a panel.
    pad = lay.panel_pad
    caps = {"square": 3, "portrait": 4, "story": 5}
    myth_blocks = [
        _pill_block(plan, "myth_label", MYTH_LABEL),
        Block(
            "myth",
            myth,
            dataclasses.replace(body, max_lines=caps[plan.preset.name]),
            space_before=lay.tight_gap,
        ),
    ]
    fact_blocks = [
        _pill_block(plan, "fact_label", FACT_LABEL, space_before=lay.gap + pad),
        Block(
            "fact",
            fact,
            _style(plan, "body", SEMIBOLD, line_height=lay.body_leading),
            space_before=lay.tight_gap,
        ),
    ]
    inner = width - 2 * pad
    # Fit the myth in the full width and the fact in the panel's inner width, together.
    fit = _fit_two_widths(plan, myth_blocks, width, fact_blocks, inner, bottom - top - pad)
    myth_fit, fact_fit = fit
    used = myth_fit.height + fact_fit.height + pad
    y = top + (bottom - top - used) // 2
    _pill_shapes(
        plan,
        myth_fit,
        "myth_label",
        x0,
        y,
        fill=colours.muted,
        outline=True,
        icon="cross",
        icon_colour=colours.muted,
    )
    _place_column(plan, myth_fit, x0, y, width, {"myth_label": label_myth, "myth": myth_paint})
    fy = y + myth_fit.height
    panel_top = fy + lay.gap
    plan.shapes.append(
        _ShapeOp(
            "round",
            (x0, panel_top, x1, fy + fact_fit.height + pad),
            colours.primary,
            radius=lay.radius,
        )
    )
    _pill_shapes(
        plan,
        fact_fit,
        "fact_label",
        x0 + pad,
        fy,
        fill=colours.accent,
        outline=False,
        icon="check",
        icon_colour=colours.background,
    )
    _place_column(
        plan, fact_fit, x0 + pad, fy, inner, {"fact_label": label_fact, "fact": fact_paint}
    )


def _fit_two_widths(
    plan: _Plan, first: list[Block], first_w: int, second: list[Block], second_w: int, height: int
) -> tuple[ColumnFit, ColumnFit]:
    """Fit two stacked groups of different widths in one height, shrinking them together.

    Done as one column whose blocks have per-block widths: the narrower group is modelled by
    insetting both sides, which fit_column expresses through `inset` on the start side.
    """
    narrow = first_w - second_w
    merged = first + [dataclasses.replace(b, inset=b.inset + narrow) for b in second]
    fit = _column_or_raise(plan, merged, first_w, height)
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


def _plan_event(plan: _Plan, spec: EventCard, colours: _Colours) -> None:
    lay = plan.layout
    x0, y0, x1, y1 = _frame(plan)
    width = x1 - x0
    _stripe(plan, colours)
    _brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    top = y0 + lay.brand_height + lay.gap
    inset = lay.icon_size + lay.icon_gap
    og = plan.preset.name == "og"
    blocks = [
        Block(
            "title",
            _clean(plan, spec.title),
            _style(plan, "heading", BOLD, max_lines=3 if og else 4, line_height=1.1, balance=True),
            truncate=True,
        ),
        Block(
            "when_text",
            _clean(plan, spec.when_text),
            _style(plan, "body", SEMIBOLD, max_lines=2, balance=True),
            truncate=True,  # last resort: an event card must never refuse to render
            space_before=lay.gap,
            inset=inset,
        ),
        Block(
            "place_text",
            _clean(plan, spec.place_text),
            _style(plan, "body", REGULAR, max_lines=2, balance=True),
            truncate=True,
            space_before=lay.tight_gap,
            inset=inset,
        ),
    ]
    paints = {
        "title": _Paint("heading", colours.text, colours.background),
        "when_text": _Paint(
            "body", colours.text, colours.background, icon="calendar", icon_colour=colours.accent
        ),
        "place_text": _Paint(
            "body", colours.text, colours.background, icon="pin", icon_colour=colours.accent
        ),
    }
    if og:
        # Details on the left, the QR code and its caption centred on the right.
        side = lay.qr_max
        caption_style = _style(plan, "caption", SEMIBOLD, max_lines=1, align="center")
        caption = _fit_or_raise(plan, "qr_caption", QR_CAPTION, caption_style, side, y1 - top)
        group = side + lay.tight_gap + caption.height
        qr_x, qr_y = x1 - side, top + (y1 - top - group) // 2
        text_w = qr_x - lay.gap * 2 - x0
        fit = _column_or_raise(plan, blocks, text_w, y1 - top)
        _place_column(plan, fit, x0, top + (y1 - top - fit.height) // 2, text_w, paints)
        _qr_panel(plan, spec.url_for_qr, qr_x, qr_y, side)
        cap_top = qr_y + side + lay.tight_gap
        _add_text(
            plan,
            "qr_caption",
            "caption",
            caption,
            (qr_x, cap_top),
            (qr_x, cap_top, x1, cap_top + caption.height),
            colours.text,
            colours.background,
        )
        return
    # Details on top, then a panel with the QR code and its caption; centred as a group.
    pad = lay.panel_pad
    side = lay.qr_max
    row_h = side + 2 * pad
    fit = _column_or_raise(plan, blocks, width, y1 - top - row_h - lay.gap)
    cap_x = x0 + pad + side + lay.gap
    cap_w = x1 - pad - cap_x
    cap_style = _style(plan, "body", SEMIBOLD, max_lines=1)
    caption = _fit_or_raise(plan, "qr_caption", QR_CAPTION, cap_style, cap_w, side)
    spare = y1 - top - fit.height - lay.gap - row_h
    y = top + spare // 2
    _place_column(plan, fit, x0, y, width, paints)
    row_top = y + fit.height + lay.gap + spare // 4
    row_top = min(row_top, y1 - row_h)
    plan.shapes.append(
        _ShapeOp("round", (x0, row_top, x1, row_top + row_h), colours.primary, radius=lay.radius)
    )
    _qr_panel(plan, spec.url_for_qr, x0 + pad, row_top + pad, side)
    cap_top = row_top + (row_h - caption.height) // 2
    _add_text(
        plan,
        "qr_caption",
        "body",
        caption,
        (cap_x, cap_top),
        (cap_x, row_top + pad, x1 - pad, row_top + pad + side),
        colours.on_primary,
        colours.primary,
    )


def _attending_heads(plan: _Plan, spec: AttendingCard) -> list[tuple[str, str]]:
    """[(field, text)] for the heading lines: name + "is attending", or "I'm attending"."""
    name = " ".join(normalize_text(spec.first_name or "").split())
    if name and missing_characters(name):
        plan.name_omitted = True
        name = ""
    if name:
        return [("first_name", name), ("attending", ATTENDING_OTHER)]
    return [("attending", ATTENDING_SELF)]


def _inline_heading(
    plan: _Plan, heads: list[tuple[str, str]], width: int, colours: _Colours
) -> tuple[list[tuple[str, FittedText, int, RGB]], int]:
    """Name and "is attending" on one baseline: [(field, fitted, x offset, colour)], height."""
    style = _style(plan, "heading", BOLD, max_lines=1)
    space = round(style.sizes.min * 0.28)
    rest_field, rest = heads[-1]
    name = heads[0][1] if len(heads) > 1 else ""
    for size in style.candidate_sizes():
        rest_w = text_width(rest, BOLD, size)
        name_w = text_width(name, BOLD, size) + space if name else 0
        if name_w + rest_w <= width or size == style.sizes.min:
            break
    pinned = style.at_size(size)
    rest_fit = _fit_or_raise(plan, rest_field, rest, pinned, rest_w, 10_000)
    parts: list[tuple[str, FittedText, int, RGB]] = []
    if name:
        name_fit = _fit_or_raise(
            plan, "first_name", name, pinned, width - rest_w - space, 10_000, truncate=True
        )
        name_fit = _realign(name_fit, "left")
        name_right = name_fit.lines[0].box[2]
        parts.append(("first_name", name_fit, 0, colours.accent))
        parts.append((rest_field, rest_fit, name_right + space, colours.text))
    else:
        parts.append((rest_field, rest_fit, 0, colours.accent))
    baseline = max(p[1].lines[0].baseline for p in parts)
    height = max(baseline - p[1].lines[0].baseline + p[1].height for p in parts)
    return parts, height


def _plan_attending(plan: _Plan, spec: AttendingCard, colours: _Colours) -> None:
    lay = plan.layout
    x0, y0, x1, y1 = _frame(plan)
    width = x1 - x0
    _stripe(plan, colours)
    _brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    top = y0 + lay.brand_height + lay.gap
    heads = _attending_heads(plan, spec)
    pad = lay.panel_pad
    inset = lay.icon_size + lay.icon_gap
    og = plan.preset.name == "og"
    detail_blocks = [
        Block(
            "event_title",
            _clean(plan, spec.event_title),
            _style(plan, "body", BOLD, max_lines=2 if og else 3, line_height=1.15, balance=True),
            truncate=True,
        ),
        Block(
            "when_text",
            _clean(plan, spec.when_text),
            _style(plan, "body", SEMIBOLD, max_lines=2, balance=True),
            truncate=True,  # last resort: an attending card must never refuse to render
            space_before=lay.gap - lay.tight_gap,
            inset=inset,
        ),
        Block(
            "place_text",
            _clean(plan, spec.place_text),
            _style(plan, "body", REGULAR, max_lines=2, balance=True),
            truncate=True,
            space_before=lay.tight_gap,
            inset=inset,
        ),
    ]
    detail_paints = {
        "event_title": _Paint("body", colours.on_primary, colours.primary),
        "when_text": _Paint(
            "body", colours.on_primary, colours.primary, icon="calendar", icon_colour=colours.accent
        ),
        "place_text": _Paint(
            "body", colours.on_primary, colours.primary, icon="pin", icon_colour=colours.accent
        ),
    }
    if og:
        # One heading line across the card, the event on a panel below it.
        parts, head_h = _inline_heading(plan, heads, width, colours)
        detail_fit = _column_or_raise(
            plan, detail_blocks, width - 2 * pad, y1 - top - head_h - lay.gap - 2 * pad
        )
        used = head_h + lay.gap + detail_fit.height + 2 * pad
        y = top + (y1 - top - used) // 2
        baseline = max(fit.lines[0].baseline for _, fit, _, _ in parts)
        for field_name, fit, dx, colour in parts:
            oy = y + baseline - fit.lines[0].baseline
            used = max(line.box[2] for line in fit.lines)  # the name's slot ends where it ends
            _add_text(
                plan,
                field_name,
                "heading",
                fit,
                (x0 + dx, oy),
                (x0 + dx, y, x0 + dx + used, y + head_h),
                colour,
                colours.background,
            )
        panel_top = y + head_h + lay.gap
        plan.shapes.append(
            _ShapeOp(
                "round",
                (x0, panel_top, x1, panel_top + detail_fit.height + 2 * pad),
                colours.primary,
                radius=lay.radius,
            )
        )
        _place_column(plan, detail_fit, x0 + pad, panel_top + pad, width - 2 * pad, detail_paints)
        return
    head_blocks = []
    for k, (field_name, text) in enumerate(heads):
        weight = BOLD if field_name == "first_name" or len(heads) == 1 else SEMIBOLD
        # The heading is an English sentence: a right-to-left name still starts at the left.
        head_blocks.append(
            Block(
                field_name,
                text,
                _style(
                    plan,
                    "heading",
                    weight,
                    max_lines=2,
                    line_height=1.08,
                    balance=True,
                    align="left",
                ),
                truncate=field_name == "first_name",
                space_before=lay.tight_gap // 2 if k else 0,
            )
        )
    head_paints = {
        "first_name": _Paint("heading", colours.accent, colours.background),
        "attending": _Paint(
            "heading", colours.text if len(heads) > 1 else colours.accent, colours.background
        ),
    }
    second = [dataclasses.replace(detail_blocks[0], space_before=lay.gap + pad), *detail_blocks[1:]]
    head_fit, detail_fit = _fit_two_widths(
        plan, head_blocks, width, second, width - 2 * pad, y1 - top - pad
    )
    used = head_fit.height + detail_fit.height + pad
    y = top + (y1 - top - used) // 2
    _place_column(plan, head_fit, x0, y, width, head_paints)
    dy = y + head_fit.height
    plan.shapes.append(
        _ShapeOp(
            "round",
            (x0, dy + lay.gap, x1, dy + detail_fit.height + pad),
            colours.primary,
            radius=lay.radius,
        )
    )
    _place_column(plan, detail_fit, x0 + pad, dy, width - 2 * pad, detail_paints)


def _countdown_words(days: int) -> tuple[str, str]:
    """(big display text, the words between it and the campaign name)."""
    if days == 0:
        return TODAY, TODAY_IS
    return str(days), "day to" if days == 1 else "days to"


def _plan_countdown(plan: _Plan, spec: CountdownCard, colours: _Colours) -> None:
    lay = plan.layout
    x0, y0, x1, y1 = _frame(plan)
    width = x1 - x0
    _stripe(plan, colours)
    _brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    top = y0 + lay.brand_height + lay.gap
    big, joiner = _countdown_words(spec.days)
    og = plan.preset.name == "og"
    align: Literal["start", "center"] = "start" if og else "center"
    display = _style(plan, "display", BOLD, max_lines=1, align="center", tight=True)
    text_blocks = [
        Block(
            "countdown_joiner", joiner, _style(plan, "heading", SEMIBOLD, max_lines=1, align=align)
        ),
        Block(
            "countdown_name",
            _clean(plan, spec.campaign_name),
            _style(plan, "heading", BOLD, max_lines=3, align=align, line_height=1.08, balance=True),
            truncate=True,
            space_before=lay.tight_gap // 2,
        ),
        Block(
            "day_text",
            _clean(plan, spec.day_text),
            _style(plan, "body", SEMIBOLD, max_lines=2, align=align, balance=True),
            space_before=lay.gap,
        ),
        Block(
            "tagline",
            _clean(plan, spec.tagline),
            _style(plan, "body", REGULAR, max_lines=3, align=align, line_height=1.22, balance=True),
            truncate=True,
            space_before=lay.tight_gap,
        ),
    ]
    paints = {
        "countdown_number": _Paint("display", colours.accent, colours.background),
        "countdown_joiner": _Paint("heading", colours.text, colours.background),
        "countdown_name": _Paint("heading", colours.text, colours.background),
        "day_text": _Paint("body", colours.accent, colours.background),
        "tagline": _Paint("body", colours.quiet, colours.background),
    }
    if og:
        num_w = round((width - lay.gap) * 0.38)
        pad = lay.panel_pad
        num = _fit_or_raise(
            plan, "countdown_number", big, display, num_w - 2 * pad, y1 - top - 2 * pad
        )
        panel = (x0, top, x0 + num_w, y1)
        plan.shapes.append(_ShapeOp("round", panel, colours.primary, radius=lay.radius))
        ny = top + (y1 - top - num.height) // 2
        _add_text(
            plan,
            "countdown_number",
            "display",
            num,
            (x0 + pad, ny),
            (x0 + pad, top + pad, x0 + num_w - pad, y1 - pad),
            colours.on_primary,
            colours.primary,
        )
        tx = x0 + num_w + lay.gap * 2
        fit = _column_or_raise(plan, text_blocks, x1 - tx, y1 - top)
        _place_column(plan, fit, tx, top + (y1 - top - fit.height) // 2, x1 - tx, paints)
        return
    blocks = [Block("countdown_number", big, display), *text_blocks]
    blocks[1] = dataclasses.replace(blocks[1], space_before=lay.gap)
    fit = _column_or_raise(plan, blocks, width, y1 - top)
    _place_column(plan, fit, x0, top + (y1 - top - fit.height) // 2, width, paints)


_PLANNERS = {
    "myth_fact": _plan_myth_fact,
    "event": _plan_event,
    "attending": _plan_attending,
    "countdown": _plan_countdown,
}


@lru_cache(maxsize=32)
def plan_card(spec: CardSpec, preset_name: str) -> _Plan:
    """Lay a card out without drawing it (used by render and by alt text).

    Plans are cached per (spec, preset): a page that renders a card and writes its alt text
    lays it out once. Callers must treat the returned plan as read-only.
    """
    try:
        preset = PRESETS[preset_name]
    except KeyError:
        raise ValueError(f"unknown preset {preset_name!r}; use one of {sorted(PRESETS)}") from None
    plan = _Plan(preset, LAYOUTS[preset_name], spec)
    _PLANNERS[spec.kind](plan, spec, _colours(spec))
    return plan


# --- Drawing -------------------------------------------------------------------------------------


def _smooth_mask(
    size: tuple[int, int], draw_shape: Callable[[ImageDraw.ImageDraw, int], object]
) -> Image.Image:
    """An anti-aliased mask: the shape drawn SUPERSAMPLE times larger, then reduced."""
    w, h = size
    big = Image.new("L", (w * SUPERSAMPLE, h * SUPERSAMPLE), 0)
    draw_shape(ImageDraw.Draw(big), SUPERSAMPLE)
    return big.resize((w, h), Image.Resampling.BOX)


def _mirrored_mask(
    size: tuple[int, int], draw_shape: Callable[[ImageDraw.ImageDraw, int], object]
) -> Image.Image:
    """_smooth_mask for a shape symmetric about both axes: only a quarter is supersampled.

    The quarter is the top-left of the full shape (the drawing is clipped to it), mirrored
    into the other three; for even sides this is pixel-identical to the full mask.
    """
    w, h = size
    if w % 2 or h % 2:
        return _smooth_mask(size, draw_shape)
    k = SUPERSAMPLE
    big = Image.new("L", (w // 2 * k, h // 2 * k), 0)
    draw_shape(ImageDraw.Draw(big), k)
    quarter = big.resize((w // 2, h // 2), Image.Resampling.BOX)
    mask = Image.new("L", size, 0)
    mask.paste(quarter, (0, 0))
    mask.paste(quarter.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w // 2, 0))
    mask.paste(quarter.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, h // 2))
    mask.paste(quarter.transpose(Image.Transpose.ROTATE_180), (w // 2, h // 2))
    return mask


def _paint_rounded(image: Image.Image, op: _ShapeOp) -> None:
    """Paint an anti-aliased rounded rectangle, filled or (op.width > 0) a ring that wide.

    Only the corners need supersampling. A small sample with all four corners is drawn; its
    corners are pasted as masks at the shape's corners, its middle row and column are
    stretched along the straight edges, and the inside is filled plainly: pixel-identical to
    masking the whole shape drawn supersampled, at a fraction of the cost.
    """
    x0, y0, x1, y1 = op.box
    w, h = x1 - x0, y1 - y0
    radius, outline = op.radius, op.width
    c = max(radius, outline) + 1  # corner square: every curved pixel lies inside it

    def shape(side_w: int, side_h: int) -> Callable[[ImageDraw.ImageDraw, int], object]:
        def draw(d: ImageDraw.ImageDraw, k: int) -> None:
            box = (0, 0, side_w * k - 1, side_h * k - 1)
            if outline:
                d.rounded_rectangle(box, radius=radius * k, outline=255, width=outline * k)
            else:
                d.rounded_rectangle(box, radius=radius * k, fill=255)

        return draw

    side = 2 * c + 1
    if side >= min(w, h):
        image.paste(op.fill, op.box, _mirrored_mask((w, h), shape(w, h)))
        return
    sample = _smooth_mask((side, side), shape(side, side))
    nearest = Image.Resampling.NEAREST
    edges = (
        ((c, 0, c + 1, c), (w - 2 * c, c), (x0 + c, y0)),  # top
        ((c, side - c, c + 1, side), (w - 2 * c, c), (x0 + c, y1 - c)),  # bottom
        ((0, c, c, c + 1), (c, h - 2 * c), (x0, y0 + c)),  # left
        ((side - c, c, side, c + 1), (c, h - 2 * c), (x1 - c, y0 + c)),  # right
    )
    for crop, stretched, (px, py) in edges:
        strip = sample.crop(crop).resize(stretched, nearest)
        image.paste(op.fill, (px, py, px + stretched[0], py + stretched[1]), strip)
    for sx, px in ((0, x0), (side - c, x1 - c)):
        for sy, py in ((0, y0), (side - c, y1 - c)):
            image.paste(op.fill, (px, py, px + c, py + c), sample.crop((sx, sy, sx + c, sy + c)))
    if sample.getpixel((c, c)):  # filled: the inside needs no mask
        image.paste(op.fill, (x0 + c, y0 + c, x1 - c, y1 - c))


def _draw_icon(draw: ImageDraw.ImageDraw, kind: str, s: int, scale: int, hole: int) -> None:
    """Icon shapes on an s x s canvas (already multiplied by scale); 255 = ink, `hole` = cut."""
    w = max(2, s // 11)
    if kind == "cross":
        draw.ellipse((w // 2, w // 2, s - w // 2, s - w // 2), outline=255, width=w)
        a, b = round(s * 0.33), round(s * 0.67)
        draw.line((a, a, b, b), fill=255, width=w)
        draw.line((a, b, b, a), fill=255, width=w)
    elif kind == "check":
        draw.ellipse((0, 0, s, s), fill=255)
        points = [(s * 0.28, s * 0.52), (s * 0.44, s * 0.67), (s * 0.73, s * 0.36)]
        draw.line(points, fill=hole, width=round(w * 1.3), joint="curve")
    elif kind == "calendar":
        top = round(s * 0.16)
        draw.rounded_rectangle(
            (w // 2, top, s - w // 2, s - w // 2), radius=s // 7, outline=255, width=w
        )
        draw.rectangle((w // 2, top, s - w // 2, round(s * 0.38)), fill=255)
        for fx in (0.32, 0.68):
            x = round(s * fx)
            draw.line((x, 0, x, round(s * 0.28)), fill=255, width=w)
        for fx, fy in ((0.33, 0.6), (0.5, 0.6), (0.67, 0.6), (0.33, 0.76), (0.5, 0.76)):
            r = max(1, s // 22)
            draw.ellipse((s * fx - r, s * fy - r, s * fx + r, s * fy + r), fill=255)
    elif kind == "pin":
        r = s * 0.34
        cx, cy = s / 2, s * 0.38
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        draw.polygon(
            [(cx - r * 0.86, cy + r * 0.5), (cx + r * 0.86, cy + r * 0.5), (cx, s)], fill=255
        )
        hr = r * 0.42
        draw.ellipse((cx - hr, cy - hr, cx + hr, cy + hr), fill=hole)


def _paint_shape(image: Image.Image, op: _ShapeOp) -> None:
    x0, y0, x1, y1 = op.box
    size = (x1 - x0, y1 - y0)
    if size[0] <= 0 or size[1] <= 0:
        return
    if op.kind == "rect":
        image.paste(op.fill, op.box)
        return
    if op.kind in ("round", "outline"):
        _paint_rounded(image, op)
        return
    if op.kind == "ellipse":
        mask = _mirrored_mask(
            size, lambda d, k: d.ellipse((0, 0, size[0] * k - 1, size[1] * k - 1), fill=255)
        )
    else:
        # Icons: ink where the mask is 255; the "hole" (0) shows what is behind.
        mask = _smooth_mask(size, lambda d, k: _draw_icon(d, op.icon, size[0] * k, k, 0))
    image.paste(op.fill, op.box, mask)


def _draw_text(draw: ImageDraw.ImageDraw, op: _TextOp) -> Box:
    """Draw a fitted block and return its measured ink box (with strike-through).

    Each line's ink is Pillow's bounding box of exactly the segments drawn here, at the
    same pen positions (measured when the block was fitted).
    """
    ox, oy = op.origin
    fitted = op.fitted
    boxes: list[Box] = []
    for line in fitted.lines:
        for seg in line.segments:
            font = load_font(seg.family, fitted.weight, fitted.size)
            pen = (ox + line.x + seg.x, oy + line.baseline)
            draw.text(
                pen,
                seg.text,
                font=font,
                fill=op.fill,
                anchor="ls",
                **direction_kwargs(seg.direction),
            )
        if line.ink:
            ink = line.ink
            boxes.append((ox + ink[0], oy + ink[1], ox + ink[2], oy + ink[3]))
        if op.strike and line.ink:
            boxes.append(_strike(draw, op, line.ink, oy + line.baseline, ox))
    if not boxes:
        return (ox, oy, ox, oy)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _strike(draw: ImageDraw.ImageDraw, op: _TextOp, ink: Box, baseline: int, ox: int) -> Box:
    """A strike-through across one line's ink, kept inside that ink's height."""
    y_mid = baseline - round(op.fitted.size * 0.30)
    top = y_mid - op.strike // 2
    oy = op.origin[1]
    ink_top, ink_bottom = oy + ink[1], oy + ink[3]
    top = min(max(top, ink_top), max(ink_top, ink_bottom - op.strike))
    box = (ox + ink[0], top, ox + ink[2], top + op.strike)
    draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=op.fill)
    return box


def _draw(plan: _Plan, *, draw_text: bool = True) -> tuple[Image.Image, RenderReport]:
    spec = plan.spec
    image = Image.new("RGB", plan.preset.size, parse_colour(spec.theme.background))
    for shape in plan.shapes:
        if shape.kind != "icon":
            _paint_shape(image, shape)
    for op in plan.images:
        if op.image.mode == "RGBA":
            image.paste(op.image, op.xy, op.image)
        else:
            image.paste(op.image, op.xy)
    for shape in plan.shapes:
        if shape.kind == "icon":
            _paint_shape(image, shape)
    # Without text, the runs are still measured by drawing them on a throwaway canvas.
    draw = ImageDraw.Draw(image if draw_text else Image.new("RGB", plan.preset.size))
    runs: list[TextRun] = []
    for op in plan.texts:
        bbox = _draw_text(draw, op)
        fitted = op.fitted
        runs.append(
            TextRun(
                field=op.field,
                role=op.role,
                text=fitted.text,
                lines=tuple(line.text for line in fitted.lines),
                font_size=fitted.size,
                weight=fitted.weight,
                families=tuple(sorted({s.family for line in fitted.lines for s in line.segments})),
                bbox=bbox,
                box=op.box,
                fill=to_hex(op.fill),
                background=to_hex(op.background),
                truncated=fitted.truncated,
            )
        )
    report = RenderReport(
        kind=spec.kind,
        preset=plan.preset.name,
        size=plan.preset.size,
        runs=tuple(runs),
        text_area=plan.preset.text_area,
        name_omitted=plan.name_omitted,
        dropped_characters=tuple(sorted(plan.dropped)),
        qr_box=plan.qr_box,
        qr_module=plan.qr_module,
    )
    return image, report


def render_with_report(
    spec: CardSpec, preset_name: str, *, draw_text: bool = True
) -> tuple[Image.Image, RenderReport]:
    """Render a card and report every text run (draw_text=False: everything but the text)."""
    return _draw(plan_card(spec, preset_name), draw_text=draw_text)


def render(spec: CardSpec, preset_name: str) -> Image.Image:
    """Render a card as an RGB image of exactly the preset's size."""
    return render_with_report(spec, preset_name)[0]


def encode_png(image: Image.Image, max_bytes: int = MAX_PNG_BYTES) -> bytes:
    """PNG bytes; reduced to a palette when needed to stay under `max_bytes`.

    zlib level 3: on these cards it encodes about 30% faster than the default level 6 for
    files 12-22% larger (square 101 KB instead of 90 KB, story 143 KB instead of 120 KB), far
    under the budget. optimize=True would cost three times the time for 3% smaller files.
    """
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    data = buffer.getvalue()
    for colours in (256, 128, 64):
        if len(data) <= max_bytes:
            break
        paletted = image.convert("RGB").quantize(
            colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        buffer = io.BytesIO()
        paletted.save(buffer, "PNG", optimize=True)
        data = buffer.getvalue()
    if len(data) > max_bytes:
        logger.warning("share card PNG is %d bytes, over the %d byte budget", len(data), max_bytes)
    return data


# --- Editor checks and cache keys ---------------------------------------------------------------


def check_myth_fact_fits(
    myth: str,
    fact: str,
    source_title: str,
    disclaimer: str,
    *,
    campaign_name: str = "",
    hashtag: str = "",
) -> dict[str, int]:
    """field -> characters to cut so the card fits every preset ({} when it fits).

    Pass campaign_name and hashtag to include the alt-text budget (key "alt_text").
    """
    from .alt_text import alt_text

    problems: dict[str, int] = {}
    spec = MythFactCard(myth, fact, source_title, disclaimer, campaign_name, hashtag)
    for name in PRESETS:
        try:
            plan_card(spec, name)
        except TextDoesNotFit as exc:
            problems[exc.field] = max(problems.get(exc.field, 0), exc.overflow_chars)
    if not problems:
        try:
            alt_text(spec)
        except TextDoesNotFit as exc:
            problems[exc.field] = exc.overflow_chars
    return problems


def cache_key(spec: CardSpec, preset_name: str) -> str:
    """Content-addressed key: renderer version, card kind, preset, fonts, inputs and theme."""
    fields = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if isinstance(value, bytes):
            value = hashlib.sha256(value).hexdigest()
        elif dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        fields[f.name] = value
    payload = {
        "renderer": RENDERER_VERSION,
        "kind": spec.kind,
        "preset": preset_name,
        "fonts": font_digest(),
        "spec": fields,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:32]
