"""The event, attending and countdown cards."""

from __future__ import annotations

import dataclasses
from typing import Literal

from .columns import Block
from .contrast import RGB
from .fitting import FittedText
from .fonts import BOLD, REGULAR, SEMIBOLD, missing_characters, normalize_text
from .measure import text_width
from .pieces import brand_row, qr_panel, realign, stripe
from .plan import (
    ATTENDING_OTHER,
    ATTENDING_SELF,
    QR_CAPTION,
    TODAY,
    TODAY_IS,
    Colours,
    Paint,
    Plan,
    ShapeOp,
    add_text,
    clean,
    column_or_raise,
    fit_or_raise,
    fit_two_widths,
    frame,
    place_column,
    role_style,
)
from .specs import AttendingCard, CountdownCard, EventCard


def _when_and_place(
    plan: Plan,
    when_text: str,
    place_text: str,
    space_before: int,
    fill: RGB,
    background: RGB,
    colours: Colours,
) -> tuple[list[Block], dict[str, Paint]]:
    """The date line and the place line, each after its icon, and how they are painted.

    Both are cut with "…" as a last resort: an event card must never refuse to render.
    """
    lay = plan.layout
    inset = lay.icon_size + lay.icon_gap
    blocks = [
        Block(
            "when_text",
            clean(plan, when_text),
            role_style(plan, "body", SEMIBOLD, max_lines=2, balance=True),
            truncate=True,
            space_before=space_before,
            inset=inset,
        ),
        Block(
            "place_text",
            clean(plan, place_text),
            role_style(plan, "body", REGULAR, max_lines=2, balance=True),
            truncate=True,
            space_before=lay.tight_gap,
            inset=inset,
        ),
    ]
    paints = {
        "when_text": Paint("body", fill, background, icon="calendar", icon_colour=colours.accent),
        "place_text": Paint("body", fill, background, icon="pin", icon_colour=colours.accent),
    }
    return blocks, paints


def plan_event(plan: Plan, spec: EventCard, colours: Colours) -> None:
    lay = plan.layout
    x0, y0, x1, y1 = frame(plan)
    width = x1 - x0
    stripe(plan, colours)
    brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    top = y0 + lay.brand_height + lay.gap
    og = plan.preset.name == "og"
    when_place, when_place_paints = _when_and_place(
        plan, spec.when_text, spec.place_text, lay.gap, colours.text, colours.background, colours
    )
    blocks = [
        Block(
            "title",
            clean(plan, spec.title),
            role_style(
                plan, "heading", BOLD, max_lines=3 if og else 4, line_height=1.1, balance=True
            ),
            truncate=True,
        ),
        *when_place,
    ]
    paints = {
        "title": Paint("heading", colours.text, colours.background),
        **when_place_paints,
    }
    if og:
        # Details on the left, the QR code and its caption centred on the right.
        side = lay.qr_max
        caption_style = role_style(plan, "caption", SEMIBOLD, max_lines=1, align="center")
        caption = fit_or_raise(plan, "qr_caption", QR_CAPTION, caption_style, side, y1 - top)
        group = side + lay.tight_gap + caption.height
        qr_x, qr_y = x1 - side, top + (y1 - top - group) // 2
        text_w = qr_x - lay.gap * 2 - x0
        fit = column_or_raise(plan, blocks, text_w, y1 - top)
        place_column(plan, fit, x0, top + (y1 - top - fit.height) // 2, text_w, paints)
        qr_panel(plan, spec.url_for_qr, qr_x, qr_y, side)
        cap_top = qr_y + side + lay.tight_gap
        add_text(
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
    fit = column_or_raise(plan, blocks, width, y1 - top - row_h - lay.gap)
    cap_x = x0 + pad + side + lay.gap
    cap_w = x1 - pad - cap_x
    cap_style = role_style(plan, "body", SEMIBOLD, max_lines=1)
    caption = fit_or_raise(plan, "qr_caption", QR_CAPTION, cap_style, cap_w, side)
    spare = y1 - top - fit.height - lay.gap - row_h
    y = top + spare // 2
    place_column(plan, fit, x0, y, width, paints)
    row_top = y + fit.height + lay.gap + spare // 4
    row_top = min(row_top, y1 - row_h)
    plan.shapes.append(
        ShapeOp("round", (x0, row_top, x1, row_top + row_h), colours.primary, radius=lay.radius)
    )
    qr_panel(plan, spec.url_for_qr, x0 + pad, row_top + pad, side)
    cap_top = row_top + (row_h - caption.height) // 2
    add_text(
        plan,
        "qr_caption",
        "body",
        caption,
        (cap_x, cap_top),
        (cap_x, row_top + pad, x1 - pad, row_top + pad + side),
        colours.on_primary,
        colours.primary,
    )


def _attending_heads(plan: Plan, spec: AttendingCard) -> list[tuple[str, str]]:
    """[(field, text)] for the heading lines: name + "is attending", or "I'm attending"."""
    name = " ".join(normalize_text(spec.first_name or "").split())
    if name and missing_characters(name):
        plan.name_omitted = True
        name = ""
    if name:
        return [("first_name", name), ("attending", ATTENDING_OTHER)]
    return [("attending", ATTENDING_SELF)]


def _inline_heading(
    plan: Plan, heads: list[tuple[str, str]], width: int, colours: Colours
) -> tuple[list[tuple[str, FittedText, int, RGB]], int]:
    """Name and "is attending" on one baseline: [(field, fitted, x offset, colour)], height."""
    style = role_style(plan, "heading", BOLD, max_lines=1)
    space = round(style.sizes.min * 0.28)
    rest_field, rest = heads[-1]
    name = heads[0][1] if len(heads) > 1 else ""
    for size in style.candidate_sizes():
        rest_w = text_width(rest, BOLD, size)
        name_w = text_width(name, BOLD, size) + space if name else 0
        if name_w + rest_w <= width or size == style.sizes.min:
            break
    pinned = style.at_size(size)
    rest_fit = fit_or_raise(plan, rest_field, rest, pinned, rest_w, 10_000)
    parts: list[tuple[str, FittedText, int, RGB]] = []
    if name:
        name_fit = fit_or_raise(
            plan, "first_name", name, pinned, width - rest_w - space, 10_000, truncate=True
        )
        name_fit = realign(name_fit, "left")
        name_right = name_fit.lines[0].box[2]
        parts.append(("first_name", name_fit, 0, colours.accent))
        parts.append((rest_field, rest_fit, name_right + space, colours.text))
    else:
        parts.append((rest_field, rest_fit, 0, colours.accent))
    baseline = max(p[1].lines[0].baseline for p in parts)
    height = max(baseline - p[1].lines[0].baseline + p[1].height for p in parts)
    return parts, height


def plan_attending(plan: Plan, spec: AttendingCard, colours: Colours) -> None:
    lay = plan.layout
    x0, y0, x1, y1 = frame(plan)
    width = x1 - x0
    stripe(plan, colours)
    brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    top = y0 + lay.brand_height + lay.gap
    heads = _attending_heads(plan, spec)
    pad = lay.panel_pad
    og = plan.preset.name == "og"
    when_place, when_place_paints = _when_and_place(
        plan,
        spec.when_text,
        spec.place_text,
        lay.gap - lay.tight_gap,
        colours.on_primary,
        colours.primary,
        colours,
    )
    detail_blocks = [
        Block(
            "event_title",
            clean(plan, spec.event_title),
            role_style(
                plan, "body", BOLD, max_lines=2 if og else 3, line_height=1.15, balance=True
            ),
            truncate=True,
        ),
        *when_place,
    ]
    detail_paints = {
        "event_title": Paint("body", colours.on_primary, colours.primary),
        **when_place_paints,
    }
    if og:
        # One heading line across the card, the event on a panel below it.
        parts, head_h = _inline_heading(plan, heads, width, colours)
        detail_fit = column_or_raise(
            plan, detail_blocks, width - 2 * pad, y1 - top - head_h - lay.gap - 2 * pad
        )
        used = head_h + lay.gap + detail_fit.height + 2 * pad
        y = top + (y1 - top - used) // 2
        baseline = max(fit.lines[0].baseline for _, fit, _, _ in parts)
        for field_name, fit, dx, colour in parts:
            oy = y + baseline - fit.lines[0].baseline
            used = max(line.box[2] for line in fit.lines)  # the name's slot ends where it ends
            add_text(
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
            ShapeOp(
                "round",
                (x0, panel_top, x1, panel_top + detail_fit.height + 2 * pad),
                colours.primary,
                radius=lay.radius,
            )
        )
        place_column(plan, detail_fit, x0 + pad, panel_top + pad, width - 2 * pad, detail_paints)
        return
    head_blocks = []
    for k, (field_name, text) in enumerate(heads):
        weight = BOLD if field_name == "first_name" or len(heads) == 1 else SEMIBOLD
        # The heading is an English sentence: a right-to-left name still starts at the left.
        head_blocks.append(
            Block(
                field_name,
                text,
                role_style(
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
        "first_name": Paint("heading", colours.accent, colours.background),
        "attending": Paint(
            "heading", colours.text if len(heads) > 1 else colours.accent, colours.background
        ),
    }
    second = [dataclasses.replace(detail_blocks[0], space_before=lay.gap + pad), *detail_blocks[1:]]
    head_fit, detail_fit = fit_two_widths(
        plan, head_blocks, width, second, width - 2 * pad, y1 - top - pad
    )
    used = head_fit.height + detail_fit.height + pad
    y = top + (y1 - top - used) // 2
    place_column(plan, head_fit, x0, y, width, head_paints)
    dy = y + head_fit.height
    plan.shapes.append(
        ShapeOp(
            "round",
            (x0, dy + lay.gap, x1, dy + detail_fit.height + pad),
            colours.primary,
            radius=lay.radius,
        )
    )
    place_column(plan, detail_fit, x0 + pad, dy, width - 2 * pad, detail_paints)


def countdown_words(days: int) -> tuple[str, str]:
    """(big display text, the words between it and the campaign name)."""
    if days == 0:
        return TODAY, TODAY_IS
    return str(days), "day to" if days == 1 else "days to"


def plan_countdown(plan: Plan, spec: CountdownCard, colours: Colours) -> None:
    lay = plan.layout
    x0, y0, x1, y1 = frame(plan)
    width = x1 - x0
    stripe(plan, colours)
    brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    top = y0 + lay.brand_height + lay.gap
    big, joiner = countdown_words(spec.days)
    og = plan.preset.name == "og"
    align: Literal["start", "center"] = "start" if og else "center"
    display = role_style(plan, "display", BOLD, max_lines=1, align="center", tight=True)
    text_blocks = [
        Block(
            "countdown_joiner",
            joiner,
            role_style(plan, "heading", SEMIBOLD, max_lines=1, align=align),
        ),
        Block(
            "countdown_name",
            clean(plan, spec.campaign_name),
            role_style(
                plan, "heading", BOLD, max_lines=3, align=align, line_height=1.08, balance=True
            ),
            truncate=True,
            space_before=lay.tight_gap // 2,
        ),
        Block(
            "day_text",
            clean(plan, spec.day_text),
            role_style(plan, "body", SEMIBOLD, max_lines=2, align=align, balance=True),
            space_before=lay.gap,
        ),
        Block(
            "tagline",
            clean(plan, spec.tagline),
            role_style(
                plan, "body", REGULAR, max_lines=3, align=align, line_height=1.22, balance=True
            ),
            truncate=True,
            space_before=lay.tight_gap,
        ),
    ]
    paints = {
        "countdown_number": Paint("display", colours.accent, colours.background),
        "countdown_joiner": Paint("heading", colours.text, colours.background),
        "countdown_name": Paint("heading", colours.text, colours.background),
        "day_text": Paint("body", colours.accent, colours.background),
        "tagline": Paint("body", colours.quiet, colours.background),
    }
    if og:
        num_w = round((width - lay.gap) * 0.38)
        pad = lay.panel_pad
        num = fit_or_raise(
            plan, "countdown_number", big, display, num_w - 2 * pad, y1 - top - 2 * pad
        )
        panel = (x0, top, x0 + num_w, y1)
        plan.shapes.append(ShapeOp("round", panel, colours.primary, radius=lay.radius))
        ny = top + (y1 - top - num.height) // 2
        add_text(
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
        fit = column_or_raise(plan, text_blocks, x1 - tx, y1 - top)
        place_column(plan, fit, tx, top + (y1 - top - fit.height) // 2, x1 - tx, paints)
        return
    blocks = [Block("countdown_number", big, display), *text_blocks]
    blocks[1] = dataclasses.replace(blocks[1], space_before=lay.gap)
    fit = column_or_raise(plan, blocks, width, y1 - top)
    place_column(plan, fit, x0, top + (y1 - top - fit.height) // 2, width, paints)
