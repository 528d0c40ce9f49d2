"""Draw share cards: a frozen spec and a preset name in, a Pillow image (and a report) out.

Pure Pillow: no Flask, no database, no clock. The planners (kinds_*.py) lay a card out as a
`plan.Plan`, draw.py paints it; this module is the public API and re-exports its names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
from functools import lru_cache

from PIL import Image

from .draw import RenderReport, TextRun, draw_plan
from .fonts import font_digest
from .kinds_events import plan_attending, plan_countdown, plan_event
from .kinds_facts import plan_myth_fact
from .pieces import QR_BORDER_MODULES
from .plan import (
    Plan,
    TextDoesNotFit,
    theme_colours,
)
from .specs import PRESETS, CardSpec, MythFactCard
from .typescale import LAYOUTS

__all__ = [
    "MAX_PNG_BYTES",
    "QR_BORDER_MODULES",
    "RENDERER_VERSION",
    "RenderReport",
    "TextDoesNotFit",
    "TextRun",
    "cache_key",
    "check_myth_fact_fits",
    "encode_png",
    "plan_card",
    "render",
    "render_with_report",
]

logger = logging.getLogger(__name__)

RENDERER_VERSION = "1"
MAX_PNG_BYTES = 300 * 1024
PNG_COMPRESS_LEVEL = 3  # see encode_png


_PLANNERS = {
    "myth_fact": plan_myth_fact,
    "event": plan_event,
    "attending": plan_attending,
    "countdown": plan_countdown,
}


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
    _PLANNERS[spec.kind](plan, spec, theme_colours(spec))
    return plan


def render_with_report(
    spec: CardSpec, preset_name: str, *, draw_text: bool = True
) -> tuple[Image.Image, RenderReport]:
    """Render a card and report every text run (draw_text=False: everything but the text)."""
    return draw_plan(plan_card(spec, preset_name), draw_text=draw_text)


def render(spec: CardSpec, preset_name: str) -> Image.Image:
    """Render a card as an RGB image of exactly the preset's size."""
    return render_with_report(spec, preset_name)[0]


def encode_png(image: Image.Image, max_bytes: int = MAX_PNG_BYTES) -> bytes:
    """PNG bytes; reduced to a palette when needed to stay under `max_bytes`.

    zlib level 3: on these cards it encodes about 30% faster than the default level 6 for
    files 12-22% larger (square 101 KB instead of 90 KB, story 143 KB instead of 120 KB), far
    under the budget. optimize=True would cost three times the time for 3% smaller files.
    """
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    data = buffer.getvalue()
    for colours in (256, 128, 64):
        if len(data) <= max_bytes:
            break
        paletted = image.convert("RGB").quantize(
            colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        buffer = io.BytesIO()
        paletted.save(buffer, "PNG", optimize=True)
        data = buffer.getvalue()
    if len(data) > max_bytes:
        logger.warning("share card PNG is %d bytes, over the %d byte budget", len(data), max_bytes)
    return data


# --- Editor checks and cache keys ---------------------------------------------------------------


def check_myth_fact_fits(
    myth: str,
    fact: str,
    source_title: str,
    disclaimer: str,
    *,
    campaign_name: str = "",
    hashtag: str = "",
) -> dict[str, int]:
    """field -> characters to cut so the card fits every preset ({} when it fits).

    Pass campaign_name and hashtag to include the alt-text budget (key "alt_text").
    """
    from .alt_text import alt_text

    problems: dict[str, int] = {}
    spec = MythFactCard(myth, fact, source_title, disclaimer, campaign_name, hashtag)
    for name in PRESETS:
        try:
            plan_card(spec, name)
        except TextDoesNotFit as exc:
            problems[exc.field] = max(problems.get(exc.field, 0), exc.overflow_chars)
    if not problems:
        try:
            alt_text(spec)
        except TextDoesNotFit as exc:
            problems[exc.field] = exc.overflow_chars
    return problems


def cache_key(spec: CardSpec, preset_name: str) -> str:
    """Content-addressed key: renderer version, card kind, preset, fonts, inputs and theme."""
    fields = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if isinstance(value, bytes):
            value = hashlib.sha256(value).hexdigest()
        elif dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        fields[f.name] = value
    payload = {
        "renderer": RENDERER_VERSION,
        "kind": spec.kind,
        "preset": preset_name,
        "fonts": font_digest(),
        "spec": fields,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:32]
