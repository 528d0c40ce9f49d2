"""Pieces every card kind draws: the accent stripe and discs, the brand row, pills, QR code."""

from __future__ import annotations

import dataclasses
import io
import logging
from typing import Literal

import segno
from PIL import Image

from .columns import Block, ColumnFit
from .contrast import RGB, mix
from .fitting import FittedText
from .fonts import BOLD, SEMIBOLD
from .measure import text_width
from .plan import Box, Colours, ImageOp, Plan, ShapeOp, add_text, clean, fit_or_raise, role_style

logger = logging.getLogger(__name__)

QR_DARK: RGB = (0, 0, 0)
QR_LIGHT: RGB = (255, 255, 255)
QR_BORDER_MODULES = 4  # the quiet zone the QR standard asks for


def stripe(plan: Plan, colours: Colours) -> None:
    """The accent stripe along the top; on stories, quiet discs in the text-free zones."""
    lay = plan.layout
    preset = plan.preset
    _, safe_top, _, safe_bottom = preset.text_area
    if safe_top > lay.stripe:
        _discs(plan, colours, safe_top, safe_bottom)
    plan.shapes.append(ShapeOp("rect", (0, 0, preset.width, lay.stripe), colours.accent))


def _discs(plan: Plan, colours: Colours, safe_top: int, safe_bottom: int) -> None:
    """Two quiet discs, kept inside the story's text-free zones."""
    lay = plan.layout
    preset = plan.preset
    disc = mix(colours.background, colours.primary, 0.55)
    r = safe_top - lay.stripe - lay.margin_y  # stays above the text area
    cx, cy = preset.width - r // 3, lay.stripe + lay.margin_y // 2
    plan.shapes.append(ShapeOp("ellipse", (cx - r, cy - r, cx + r, cy + r), disc))
    r = preset.height - safe_bottom - lay.margin_y
    cx, cy = r // 3, preset.height + r // 6
    plan.shapes.append(ShapeOp("ellipse", (cx - r, cy - r, cx + r, cy + r), disc))


def _logo_image(logo: bytes, max_w: int, max_h: int) -> Image.Image | None:
    try:
        with Image.open(io.BytesIO(logo)) as source:
            image = source.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.warning("share card logo could not be decoded; drawing the card without it")
        return None
    image.thumbnail((max_w, max_h), Image.Resampling.LANCZOS)
    return image


def brand_row(plan: Plan, colours: Colours, box: Box) -> None:
    """Logo, campaign name (left) and hashtag (right) in one row."""
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
    hashtag = clean(plan, spec.hashtag)
    name = clean(plan, spec.campaign_name)
    style = role_style(plan, "caption", SEMIBOLD, max_lines=1)
    tag_w = 0
    if hashtag:
        limit = (x1 - x0) // 2 if name else x1 - x0
        tag_w = min(limit, text_width(hashtag, SEMIBOLD, style.sizes.max) + 2)
        fitted = fit_or_raise(
            plan, "hashtag", hashtag, style.at_size(style.sizes.max), tag_w, height, truncate=True
        )
        top = y0 + (height - fitted.height) // 2
        slot = (x1 - tag_w, y0, x1, y1)
        fitted = realign(fitted, "end")
        add_text(
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
        fitted = fit_or_raise(
            plan,
            "campaign_name",
            name,
            style.at_size(style.sizes.max),
            width,
            height,
            truncate=True,
        )
        fitted = realign(fitted, "left")
        top = y0 + (height - fitted.height) // 2
        add_text(
            plan,
            "campaign_name",
            "caption",
            fitted,
            (x0, top),
            (x0, y0, x0 + width, y1),
            colours.text,
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
        role_style(plan, "label", BOLD, max_lines=1),
        space_before=space_before,
        pad=lay.pill_pad_y,
        inset=lay.pill_pad_x + lay.icon_size + lay.icon_gap // 2,
    )


def pill_shapes(
    plan: Plan,
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
        plan.shapes.append(ShapeOp("outline", box, fill, radius=radius, width=width))
    else:
        plan.shapes.append(ShapeOp("round", box, fill, radius=radius))
    size = min(lay.icon_size, bottom - top - 2 * lay.pill_pad_y)
    ix = x + lay.pill_pad_x
    iy = top + (bottom - top - size) // 2
    plan.shapes.append(ShapeOp("icon", (ix, iy, ix + size, iy + size), icon_colour, icon=icon))


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


def qr_panel(plan: Plan, url: str, x: int, y: int, side: int) -> Box:
    """White rounded panel holding the QR code; returns the panel box."""
    lay = plan.layout
    radius = lay.radius // 2
    # Inset the code so its square corners stay inside the panel's rounded ones.
    image, module = _qr_image(url, side - radius, lay.qr_module_min)
    offset = (side - image.width) // 2
    box = (x, y, x + side, y + side)
    plan.shapes.append(ShapeOp("round", box, QR_LIGHT, radius=radius))
    plan.images.append(ImageOp(image, (x + offset, y + offset)))
    plan.qr_box = (x + offset, y + offset, x + offset + image.width, y + offset + image.height)
    plan.qr_module = module
    return box
