"""The myth/fact card: the myth struck through, the fact on a panel, the source below."""

from __future__ import annotations

import dataclasses

from .columns import Block, ColumnFit
from .fonts import REGULAR, SEMIBOLD
from .pieces import brand_row, pill_block, pill_shapes, stripe
from .plan import (
    FACT_LABEL,
    MYTH_LABEL,
    SOURCE_PREFIX,
    Colours,
    Paint,
    Plan,
    ShapeOp,
    clean,
    column_or_raise,
    fit_two_widths,
    frame,
    place_column,
    role_style,
)
from .specs import MythFactCard
from .typescale import SizeRange


def _myth_fact_texts(plan: Plan, spec: MythFactCard) -> tuple[str, str, str, str]:
    return (
        clean(plan, spec.myth),
        clean(plan, spec.fact),
        f"{SOURCE_PREFIX} {clean(plan, spec.source_title)}",
        clean(plan, spec.disclaimer),
    )


def _footer_fit(plan: Plan, source: str, disclaimer: str, width: int, height: int) -> ColumnFit:
    lay = plan.layout
    blocks = [
        Block("source_title", source, role_style(plan, "caption", REGULAR, max_lines=2)),
        Block(
            "disclaimer",
            disclaimer,
            role_style(plan, "caption", REGULAR, max_lines=2),
            space_before=lay.tight_gap // 2,
        ),
    ]
    return column_or_raise(plan, blocks, width, height)


def plan_myth_fact(plan: Plan, spec: MythFactCard, colours: Colours) -> None:
    lay = plan.layout
    myth, fact, source, disclaimer = _myth_fact_texts(plan, spec)
    x0, y0, x1, y1 = frame(plan)
    width = x1 - x0
    stripe(plan, colours)
    brand_row(plan, colours, (x0, y0, x1, y0 + lay.brand_height))
    footer = _footer_fit(plan, source, disclaimer, width, (y1 - y0) // 3)
    footer_top = y1 - footer.height
    quiet = Paint("caption", colours.quiet, colours.background)
    place_column(plan, footer, x0, footer_top, width, {"source_title": quiet, "disclaimer": quiet})
    rule_y = footer_top - lay.gap // 2
    plan.shapes.append(ShapeOp("rect", (x0, rule_y - 1, x1, rule_y + 1), colours.rule))
    top = y0 + lay.brand_height + lay.gap
    bottom = rule_y - lay.gap // 2
    myth_paint = Paint("body", colours.muted, colours.background, strike=True)
    fact_paint = Paint("body", colours.on_primary, colours.primary)
    label_myth = Paint("label", colours.muted, colours.background)
    label_fact = Paint("label", colours.background, colours.accent)
    body = role_style(plan, "body", REGULAR, line_height=lay.body_leading)
    if plan.preset.name == "og":
        # Two columns: the myth on the left, the fact on a panel on the right.
        col_gap = lay.gap
        myth_w = round((width - col_gap) * lay.split)
        panel_x = x0 + myth_w + col_gap
        pad = lay.panel_pad
        fact_fit = column_or_raise(
            plan,
            [
                pill_block(plan, "fact_label", FACT_LABEL),
                Block(
                    "fact",
                    fact,
                    role_style(plan, "body", SEMIBOLD, line_height=lay.body_leading),
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
        myth_fit = column_or_raise(
            plan,
            [
                pill_block(plan, "myth_label", MYTH_LABEL),
                Block("myth", myth, myth_style, space_before=lay.tight_gap),
            ],
            myth_w,
            bottom - top - 2 * pad,
        )
        plan.shapes.append(
            ShapeOp("round", (panel_x, top, x1, bottom), colours.primary, radius=lay.radius)
        )
        pill_shapes(
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
        place_column(
            plan, myth_fit, x0, top + pad, myth_w, {"myth_label": label_myth, "myth": myth_paint}
        )
        pill_shapes(
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
        place_column(
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
        pill_block(plan, "myth_label", MYTH_LABEL),
        Block(
            "myth",
            myth,
            dataclasses.replace(body, max_lines=caps[plan.preset.name]),
            space_before=lay.tight_gap,
        ),
    ]
    fact_blocks = [
        pill_block(plan, "fact_label", FACT_LABEL, space_before=lay.gap + pad),
        Block(
            "fact",
            fact,
            role_style(plan, "body", SEMIBOLD, line_height=lay.body_leading),
            space_before=lay.tight_gap,
        ),
    ]
    inner = width - 2 * pad
    # Fit the myth in the full width and the fact in the panel's inner width, together.
    fit = fit_two_widths(plan, myth_blocks, width, fact_blocks, inner, bottom - top - pad)
    myth_fit, fact_fit = fit
    used = myth_fit.height + fact_fit.height + pad
    y = top + (bottom - top - used) // 2
    pill_shapes(
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
    place_column(plan, myth_fit, x0, y, width, {"myth_label": label_myth, "myth": myth_paint})
    fy = y + myth_fit.height
    panel_top = fy + lay.gap
    plan.shapes.append(
        ShapeOp(
            "round",
            (x0, panel_top, x1, fy + fact_fit.height + pad),
            colours.primary,
            radius=lay.radius,
        )
    )
    pill_shapes(
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
    place_column(
        plan, fact_fit, x0 + pad, fy, inner, {"fact_label": label_fact, "fact": fact_paint}
    )
