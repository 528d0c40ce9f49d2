"""The myth/fact card, in the order debunking research advises (Debunking Handbook 2020).

The fact leads, largest, on a panel under its label; the myth follows under a warning label
with a cross, in a muted colour but legible (never struck through); then the article's
reason where the pair has one and there is room; then the source, the call to action, the
disclaimer and the card's address. Every fixed word comes from the spec's labels.
"""

from __future__ import annotations

import dataclasses

from ..contrast import RGB
from ..pieces import Area, Pill, address_block, open_card, pill_block, pill_shapes
from ..plan import Colours, Paint, Plan, ShapeOp, TextDoesNotFit
from ..specs import MythFactCard
from ..text.columns import Block, ColumnFit, PlacedBlock
from ..text.fitting import FittedText, SizeRange, TextStyle
from ..text.fontfiles import BOLD, REGULAR, SEMIBOLD

# How many lines each text may take, per preset.
FACT_LINES = {"og": 4, "square": 6, "portrait": 7, "story": 8}
MYTH_LINES = {"og": 2, "square": 3, "portrait": 4, "story": 5}
REASON_LINES = {"og": 2, "square": 3, "portrait": 4, "story": 5}
# The fact's largest size per preset (its floor is the body floor); the myth's top is a
# share of it, so the fact always leads.
FACT_MAX = {"og": 60, "square": 80, "portrait": 88, "story": 96}
MYTH_SHARE = 0.72


def footer_text(spec: MythFactCard, plan: Plan) -> tuple[str, str, str, str]:
    """(source line, call to action, disclaimer, address) as drawn, labels included."""
    source = plan.clean(spec.source_title)
    where = plan.clean(spec.source_address)
    line = f"{spec.label('source')} {source}" + (f" ({where})" if where else "")
    return (
        line,
        plan.clean(spec.call_to_action),
        plan.clean(spec.disclaimer),
        plan.clean(spec.address_text),
    )


def plan_myth_fact(plan: Plan, spec: MythFactCard, colours: Colours) -> None:
    """Lay the card out: full-width rows on every preset, in the debunking order."""
    fact, myth, reason = plan.clean(spec.fact), plan.clean(spec.myth), plan.clean(spec.reason)
    if reason and not _words_allow(spec, reason=True):
        plan.omitted.add("reason")
        reason = ""
    if plan.landscape:
        area = open_card(plan, colours, address_in_brand=True)
        bottom = _og_footer(plan, spec, area, colours)
    else:
        area = open_card(plan, colours)
        bottom = _footer(plan, spec, area, colours)
    room = dataclasses.replace(area, y1=bottom)
    pinned = dict((p, (f, m)) for p, f, m in spec.type_sizes).get(plan.preset.name)
    attempts: list[tuple[tuple[int, int] | None, bool]] = []
    for sizes in [pinned, None] if pinned else [None]:
        attempts += [(sizes, True), (sizes, False)] if reason else [(sizes, False)]
    error: TextDoesNotFit | None = None
    for sizes, with_reason in attempts:
        try:
            fit = _fit(plan, room, fact, myth, reason if with_reason else "", sizes)
        except TextDoesNotFit as exc:
            error = error or exc if sizes is None else error
            continue
        if reason and not with_reason:
            plan.omitted.add("reason")
        _place(plan, room, fit, colours)
        return
    assert error is not None
    raise error


def _words_allow(spec: MythFactCard, *, reason: bool = False, cta: bool = False) -> bool:
    """Whether the card's alt text stays within its limit with these optional parts."""
    from ..alt import ALT_TEXT_LIMIT, myth_fact_words  # alt.py plans cards itself

    return myth_fact_words(spec, reason=reason, call_to_action=cta) <= ALT_TEXT_LIMIT


# --- Fitting -------------------------------------------------------------------------------------


def fact_style(plan: Plan) -> TextStyle:
    """The fact's style: semibold, from the body floor up to FACT_MAX."""
    body = plan.layout.type.body
    return TextStyle(
        SEMIBOLD,
        SizeRange(body.min, FACT_MAX[plan.preset.name]),
        line_height=plan.layout.body_leading,
        max_lines=FACT_LINES[plan.preset.name],
        align="left",
    )


def myth_style(plan: Plan) -> TextStyle:
    """The myth's style: regular, never above MYTH_SHARE of the fact's top size."""
    body = plan.layout.type.body
    top = max(body.min, round(FACT_MAX[plan.preset.name] * MYTH_SHARE))
    return TextStyle(
        REGULAR,
        SizeRange(body.min, top),
        line_height=plan.layout.body_leading,
        max_lines=MYTH_LINES[plan.preset.name],
        align="left",
    )


def _pinned(style: TextStyle, size: int | None) -> TextStyle:
    return style if size is None else style.at_size(size)


def _label_width(plan: Plan, text: str) -> int:
    """The width a pill label takes beside text (pill padding, icon and words)."""
    from ..text.measure import text_width

    lay = plan.layout
    size = lay.type.label.max
    return lay.pill_pad_x * 2 + lay.icon_size + lay.icon_gap // 2 + text_width(text, BOLD, size)


def _fit(
    plan: Plan,
    room: Area,
    fact: str,
    myth: str,
    reason: str,
    sizes: tuple[int, int] | None,
) -> ColumnFit:
    """Every block of the body as one column (panel blocks inset by the panel padding)."""
    lay = plan.layout
    spec = plan.spec
    assert isinstance(spec, MythFactCard)
    pad = lay.panel_pad
    fact_st = _pinned(fact_style(plan), sizes[0] if sizes else None)
    myth_st = _pinned(myth_style(plan), sizes[1] if sizes else None)
    reason_st = dataclasses.replace(
        myth_st,
        sizes=SizeRange(myth_st.sizes.min, myth_st.sizes.max),
        max_lines=REASON_LINES[plan.preset.name],
    )
    blocks: list[Block] = []
    if plan.landscape:
        # The fact's label sits on the panel's top edge as a tab; the myth's label beside it.
        tab = lay.type.label.max + 2 * lay.pill_pad_y
        blocks.append(
            Block("fact", fact, fact_st, space_before=tab + lay.tight_gap, inset=2 * pad),
        )
        beside = _label_width(plan, spec.label("myth")) + lay.gap
        blocks.append(Block("myth", myth, myth_st, space_before=pad + lay.gap, inset=beside))
        if reason:
            blocks.append(Block("reason", reason, reason_st, space_before=lay.tight_gap))
    else:
        fact_label = pill_block(plan, "fact_label", spec.label("fact"), space_before=pad)
        blocks.append(dataclasses.replace(fact_label, inset=fact_label.inset + 2 * pad))
        blocks.append(Block("fact", fact, fact_st, space_before=lay.tight_gap, inset=2 * pad))
        blocks.append(
            pill_block(plan, "myth_label", spec.label("myth"), space_before=pad + lay.gap)
        )
        blocks.append(Block("myth", myth, myth_st, space_before=lay.tight_gap))
        if reason:
            blocks.append(Block("reason", reason, reason_st, space_before=lay.tight_gap))
    fit = plan.column(blocks, room.width, room.y1 - room.top)
    _check_order(plan, fit)
    return fit


def _check_order(plan: Plan, fit: ColumnFit) -> None:
    """The fact is never set smaller than the myth (both at the floor at worst)."""
    fact, myth = fit.get("fact"), fit.get("myth")
    if fact and myth and myth.fitted.size > fact.fitted.size:
        raise TextDoesNotFit("myth", 1, plan.preset.name)


# --- Placing -------------------------------------------------------------------------------------


def _panel_blocks(fit: ColumnFit) -> int:
    """How many of the column's blocks sit on the fact's panel."""
    return sum(1 for b in fit.blocks if b.block.field in ("fact_label", "fact"))


def _place(plan: Plan, room: Area, fit: ColumnFit, colours: Colours) -> None:
    """The fitted column on the card: the panel round the fact, labels, the rest below."""
    lay = plan.layout
    pad = lay.panel_pad
    x0, top, x1, bottom = room.box
    y = top + (bottom - top - fit.height) // 2  # centred
    n = _panel_blocks(fit)
    panel_part, rest = fit.blocks[:n], fit.blocks[n:]
    last = panel_part[-1]
    panel_top = y + (lay.type.label.max + 2 * lay.pill_pad_y) // 2 if plan.landscape else y
    panel_bottom = y + last.y + last.height + pad
    plan.shapes.append(
        ShapeOp("round", (x0, panel_top, x1, panel_bottom), colours.primary, radius=lay.radius)
    )
    unpad = [dataclasses.replace(p, block=_less_inset(p.block, 2 * pad)) for p in panel_part]
    paints = _paints(colours)
    inner = ColumnFit(tuple(unpad), fit.height)
    plan.place(inner, x0 + pad, y, room.width - 2 * pad, paints)
    pills = _pills(colours)
    pill_shapes(plan, inner, "fact_label", x0 + pad, y, pills["fact_label"])
    if plan.landscape:
        _tab(plan, plan.spec.label("fact"), x0 + pad, panel_top, pills["fact_label"], colours)
    column = ColumnFit(tuple(rest), fit.height)
    plan.place(column, x0, y, room.width, paints)
    if plan.landscape:
        myth = column.get("myth")
        if myth is not None:
            _beside(plan, myth, x0, y, pills["myth_label"], colours)
    else:
        pill_shapes(plan, column, "myth_label", x0, y, pills["myth_label"])


def _less_inset(block: Block, by: int) -> Block:
    return dataclasses.replace(block, inset=block.inset - by)


def _paints(colours: Colours) -> dict[str, Paint]:
    return {
        "fact_label": Paint("label", colours.background, colours.accent),
        "fact": Paint("body", colours.on_primary, colours.primary),
        "myth_label": Paint("label", colours.muted, colours.background),
        "myth": Paint("body", colours.muted, colours.background),
        "reason": Paint("body", colours.quiet, colours.background),
    }


def _pills(colours: Colours) -> dict[str, Pill]:
    return {
        "fact_label": Pill(
            colours.accent, outline=False, icon="check", icon_colour=colours.background
        ),
        "myth_label": Pill(colours.muted, outline=True, icon="cross", icon_colour=colours.muted),
    }


def _label_fit(plan: Plan, field_name: str, text: str) -> FittedText:
    style = plan.style("label", BOLD, max_lines=1)
    return plan.fit(field_name, text, style.at_size(style.sizes.max), 10_000, 10_000)


def _pill_at(
    plan: Plan,
    field_name: str,
    text: str,
    x: int,
    top: int,
    pill: Pill,
    text_colour: RGB,
    ground: RGB,
) -> None:
    """A label pill with its top-left corner at (x, top)."""
    lay = plan.layout
    fitted = _tight(_label_fit(plan, field_name, text))
    line = fitted.lines[0]
    inset = lay.pill_pad_x + lay.icon_size + lay.icon_gap // 2
    height = fitted.height + 2 * lay.pill_pad_y
    right = x + inset + line.box[2] + lay.pill_pad_x
    box = (x, top, right, top + height)
    if pill.outline:
        width = max(2, lay.stripe // 4)
        plan.shapes.append(ShapeOp("outline", box, pill.fill, radius=height // 2, width=width))
    else:
        plan.shapes.append(ShapeOp("round", box, pill.fill, radius=height // 2))
    size = min(lay.icon_size, height - 2 * lay.pill_pad_y)
    icon_box = (x + lay.pill_pad_x, top + (height - size) // 2)
    plan.shapes.append(
        ShapeOp(
            "icon",
            (*icon_box, icon_box[0] + size, icon_box[1] + size),
            pill.icon_colour,
            icon=pill.icon,
        )
    )
    origin = (x + inset, top + lay.pill_pad_y)
    slot = (origin[0], top, origin[0] + fitted.width, top + height)
    plan.add_text(field_name, "label", fitted, origin, slot, text_colour, ground)


def _tight(fitted: FittedText) -> FittedText:
    """A one-line label fitted in an unbounded box, narrowed to its line."""
    line = fitted.lines[0]
    return dataclasses.replace(fitted, width=line.box[2])


def _tab(plan: Plan, text: str, x: int, panel_top: int, pill: Pill, colours: Colours) -> None:
    """The fact's label straddling the panel's top edge."""
    lay = plan.layout
    fitted = _label_fit(plan, "fact_label", text)
    height = fitted.height + 2 * lay.pill_pad_y
    _pill_at(
        plan, "fact_label", text, x, panel_top - height // 2, pill, colours.background, pill.fill
    )


def _beside(plan: Plan, myth: PlacedBlock, x0: int, y: int, pill: Pill, colours: Colours) -> None:
    """The myth's label at the start of the myth's first line."""
    lay = plan.layout
    fitted = _label_fit(plan, "myth_label", plan.spec.label("myth"))
    height = fitted.height + 2 * lay.pill_pad_y
    first = myth.fitted.lines[0]
    mid = y + myth.y + myth.block.pad + first.baseline - round(myth.fitted.size * 0.36)
    _pill_at(
        plan,
        "myth_label",
        plan.spec.label("myth"),
        x0,
        mid - height // 2,
        pill,
        colours.muted,
        colours.background,
    )


# --- The foot ------------------------------------------------------------------------------------


def _footer(plan: Plan, spec: MythFactCard, area: Area, colours: Colours) -> int:
    """Source, call to action, disclaimer and address under a rule; returns the room's bottom.

    The call to action is left off a preset without room for it (the disclaimer, which
    also sends people to a healthcare provider, never is).
    """
    lay = plan.layout
    source, cta, disclaimer, _ = footer_text(spec, plan)
    if cta and not _words_allow(spec, cta=True):
        plan.omitted.add("call_to_action")
        cta = ""
    small = plan.style("caption", REGULAR, max_lines=3)
    story = plan.preset.name == "story"
    address = address_block(plan, "body" if story else "label", space_before=lay.tight_gap)
    blocks = [Block("source_title", source, small)]
    if cta:
        blocks.append(Block("call_to_action", cta, small, space_before=lay.tight_gap // 2))
    blocks.append(Block("disclaimer", disclaimer, small, space_before=lay.tight_gap // 2))
    if address is not None:
        blocks.append(address)
    x0, _, x1, y1 = area.box
    limit = (y1 - area.frame_top) * 2 // 5
    try:
        footer = plan.column(blocks, area.width, limit)
    except TextDoesNotFit:
        if not cta:
            raise
        plan.omitted.add("call_to_action")
        footer = plan.column([b for b in blocks if b.field != "call_to_action"], area.width, limit)
    top = y1 - footer.height
    quiet = Paint("caption", colours.quiet, colours.background)
    paints = {
        "source_title": quiet,
        "call_to_action": Paint("caption", colours.text, colours.background),
        "disclaimer": quiet,
        "address": Paint("body" if story else "label", colours.accent, colours.background),
    }
    plan.place(footer, x0, top, area.width, paints)
    rule_y = top - lay.gap // 2
    plan.shapes.append(ShapeOp("rect", (x0, rule_y - 1, x1, rule_y + 1), colours.rule))
    return rule_y - lay.gap // 2


def _og_footer(plan: Plan, spec: MythFactCard, area: Area, colours: Colours) -> int:
    """The link-preview card's foot: source and disclaimer as one paragraph of small print
    (the address is in the brand row); the call to action only where it fits."""
    lay = plan.layout
    source, cta, disclaimer, _ = footer_text(spec, plan)
    if cta and not _words_allow(spec, cta=True):
        plan.omitted.add("call_to_action")
        cta = ""
    small = plan.style("caption", REGULAR, max_lines=3, line_height=1.15)
    x0, _, x1, y1 = area.box
    limit = (y1 - area.frame_top) // 3
    texts = [f"{source}.", cta, disclaimer] if cta else [f"{source}.", disclaimer]
    try:
        footer = plan.column([Block("footer", " ".join(texts), small)], area.width, limit)
    except TextDoesNotFit:
        if not cta:
            raise
        plan.omitted.add("call_to_action")
        text = f"{source}. {disclaimer}"
        footer = plan.column([Block("footer", text, small)], area.width, limit)
    top = y1 - footer.height
    quiet = Paint("caption", colours.quiet, colours.background)
    plan.place(footer, x0, top, area.width, {"footer": quiet})
    rule_y = top - lay.gap // 2
    plan.shapes.append(ShapeOp("rect", (x0, rule_y - 1, x1, rule_y + 1), colours.rule))
    return rule_y - lay.gap // 2
