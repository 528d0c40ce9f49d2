"""The attending card: "I’m attending" or "<first name> is attending", then the event.

A clear hierarchy: the person's line is the largest text, the event's title comes next on
a panel, then the date (kept on one line) and the place. A name is shown whole whenever it
fits at any size the heading may take; it is cut with "…" only as a last resort.
"""

from __future__ import annotations

import dataclasses

from ..pieces import Area, address_block, open_card
from ..plan import Colours, Column, Paint, Plan, ShapeOp
from ..specs import AttendingCard
from ..text.columns import Block
from ..text.fitting import SizeRange
from ..text.fontfiles import BOLD, SEMIBOLD
from ..text.fonts import missing_characters, normalize_text
from ..typescale import Role
from .event import event_details

Heads = list[tuple[str, str]]  # [(field, text)] of the heading lines

# How far the person's line may grow past the heading's top size, per preset: the tall
# presets give it the room the event does not need.
HEAD_BOOST = {"og": 1.0, "square": 1.15, "portrait": 1.3, "story": 1.45}


def attending_heads(spec: AttendingCard) -> tuple[Heads, bool]:
    """The heading lines from the labels, and whether the name had to be left off.

    "{name} is attending" gives [("first_name", "Zoë"), ("attending", "is attending")];
    words before the name stay on its line.
    """
    name = " ".join(normalize_text(spec.first_name or "").split())
    omitted = bool(name and missing_characters(name))
    if omitted or not name:
        return [("attending", spec.label("attending_self"))], omitted
    before, _, after = spec.label("attending_other").partition("{name}")
    heads = [("first_name", f"{before}{name}".strip())]
    if after.strip():
        heads.append(("attending", after.strip()))
    return heads, False


def plan_attending(plan: Plan, spec: AttendingCard, colours: Colours) -> None:
    """Lay the card out: the person's line, then the event on a panel, centred as a group."""
    area = open_card(plan, colours)
    heads, omitted = attending_heads(spec)
    plan.name_omitted = omitted
    lay = plan.layout
    role: Role = "body" if plan.landscape else "heading"  # the event: second in the hierarchy
    title = Paint(role, colours.on_primary, colours.primary)
    lines = 2 if plan.landscape else 3
    details = event_details(plan, spec, title, lines, 1.1, lay.gap - lay.tight_gap, colours)
    _stacked(plan, heads, area, details, colours)


def _head_column(plan: Plan, heads: Heads, colours: Colours) -> Column:
    """The person's line: the name in the accent colour, the rest in the text colour."""
    lay = plan.layout
    base = plan.layout.type.heading
    top = round(base.max * HEAD_BOOST[plan.preset.name])
    one_line = plan.landscape
    blocks: list[Block] = []
    if one_line and len(heads) == 2:
        heads = [("first_name", heads[0][1]), ("attending", heads[1][1])]
    for k, (field_name, text) in enumerate(heads):
        weight = BOLD if field_name == "first_name" or len(heads) == 1 else SEMIBOLD
        style = plan.style(
            "heading", weight, max_lines=1 if one_line else 2, line_height=1.05, balance=True
        )
        style = dataclasses.replace(style, sizes=SizeRange(base.min, top))
        blocks.append(
            Block(
                field_name,
                text,
                style,
                truncate=field_name == "first_name",
                space_before=0 if k == 0 else lay.tight_gap // 2,
            )
        )
    single = len(heads) == 1
    paints = {
        "first_name": Paint("heading", colours.accent, colours.background),
        "attending": Paint(
            "heading", colours.accent if single else colours.text, colours.background
        ),
    }
    return blocks, paints


def _stacked(plan: Plan, heads: Heads, area: Area, details: Column, colours: Colours) -> None:
    """The person's line above the event's panel, the address below it; centred."""
    lay = plan.layout
    head_blocks, head_paints = _head_column(plan, heads, colours)
    detail_blocks, detail_paints = details
    x0, top, x1, y1 = area.box
    width, pad = area.width, lay.panel_pad
    address = address_block(plan, "label")
    room = y1 - top - pad
    if address is not None:
        foot = plan.column([address], width, room)
        room -= foot.height + lay.gap
        plan.place(foot, x0, y1 - foot.height, width, {"address": _address_paint(colours)})
    second = [dataclasses.replace(detail_blocks[0], space_before=lay.gap + pad), *detail_blocks[1:]]
    head_fit, detail_fit = plan.two_widths(head_blocks, width, second, width - 2 * pad, room)
    used = head_fit.height + detail_fit.height + pad
    y = top + (room + pad - used) // 2
    plan.place(head_fit, x0, y, width, head_paints)
    dy = y + head_fit.height
    plan.shapes.append(
        ShapeOp(
            "round",
            (x0, dy + lay.gap, x1, dy + detail_fit.height + pad),
            colours.primary,
            radius=lay.radius,
        )
    )
    plan.place(detail_fit, x0 + pad, dy, width - 2 * pad, detail_paints)


def _address_paint(colours: Colours) -> Paint:
    return Paint("label", colours.accent, colours.background)
