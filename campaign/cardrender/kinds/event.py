"""The event card: the title, the date and place, and a QR code to the event's page."""

from __future__ import annotations

import dataclasses

from ..pieces import Area, address_block, open_card
from ..plan import Colours, Column, Paint, Plan, ShapeOp, TextDoesNotFit
from ..qr import qr_panel
from ..specs import AttendingCard, EventCard
from ..text.columns import Block
from ..text.fontfiles import BOLD, REGULAR, SEMIBOLD


def event_details(
    plan: Plan,
    spec: EventCard | AttendingCard,
    title_paint: Paint,
    title_lines: int,
    title_leading: float,
    space_before: int,
    colours: Colours,
) -> Column:
    """An event's title, then its date and place lines each after an icon; and their paints.

    The title is bold in `title_paint`'s role; the date and place are drawn in its colours,
    `space_before` below it. All three are cut with "…" as a last resort: a card about an
    event must never refuse to render.
    """
    lay = plan.layout
    inset = lay.icon_size + lay.icon_gap
    fill, background = title_paint.fill, title_paint.background
    if isinstance(spec, EventCard):
        title_field, title = "title", spec.title
    else:
        title_field, title = "event_title", spec.event_title
    title_style = plan.style(
        title_paint.role,
        BOLD,
        max_lines=title_lines,
        line_height=title_leading,
        balance=True,
    )
    blocks = [
        Block(title_field, plan.clean(title), title_style, truncate=True),
        Block(
            "when_text",
            plan.clean(spec.when_text),
            # A date reads best on one line ("Mon 28 Dec <year>, 18:30 EST", never broken
            # before the year): it shrinks to stay on one, and takes a second only at the floor.
            dataclasses.replace(plan.style("body", SEMIBOLD, max_lines=2), prefer_lines=1),
            truncate=True,
            space_before=space_before,
            inset=inset,
        ),
        Block(
            "place_text",
            plan.clean(spec.place_text),
            plan.style("body", REGULAR, max_lines=2, balance=True),
            truncate=True,
            space_before=lay.tight_gap,
            inset=inset,
        ),
    ]
    paints = {
        title_field: title_paint,
        "when_text": Paint("body", fill, background, icon="calendar", icon_colour=colours.accent),
        "place_text": Paint("body", fill, background, icon="pin", icon_colour=colours.accent),
    }
    return blocks, paints


def plan_event(plan: Plan, spec: EventCard, colours: Colours) -> None:
    """Lay the event card out: side by side on og, stacked on the others; a story carries
    the address large instead of a QR code (nobody can scan the phone they look at)."""
    area = open_card(plan, colours)
    title = Paint("heading", colours.text, colours.background)
    lines = 3 if plan.landscape else 4
    details = event_details(plan, spec, title, lines, 1.1, plan.layout.gap, colours)
    if plan.landscape:
        _side_by_side(plan, spec, area, details, colours)
    elif plan.preset.name == "story":
        _address_panel(plan, area, details, colours)
    else:
        _stacked(plan, spec, area, details, colours)


def _side_by_side(
    plan: Plan, spec: EventCard, area: Area, details: Column, colours: Colours
) -> None:
    """The details on the left, the QR code and its caption centred on the right."""
    lay = plan.layout
    x0, top, x1, y1 = area.box
    blocks, paints = details
    side = lay.qr_max
    caption_style = plan.style("caption", SEMIBOLD, max_lines=1, align="center")
    try:
        caption = plan.fit("qr_caption", spec.label("scan"), caption_style, side, y1 - top)
    except TextDoesNotFit:
        # A longer translation of "Scan for details" takes a second line rather than
        # failing the whole card; the English caption fits on one and is drawn as before.
        caption_style = plan.style("caption", SEMIBOLD, max_lines=2, align="center")
        caption = plan.fit("qr_caption", spec.label("scan"), caption_style, side, y1 - top)
    group = side + lay.tight_gap + caption.height
    qr_x, qr_y = x1 - side, top + (y1 - top - group) // 2
    text_w = qr_x - lay.gap * 2 - x0
    address = address_block(plan, "label", space_before=lay.tight_gap)
    if address is not None:
        blocks = [*blocks, address]
        paints = {**paints, "address": Paint("label", colours.accent, colours.background)}
    fit = plan.column(blocks, text_w, y1 - top)
    plan.place(fit, x0, top + (y1 - top - fit.height) // 2, text_w, paints)
    qr_panel(plan, spec.url_for_qr, qr_x, qr_y, side)
    cap_top = qr_y + side + lay.tight_gap
    plan.add_text(
        "qr_caption",
        "caption",
        caption,
        (qr_x, cap_top),
        (qr_x, cap_top, x1, cap_top + caption.height),
        colours.text,
        colours.background,
    )


def _stacked(plan: Plan, spec: EventCard, area: Area, details: Column, colours: Colours) -> None:
    """The details on top, then a panel with the QR code and its caption; centred as a group."""
    lay = plan.layout
    x0, top, x1, y1 = area.box
    width = area.width
    blocks, paints = details
    pad = lay.panel_pad
    side = lay.qr_max
    row_h = side + 2 * pad
    fit = plan.column(blocks, width, y1 - top - row_h - lay.gap)
    cap_x = x0 + pad + side + lay.gap
    cap_w = x1 - pad - cap_x
    cap_style = plan.style("body", SEMIBOLD, max_lines=2, balance=True)
    cap_blocks = [Block("qr_caption", spec.label("scan"), cap_style)]
    address = address_block(plan, "label", space_before=lay.tight_gap)
    if address is not None:
        cap_blocks.append(address)
    caption = plan.column(cap_blocks, cap_w, side)
    spare = y1 - top - fit.height - lay.gap - row_h
    y = top + spare // 2
    plan.place(fit, x0, y, width, paints)
    row_top = y + fit.height + lay.gap + spare // 4
    row_top = min(row_top, y1 - row_h)
    plan.shapes.append(
        ShapeOp("round", (x0, row_top, x1, row_top + row_h), colours.primary, radius=lay.radius)
    )
    qr_panel(plan, spec.url_for_qr, x0 + pad, row_top + pad, side)
    cap_top = row_top + (row_h - caption.height) // 2
    plan.place(
        caption,
        cap_x,
        cap_top,
        cap_w,
        {
            "qr_caption": Paint("body", colours.on_primary, colours.primary),
            "address": Paint("label", colours.on_primary, colours.primary),
        },
    )


def _address_panel(plan: Plan, area: Area, details: Column, colours: Colours) -> None:
    """The details on top, then a panel with "Details at" and the address, large."""
    lay = plan.layout
    x0, top, x1, y1 = area.box
    width, pad = area.width, lay.panel_pad
    blocks, paints = details
    spec = plan.spec
    lead = Block(
        "details_at",
        spec.label("details_at"),
        plan.style("body", SEMIBOLD, max_lines=1),
        space_before=lay.gap + pad,
    )
    address = address_block(plan, "body", space_before=lay.tight_gap)
    panel = [lead] + ([address] if address is not None else [])
    head, foot = plan.two_widths(blocks, width, panel, width - 2 * pad, y1 - top - pad)
    used = head.height + foot.height + pad
    y = top + (y1 - top - used) // 2
    plan.place(head, x0, y, width, paints)
    dy = y + head.height
    plan.shapes.append(
        ShapeOp(
            "round",
            (x0, dy + lay.gap, x1, dy + foot.height + pad),
            colours.primary,
            radius=lay.radius,
        )
    )
    plan.place(
        foot,
        x0 + pad,
        dy,
        width - 2 * pad,
        {
            "details_at": Paint("body", colours.on_primary, colours.primary),
            "address": Paint("body", colours.on_primary, colours.primary),
        },
    )
