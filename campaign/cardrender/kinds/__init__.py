"""Card planners: one module per card kind, each laying its card out as a plan."""

from __future__ import annotations

from functools import lru_cache
from typing import assert_never

from ..pieces import mirror
from ..plan import Plan, theme_colours
from ..specs import PRESETS, AttendingCard, CardSpec, CountdownCard, EventCard, MythFactCard
from ..text.bidi import paragraph_direction
from ..typescale import LAYOUTS
from .attending import plan_attending
from .countdown import plan_countdown
from .event import plan_event
from .myth_fact import plan_myth_fact


@lru_cache(maxsize=32)
def plan_card(spec: CardSpec, preset_name: str) -> Plan:
    """Lay a card out without drawing it (used by render and by alt text).

    Plans are cached per (spec, preset): a page that renders a card and writes its alt text
    lays it out once. Callers must treat the returned plan as read-only.
    """
    try:
        preset = PRESETS[preset_name]
    except KeyError:
        raise ValueError(f"unknown preset {preset_name!r}; use one of {sorted(PRESETS)}") from None
    plan = Plan(preset, LAYOUTS[preset_name], spec)
    colours = theme_colours(spec)
    rtl = card_direction(spec) == "rtl"
    match spec:
        case MythFactCard():
            plan_myth_fact(plan, spec, colours)
        case EventCard():
            plan_event(plan, spec, colours)
        case AttendingCard():
            plan_attending(plan, spec, colours)
        case CountdownCard():
            plan_countdown(plan, spec, colours)
        case _:
            assert_never(spec)
    if rtl:
        mirror(plan)
    return plan


def card_direction(spec: CardSpec) -> str:
    """ "ltr" or "rtl": the spec's direction, or (auto) that of its main text."""
    if spec.direction != "auto":
        return spec.direction
    return paragraph_direction(spec.main_text)
