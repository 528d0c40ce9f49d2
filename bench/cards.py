"""Card rendering: a cold render per preset against bare Pillow drawing the same texts.

Rows, all measured in this run:
- cold render + PNG encode of a myth/fact card per preset vs bare Pillow writing the
  same strings with the same font into an image of the same size and saving a PNG
  (target <= 1.5x);
- a cached card served over HTTP (a local server, GET /cards/<key>.png) vs its cold
  render (target >= 20x faster);
- the largest PNG per preset over the card kinds (target <= 300 KB, informational).

    .venv/bin/python bench/cards.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, print_table
from campaign.graphics import layout as card_layout
from campaign.graphics import render as card_render
from campaign.graphics.specs import (
    PRESETS,
    AttendingCard,
    CountdownCard,
    EventCard,
    MythFactCard,
)

FONT = REPO / "assets/fonts/inter/Inter-Regular.otf"
RENDER_TARGET = 1.5
CACHE_TARGET = 20.0
SIZE_LIMIT = 300 * 1024


def _myth_fact() -> MythFactCard:
    content = json.loads((REPO / "assets/content/myths.json").read_text())
    item = content["items"][0] if "items" in content else content["pairs"][0]
    return MythFactCard(
        myth=item["myth"],
        fact=item["fact"],
        source_title=content["source"]["title"],
        disclaimer="Educational content, not medical advice. Talk to a healthcare provider.",
        campaign_name="National Ketamine Day",
        hashtag="#NationalKetamineDay",
    )


def _specs() -> list:
    return [
        _myth_fact(),
        EventCard(
            title="Understanding Ketamine for Anxiety: A Community Talk",
            when_text="Fri 25 Dec 2026, 18:00 EST",
            place_text="Central Library, Auditorium, Brooklyn",
            campaign_name="National Ketamine Day",
            hashtag="#NationalKetamineDay",
            url_for_qr="https://ketamineday.example.org/events/community-talk",
        ),
        AttendingCard(
            first_name="Robin",
            event_title="Myths and Facts Workshop",
            when_text="Fri 25 Dec 2026, 14:00 GMT",
            place_text="The Community Hub, London",
            campaign_name="National Ketamine Day",
            hashtag="#NationalKetamineDay",
        ),
        CountdownCard(
            days=28,
            campaign_name="National Ketamine Day",
            day_text="Friday 25 December 2026",
            tagline="Facts over fear: learn, talk and share.",
            hashtag="#NationalKetamineDay",
        ),
    ]


def _timed(function, runs: int) -> float:  # type: ignore[no-untyped-def]
    function()  # first call loads the font files for both sides
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _cold(spec, preset: str) -> bytes:  # type: ignore[no-untyped-def]
    """Render and encode with the layout caches emptied (loaded font files are kept)."""
    card_render.plan_card.cache_clear()
    card_layout._segment_metrics.cache_clear()
    card_layout.measure_line.cache_clear()
    return card_render.encode_png(card_render.render(spec, preset))


def _bare(texts: list[str], size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, (11, 37, 64))
    draw = ImageDraw.Draw(image)
    y = 40
    for text, px in zip(texts, (48, 48, 24, 24, 24, 24), strict=False):
        font = ImageFont.truetype(str(FONT), px)
        draw.text((40, y), text, font=font, fill=(255, 255, 255))
        y += px + 20
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def render_rows(runs: int) -> list[tuple[str, str, str, str, bool]]:
    spec = _myth_fact()
    texts = [spec.myth, spec.fact, spec.source_title, spec.disclaimer, spec.campaign_name,
             spec.hashtag]  # fmt: skip
    rows = []
    for preset_name, preset in PRESETS.items():
        project = _timed(lambda p=preset_name: _cold(spec, p), runs)
        bare = _timed(lambda s=preset.size: _bare(texts, s), runs)
        ratio = project / bare
        rows.append((
            f"cold myth/fact render, {preset_name} {preset.width}x{preset.height}",
            f"{ratio:.2f}x", f"<={RENDER_TARGET}x",
            f"({project * 1000:.0f} ms vs bare Pillow {bare * 1000:.0f} ms)",
            ratio <= RENDER_TARGET,
        ))  # fmt: skip
    return rows


def size_rows() -> list[tuple[str, str, str, str, bool]]:
    rows = []
    for preset_name in PRESETS:
        largest = max(len(_cold(spec, preset_name)) for spec in _specs())
        rows.append((
            f"largest PNG, {preset_name}", f"{largest / 1024:.0f} KB", "<=300 KB", "",
            largest <= SIZE_LIMIT,
        ))  # fmt: skip
    return rows


def cache_row(runs: int) -> tuple[str, str, str, str, bool]:
    """Serve one card over HTTP from a real local server, against its cold render."""
    import tempfile

    import requests
    from werkzeug.serving import make_server

    from campaign import create_app
    from campaign.campaigns.demo import seed_demo
    from campaign.core.timeutil import utcnow
    from campaign.events.models import Event
    from campaign.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        server = make_server("127.0.0.1", 0, lambda e, s: [], threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app = create_app({
            "ENV": "testing", "SECRET_KEY": "bench-cards-" + "x" * 20,
            "DATABASE_URL": f"sqlite:///{tmp}/cards.sqlite3", "INSTANCE_PATH": tmp,
            "BASE_URL": url, "RATELIMIT_ENABLED": False,
        })  # fmt: skip
        with app.app_context():
            db.create_all()
            seed_demo(utcnow().date(), 28, "Educational content, not medical advice.")
            db.session.commit()
            slug = db.session.scalars(
                db.select(Event.slug).where(Event.status == "published")
            ).first()
        server.app = app
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            import re

            page = requests.get(f"{url}/events/{slug}", timeout=30).text
            card = re.search(r'property="og:image" content="([^"]+)"', page).group(1)
            first = requests.get(card, timeout=60)  # renders and stores it
            assert first.status_code == 200, first.status_code
            served = _timed(lambda: requests.get(card, timeout=30).content, runs * 4)
            with app.app_context():
                from campaign.graphics import services as graphics

                event = db.session.scalars(db.select(Event).where(Event.slug == slug)).one()
                spec = graphics.event_spec(event)
            cold = _timed(lambda: _cold(spec, "og"), runs)
        finally:
            server.shutdown()
            server.server_close()
    speedup = cold / served
    return (
        "cached event card over HTTP vs its cold render (og)",
        f"{speedup:.0f}x",
        f">={CACHE_TARGET:.0f}x",
        f"({served * 1000:.1f} ms vs {cold * 1000:.0f} ms)",
        speedup >= CACHE_TARGET,
    )


def main() -> list[tuple[str, str, str, str, bool]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    return [*render_rows(args.runs), cache_row(args.runs), *size_rows()]


if __name__ == "__main__":
    rows = main()
    print_table(rows)
    sys.exit(0 if all(r[4] for r in rows) else 1)
