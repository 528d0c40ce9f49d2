"""The countdown card: "N days to <campaign>" ("1 day to", and "Today is" on the day)."""

from __future__ import annotations

import dataclasses
from typing import Literal

from ..pieces import Area, address_block, open_card
from ..plan import Colours, Column, Paint, Plan, ShapeOp, TextDoesNotFit
from ..specs import CountdownCard
from ..text.columns import Block
from ..text.fontfiles import BOLD, REGULAR, SEMIBOLD


def countdown_words(spec: CountdownCard) -> tuple[str, str]:
    """(big display text, the words between it and the campaign name), from the labels."""
    if spec.days == 0:
        return spec.label("today"), spec.label("today_is")
    return str(spec.days), spec.label("day_to" if spec.days == 1 else "days_to")


def plan_countdown(plan: Plan, spec: CountdownCard, colours: Colours) -> None:
    """Lay the countdown card out: the number on a panel beside the words on og, else on top."""
    area = open_card(plan, colours)
    lay = plan.layout
    big, joiner = countdown_words(spec)
    align: Literal["start", "center"] = "start" if plan.landscape else "center"
    display = plan.style("display", BOLD, max_lines=1, align="center", tight=True)
    text_blocks = [
        Block(
            "countdown_joiner",
            joiner,
            plan.style("heading", SEMIBOLD, max_lines=1, align=align),
        ),
        Block(
            "countdown_name",
            plan.clean(spec.campaign_name),
            plan.style("heading", BOLD, max_lines=3, align=align, line_height=1.08, balance=True),
            truncate=True,
            space_before=lay.tight_gap // 2,
        ),
        Block(
            "day_text",
            plan.clean(spec.day_text),
            plan.style("body", SEMIBOLD, max_lines=2, align=align, balance=True),
            space_before=lay.gap,
        ),
        Block(
            "tagline",
            plan.clean(spec.tagline),
            plan.style("body", REGULAR, max_lines=3, align=align, line_height=1.22, balance=True),
            truncate=True,
            space_before=lay.tight_gap,
        ),
    ]
    address = address_block(plan, "label", space_before=lay.gap, align=align)
    if address is not None:
        text_blocks.append(address)
    paints = {
        "countdown_number": Paint("display", colours.accent, colours.background),
        "countdown_joiner": Paint("heading", colours.text, colours.background),
        "countdown_name": Paint("heading", colours.text, colours.background),
        "day_text": Paint("body", colours.accent, colours.background),
        "tagline": Paint("body", colours.quiet, colours.background),
        "address": Paint("label", colours.accent, colours.background),
    }
    number = Block("countdown_number", big, display)
    layout = _side_by_side if plan.landscape else _stacked
    layout(plan, area, number, (text_blocks, paints), colours)


def _side_by_side(plan: Plan, area: Area, number: Block, words: Column, colours: Colours) -> None:
    """The number on a panel on the left, the words beside it."""
    lay = plan.layout
    x0, top, x1, y1 = area.box
    num_w = round((area.width - lay.gap) * 0.38)
    pad = lay.panel_pad
    box_w, box_h = num_w - 2 * pad, y1 - top - 2 * pad
    try:
        num = plan.fit(number.field, number.text, number.style, box_w, box_h)
    except TextDoesNotFit:
        # A long word for "Today" in some language: heading size, on up to two lines.
        smaller = plan.style("heading", BOLD, max_lines=2, align="center", tight=True)
        num = plan.fit(number.field, number.text, smaller, box_w, box_h)
    panel = (x0, top, x0 + num_w, y1)
    plan.shapes.append(ShapeOp("round", panel, colours.primary, radius=lay.radius))
    ny = top + (y1 - top - num.height) // 2
    plan.add_text(
        "countdown_number",
        "display",
        num,
        (x0 + pad, ny),
        (x0 + pad, top + pad, x0 + num_w - pad, y1 - pad),
        colours.on_primary,
        colours.primary,
    )
    tx = x0 + num_w + lay.gap * 2
    fit = plan.column(words[0], x1 - tx, y1 - top)
    plan.place(fit, tx, top + (y1 - top - fit.height) // 2, x1 - tx, words[1])


def _stacked(plan: Plan, area: Area, number: Block, words: Column, colours: Colours) -> None:
    """The number on top of the words, all centred."""
    text_blocks, paints = words
    first = dataclasses.replace(text_blocks[0], space_before=plan.layout.gap)
    x0, top, _, y1 = area.box
    try:
        fit = plan.column([number, first, *text_blocks[1:]], area.width, y1 - top)
    except TextDoesNotFit:
        # A long word for "Today" in some language: heading size, on up to two lines.
        smaller = plan.style("heading", BOLD, max_lines=2, align="center", tight=True)
        number = dataclasses.replace(number, style=smaller)
        fit = plan.column([number, first, *text_blocks[1:]], area.width, y1 - top)
    plan.place(fit, x0, top + (y1 - top - fit.height) // 2, area.width, paints)
