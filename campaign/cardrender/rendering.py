"""Draw share cards: a frozen spec and a preset name in, a Pillow image (and a report) out.

Pure Pillow: no Flask, no database, no clock. The planners (kinds/) lay a card out as a
`plan.Plan` and draw.py paints it; this module also encodes the PNG and checks myth/fact
text for the editor (keys.py keys the cache). The package's __init__ is the public API.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Sequence

from PIL import Image

from .alt import alt_text
from .draw import RenderReport, draw_plan
from .kinds import plan_card
from .kinds.flyer import plan_flyer
from .plan import TextDoesNotFit
from .specs import PRESETS, PRINT_DPI, CardSpec, FlyerCard, MythFactCard, Pins

__all__ = [
    "MAX_PDF_BYTES",
    "MAX_PNG_BYTES",
    "RenderReport",
    "TextDoesNotFit",
    "check_myth_fact_fits",
    "encode_pdf",
    "encode_png",
    "fit_set",
    "render",
    "render_flyer",
    "render_flyer_with_report",
    "render_with_report",
]

logger = logging.getLogger(__name__)

MAX_PNG_BYTES = 300 * 1024
MAX_PDF_BYTES = 2 * 1024 * 1024
PDF_JPEG_QUALITIES = (92, 85, 75)  # see encode_pdf
PNG_COMPRESS_LEVEL = 3  # see encode_png


def render_with_report(
    spec: CardSpec, preset_name: str, *, draw_text: bool = True
) -> tuple[Image.Image, RenderReport]:
    """Render a card and report every text run (draw_text=False: everything but the text)."""
    return draw_plan(plan_card(spec, preset_name), draw_text=draw_text)


def render(spec: CardSpec, preset_name: str) -> Image.Image:
    """Render a card as an RGB image of exactly the preset's size."""
    return render_with_report(spec, preset_name)[0]


def render_flyer_with_report(
    spec: FlyerCard, paper: str, *, draw_text: bool = True
) -> tuple[Image.Image, RenderReport]:
    """Render a flyer at 300 dpi on `paper` ("letter" or "a4") and report its text runs."""
    return draw_plan(plan_flyer(spec, paper), draw_text=draw_text)


def render_flyer(spec: FlyerCard, paper: str) -> Image.Image:
    """Render a flyer as an RGB image of exactly the paper's size at 300 dpi."""
    return render_flyer_with_report(spec, paper)[0]


def encode_pdf(image: Image.Image, title: str = "", max_bytes: int = MAX_PDF_BYTES) -> bytes:
    """A one-page PDF of `image` printed at 300 dpi (the page is the paper's size).

    The page is one raster image, so its fonts are in it. Pillow stores it as a JPEG:
    at quality 92 a flyer is about 0.7 MB and its QR code still reads cleanly; the quality
    steps down if the page would pass `max_bytes` (a busy photo backdrop).
    """
    data = b""
    for quality in PDF_JPEG_QUALITIES:
        buffer = io.BytesIO()
        image.convert("RGB").save(
            buffer, "PDF", resolution=PRINT_DPI, quality=quality, title=title or None
        )
        data = buffer.getvalue()
        if len(data) <= max_bytes:
            break
    if len(data) > max_bytes:
        logger.warning("flyer PDF is %d bytes, over the %d byte budget", len(data), max_bytes)
    return data


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


# --- Editor checks --------------------------------------------------------------------------------


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


def fit_set(specs: Sequence[MythFactCard]) -> Pins:
    """One fact size and one myth size per preset for a set of cards (a carousel).

    Returns (preset, fact px, myth px) triples to pass as every card's `type_sizes`: the
    sizes at which every card of the set fits (the smallest each card reaches alone, the
    myth never above the fact). A card that cannot fit them anyway (wrapping is not
    perfectly monotonic) keeps its own sizes: its planner falls back per card.
    """
    pins: list[tuple[str, int, int]] = []
    for name in PRESETS:
        facts: list[int] = []
        myths: list[int] = []
        for spec in specs:
            plain = dataclasses.replace(spec, type_sizes=())
            plan = plan_card(plain, name)
            fact = next((op for op in plan.texts if op.field == "fact"), None)
            myth = next((op for op in plan.texts if op.field == "myth"), None)
            if fact is not None and myth is not None:
                facts.append(fact.fitted.size)
                myths.append(myth.fitted.size)
        if facts:
            fact_px = min(facts)
            pins.append((name, fact_px, min(min(myths), fact_px)))
    return tuple(pins)
