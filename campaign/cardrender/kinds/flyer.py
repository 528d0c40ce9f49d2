"""The printable flyer: an event on Letter or A4 paper at 300 dpi.

From the top: the brand row, the title, the summary, the date and the place (each after
its icon), then a panel with a large QR code, "Scan for details" and the short address,
and the campaign's disclaimer at the foot. The disclaimer is never cut (every printed page
carries it, whole); the other texts shrink to their floors and are cut with "…" only as a
last resort, so a flyer never refuses to render for an event's wording.
"""

from __future__ import annotations

from ..pieces import address_block, mirror, open_card
from ..plan import Colours, Paint, Plan, ShapeOp, theme_colours
from ..qr import qr_panel
from ..specs import PAPERS, FlyerCard
from ..text.bidi import paragraph_direction
from ..text.columns import Block
from ..text.fontfiles import BOLD, REGULAR, SEMIBOLD
from ..typescale import FLYER_LAYOUT

DISCLAIMER_MAX_LINES = 10  # the settings' longest disclaimer in the widest letters fits


def plan_flyer(spec: FlyerCard, paper: str) -> Plan:
    """Lay a flyer out on `paper` ("letter" or "a4") without drawing it."""
    try:
        preset = PAPERS[paper]
    except KeyError:
        raise ValueError(f"unknown paper {paper!r}; use one of {sorted(PAPERS)}") from None
    plan = Plan(preset, FLYER_LAYOUT, spec)
    colours = theme_colours(spec)
    _lay_out(plan, spec, colours)
    direction = spec.direction if spec.direction != "auto" else paragraph_direction(spec.title)
    if direction == "rtl":
        mirror(plan)
    return plan


def _lay_out(plan: Plan, spec: FlyerCard, colours: Colours) -> None:
    lay = plan.layout
    area = open_card(plan, colours)
    x0, top, x1, y1 = area.box
    width = area.width

    # The foot: the disclaimer, whole, in small print.
    foot_style = plan.style("caption", REGULAR, max_lines=DISCLAIMER_MAX_LINES)
    line_px = round(foot_style.sizes.max * foot_style.line_height) + 1
    disclaimer = plan.fit(
        "disclaimer",
        plan.clean(spec.disclaimer),
        foot_style,
        width,
        line_px * DISCLAIMER_MAX_LINES,
    )
    foot_top = y1 - disclaimer.height
    plan.add_text(
        "disclaimer",
        "caption",
        disclaimer,
        (x0, foot_top),
        (x0, foot_top, x1, y1),
        colours.quiet,
        colours.background,
    )

    # Above it, the panel: the QR code, "Scan for details" and the short address.
    pad, side = lay.panel_pad, lay.qr_max
    row_bottom = foot_top - lay.gap
    row_top = row_bottom - side - 2 * pad
    plan.shapes.append(
        ShapeOp("round", (x0, row_top, x1, row_bottom), colours.primary, radius=lay.radius)
    )
    qr_panel(plan, spec.url_for_qr, x0 + pad, row_top + pad, side)
    cap_x = x0 + pad + side + lay.gap
    cap_w = x1 - pad - cap_x
    cap_blocks = [
        Block(
            "qr_caption",
            plan.clean(spec.label("scan")),
            plan.style("body", SEMIBOLD, max_lines=3, balance=True),
            truncate=True,
        )
    ]
    address = address_block(plan, "label", space_before=lay.tight_gap)
    if address is not None:
        cap_blocks.append(address)
    caption = plan.column(cap_blocks, cap_w, side)
    plan.place(
        caption,
        cap_x,
        row_top + pad + (side - caption.height) // 2,
        cap_w,
        {
            "qr_caption": Paint("body", colours.on_primary, colours.primary),
            "address": Paint("label", colours.on_primary, colours.primary),
        },
    )

    # The details fill the room between the brand row and the panel.
    room = row_top - lay.gap - top
    fit = plan.column(_details(plan, spec), width, room)
    y = top + (room - fit.height) // 3  # a little above the middle: the eye starts high
    fill, background = colours.text, colours.background
    plan.place(
        fit,
        x0,
        y,
        width,
        {
            "title": Paint("heading", fill, background),
            "summary": Paint("body", fill, background),
            "when_text": Paint(
                "body", fill, background, icon="calendar", icon_colour=colours.accent
            ),
            "place_text": Paint("body", fill, background, icon="pin", icon_colour=colours.accent),
            "place_detail": Paint("body", colours.quiet, background),
        },
    )


def _details(plan: Plan, spec: FlyerCard) -> list[Block]:
    """Title, summary, date and place as one column (every block cut only as a last resort)."""
    lay = plan.layout
    inset = lay.icon_size + lay.icon_gap
    body = plan.style("body", REGULAR, max_lines=4, balance=True)
    blocks = [
        Block(
            "title",
            plan.clean(spec.title),
            plan.style("heading", BOLD, max_lines=4, line_height=1.1, balance=True),
            truncate=True,
        ),
        Block("summary", plan.clean(spec.summary), body, truncate=True, space_before=lay.gap),
        Block(
            "when_text",
            plan.clean(spec.when_text),
            plan.style("body", SEMIBOLD, max_lines=2),
            truncate=True,
            space_before=lay.gap,
            inset=inset,
        ),
        Block(
            "place_text",
            plan.clean(spec.place_text),
            plan.style("body", SEMIBOLD, max_lines=2, balance=True),
            truncate=True,
            space_before=lay.tight_gap,
            inset=inset,
        ),
        Block(
            "place_detail",
            plan.clean(spec.place_detail),
            plan.style("body", REGULAR, max_lines=3),
            truncate=True,
            space_before=lay.tight_gap // 2,
            inset=inset,
        ),
    ]
    return [block for block in blocks if block.text.strip()]
