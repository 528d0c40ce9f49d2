"""Pieces every card kind draws: the accent stripe and discs, the brand row, pills, the
address line and the right-to-left mirror (the QR panel is in qr.py)."""

from __future__ import annotations

import dataclasses
import io
import logging
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from .contrast import MIN_TEXT_CONTRAST, RGB, contrast_ratio, mix, relative_luminance
from .draw import channel_bounds
from .plan import Box, Colours, ImageOp, Plan, ShapeOp, TextDoesNotFit, TextOp
from .text.columns import Block, ColumnFit
from .text.fitting import Align, FittedText, TextStyle
from .text.fontfiles import BOLD, SEMIBOLD
from .text.measure import text_width
from .typescale import Role

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Area:
    """Where a planner lays its content out: inside the frame, under the brand row."""

    x0: int
    top: int  # under the brand row and one gap
    x1: int
    y1: int
    frame_top: int  # where the frame (and the brand row) starts

    @property
    def box(self) -> Box:
        """(x0, top, x1, y1)."""
        return (self.x0, self.top, self.x1, self.y1)

    @property
    def width(self) -> int:
        """The content width."""
        return self.x1 - self.x0


def open_card(plan: Plan, colours: Colours, *, address_in_brand: bool = False) -> Area:
    """What every card starts with: backdrop, stripe and brand row; returns the room left.

    address_in_brand: the card's address takes the hashtag's place at the brand row's end
    (the link-preview card, which has no room for a line of its own).
    """
    lay = plan.layout
    x0, y0, x1, y1 = plan.frame()
    backdrop(plan, colours)
    stripe(plan, colours)
    address = plan.clean(plan.spec.address_text) if address_in_brand else ""
    brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height), address=address)
    return Area(x0, y0 + lay.brand_height + lay.gap, x1, y1, y0)


def stripe(plan: Plan, colours: Colours) -> None:
    """The accent stripe along the top."""
    lay = plan.layout
    plan.shapes.append(ShapeOp("rect", (0, 0, plan.preset.width, lay.stripe), colours.accent))


def _text_colours(colours: Colours) -> tuple[RGB, ...]:
    """Every colour drawn as text straight on the card's background."""
    return (colours.text, colours.accent, colours.muted, colours.quiet)


def _away_from_text(colours: Colours) -> RGB | None:
    """A shade of the background further from every text colour on it (None if text sits
    on both sides of it): drawn under text, it can only raise the contrast."""
    ground = relative_luminance(colours.background)
    lighter = [relative_luminance(c) > ground for c in _text_colours(colours)]
    if all(lighter):
        return mix(colours.background, (0, 0, 0), 0.32)
    if not any(lighter):
        return mix(colours.background, (255, 255, 255), 0.4)
    return None


def motif(plan: Plan, colours: Colours) -> None:
    """The campaign's motif: concentric rings rising from the foot's far corner.

    Drawn in a shade of the background further from every text colour, so text over a
    ring only gains contrast (the report measures it).
    """
    shade = _away_from_text(colours)
    if shade is None:
        return
    w, h = plan.preset.size
    unit = min(w, h)
    cx, cy = w - unit // 10, h - unit // 12
    ring = max(6, unit // 45)
    for k, fraction in enumerate((0.22, 0.38, 0.54)):
        r = round(unit * fraction)
        width = ring if k else ring * 2
        plan.shapes.append(ShapeOp("ring", (cx - r, cy - r, cx + r, cy + r), shade, width=width))


def _scrim_share(photo: Image.Image, colours: Colours) -> float:
    """The least share of the background colour laid over the photo for every text colour
    to keep 4.5:1 against the photo's lightest and darkest possible pixel (a bound:
    each channel's extreme taken together)."""
    light, dark = channel_bounds(photo)
    target = MIN_TEXT_CONTRAST + 0.1  # rounding in the blend

    def readable(share: float) -> bool:
        for corner in (light, dark):
            under = mix(corner, colours.background, share)
            if any(contrast_ratio(c, under) < target for c in _text_colours(colours)):
                return False
        return True

    lo, hi = 0.0, 1.0
    for _ in range(12):
        mid = (lo + hi) / 2
        if readable(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _cover(photo: bytes, size: tuple[int, int]) -> Image.Image | None:
    """The photo scaled and centre-cropped to fill `size`, or None if it cannot be read."""
    try:
        with Image.open(io.BytesIO(photo)) as source:
            source.draft("RGB", size)  # JPEG: decode at a reduced scale when it can
            image = source.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("share card photo could not be decoded; drawing the card without it")
        return None
    w, h = size
    scale = max(w / image.width, h / image.height)
    scaled = (max(w, round(image.width * scale)), max(h, round(image.height * scale)))
    image = image.resize(scaled, Image.Resampling.BILINEAR, reducing_gap=2.0)
    left, top = (scaled[0] - w) // 2, (scaled[1] - h) // 2
    return image.crop((left, top, left + w, top + h))


def backdrop(plan: Plan, colours: Colours) -> None:
    """The campaign's photo under a scrim strong enough for every text colour, else the motif."""
    photo = plan.spec.photo
    image = _cover(photo, plan.preset.size) if photo else None
    if image is None:
        motif(plan, colours)
        return
    share = _scrim_share(image, colours)
    plan.backdrop = Image.blend(image, Image.new("RGB", image.size, colours.background), share)


def _logo_image(logo: bytes, max_w: int, max_h: int) -> Image.Image | None:
    try:
        with Image.open(io.BytesIO(logo)) as source:
            image = source.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("share card logo could not be decoded; drawing the card without it")
        return None
    image.thumbnail((max_w, max_h), Image.Resampling.LANCZOS)
    return image


def _fit_in_row(
    plan: Plan, field_name: str, text: str, style: TextStyle, width: int, height: int
) -> FittedText:
    """One line at the style's largest size, cut short to the width. A script whose line
    is taller than the row at that size (Arabic on the og card) keeps the size and
    overhangs the row evenly: its ink is far smaller than its line."""
    one_size = style.at_size(style.sizes.max)
    try:
        return plan.fit(field_name, text, one_size, width, height, truncate=True)
    except TextDoesNotFit:
        return plan.fit(field_name, text, one_size, width, 2 * height, truncate=True)


def _row_slot(x0: int, x1: int, y0: int, y1: int, fitted: FittedText) -> tuple[int, Box]:
    """Where a line fitted by _fit_in_row starts (its top) and the slot it is drawn in."""
    top = y0 + (y1 - y0 - fitted.height) // 2
    return top, (x0, min(y0, top), x1, max(y1, top + fitted.height))


def brand_row(plan: Plan, colours: Colours, box: Box, *, address: str = "") -> None:
    """Logo, campaign name (start) and hashtag, or the card's address, (end) in one row."""
    spec = plan.spec
    lay = plan.layout
    x0, y0, x1, y1 = box
    height = y1 - y0
    if spec.logo:
        logo = _logo_image(spec.logo, height * 3, height)
        if logo is not None:
            plan.images.append(ImageOp(logo, (x0, y0 + (height - logo.height) // 2)))
            x0 += logo.width + lay.icon_gap
    gap = lay.gap
    end_field, end_text = "hashtag", plan.clean(spec.hashtag)
    start_field, name = "campaign_name", plan.clean(spec.campaign_name)
    style = plan.style("caption", SEMIBOLD, max_lines=1)
    if address:
        # The address takes the campaign name's place, whole; the hashtag only if it fits.
        start_field, name = "address", address
        need = text_width(address, SEMIBOLD, style.sizes.max)
        spare = x1 - x0 - need - gap
        if text_width(end_text, SEMIBOLD, style.sizes.max) + 2 > spare:
            end_text = ""
    tag_w = 0
    if end_text:
        limit = (x1 - x0) // 2 if name else x1 - x0
        tag_w = min(limit, text_width(end_text, SEMIBOLD, style.sizes.max) + 2)
        fitted = _fit_in_row(plan, end_field, end_text, style, tag_w, height)
        top, slot = _row_slot(x1 - tag_w, x1, y0, y1, fitted)
        fitted = realign(fitted, "end")
        plan.add_text(
            end_field,
            "caption",
            fitted,
            (x1 - tag_w, top),
            slot,
            colours.accent,
            colours.background,
        )
    if name:
        width = x1 - x0 - (tag_w + gap if end_text else 0)
        fitted = _fit_in_row(plan, start_field, name, style, width, height)
        fitted = realign(fitted, "left")
        top, slot = _row_slot(x0, x0 + width, y0, y1, fitted)
        plan.add_text(
            start_field,
            "caption",
            fitted,
            (x0, top),
            slot,
            colours.accent if address else colours.text,
            colours.background,
        )


def realign(fitted: FittedText, where: Literal["left", "end"]) -> FittedText:
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


def pill_block(plan: Plan, field_name: str, text: str, space_before: int = 0) -> Block:
    lay = plan.layout
    return Block(
        field_name,
        text,
        plan.style("label", BOLD, max_lines=1),
        space_before=space_before,
        pad=lay.pill_pad_y,
        inset=lay.pill_pad_x + lay.icon_size + lay.icon_gap // 2,
    )


@dataclass(frozen=True)
class Pill:
    """How a label's pill looks: filled or outlined in `fill`, and its icon."""

    fill: RGB
    outline: bool
    icon: str
    icon_colour: RGB


def pill_shapes(plan: Plan, fit: ColumnFit, field_name: str, x: int, y: int, pill: Pill) -> None:
    """The rounded pill and its icon around a label placed by a column (none if not placed)."""
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
    if pill.outline:
        width = max(2, lay.stripe // 4)
        plan.shapes.append(ShapeOp("outline", box, pill.fill, radius=radius, width=width))
    else:
        plan.shapes.append(ShapeOp("round", box, pill.fill, radius=radius))
    size = min(lay.icon_size, bottom - top - 2 * lay.pill_pad_y)
    ix = x + lay.pill_pad_x
    iy = top + (bottom - top - size) // 2
    icon_box = (ix, iy, ix + size, iy + size)
    plan.shapes.append(ShapeOp("icon", icon_box, pill.icon_colour, icon=pill.icon))


# --- Address line and right-to-left cards ---------------------------------------------------------


def address_block(
    plan: Plan, role: Role = "label", space_before: int = 0, align: Align = "start"
) -> Block | None:
    """The card's address as a block (bold, accent), or None when the spec has none."""
    text = plan.clean(plan.spec.address_text)
    if not text:
        return None
    return Block(
        "address",
        text,
        plan.style(role, BOLD, max_lines=3, align=align),
        truncate=True,  # a last resort: a card about an event must never refuse to render
        space_before=space_before,
    )


def _flip(box: Box, width: int) -> Box:
    return (width - box[2], box[1], width - box[0], box[3])


def _flip_text(fitted: FittedText) -> FittedText:
    """Each line moved to the mirror position inside its block (glyphs untouched)."""
    w = fitted.width
    lines = []
    for line in fitted.lines:
        dx = (w - line.box[2]) - line.box[0]
        ink = line.ink
        if ink is not None:
            ink = (ink[0] + dx, ink[1], ink[2] + dx, ink[3])
        box = (line.box[0] + dx, line.box[1], line.box[2] + dx, line.box[3])
        lines.append(dataclasses.replace(line, x=line.x + dx, box=box, ink=ink))
    return dataclasses.replace(fitted, lines=tuple(lines))


def mirror(plan: Plan) -> None:
    """Flip a laid-out card left to right for right-to-left text (the words are not flipped).

    Pills, icons, the logo and the QR code move to the other side and every line starts at
    the right; what a run of text looks like inside stays as shaped.
    """
    w = plan.preset.width
    plan.shapes = [dataclasses.replace(s, box=_flip(s.box, w)) for s in plan.shapes]
    plan.images = [ImageOp(i.image, (w - i.xy[0] - i.image.width, i.xy[1])) for i in plan.images]
    if plan.qr_box is not None:
        plan.qr_box = _flip(plan.qr_box, w)
    texts: list[TextOp] = []
    for op in plan.texts:
        ox, oy = op.origin
        texts.append(
            dataclasses.replace(
                op,
                fitted=_flip_text(op.fitted),
                origin=(w - ox - op.fitted.width, oy),
                box=_flip(op.box, w),
            )
        )
    plan.texts = texts
    plan.mirrored = True
