"""Write tests/graphics/contact_sheet.png: every card kind in every preset, for review.

    .venv/bin/python -m tests.graphics.contact_sheet [out.png]

Rows are the kinds (myth/fact, event, attending, countdown, then a right-to-left event and
a Japanese attending card with emoji); columns the presets, scaled to one height.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

from campaign.cardrender import PRESETS, render
from campaign.cardrender.specs import CardSpec

from .conftest import KINDS, sample_spec

OUT = Path(__file__).resolve().parent / "contact_sheet.png"
ROW_HEIGHT = 360
GAP = 16


def rows() -> list[tuple[str, CardSpec]]:
    """(row name, spec) for each row of the sheet."""
    extra: list[tuple[str, CardSpec]] = [
        (
            "event (Arabic, right to left)",
            sample_spec(
                "event",
                title="أمسية توعية حول الكيتامين 2026 في Leeds",
                place_text="قاعة المجتمع، شارع 12",
                when_text="السبت 12 ديسمبر 2026، 18:00 GMT",
            ),
        ),
        (
            "attending (Japanese, emoji)",
            sample_spec(
                "attending",
                first_name="さくら 🌸",
                event_title="ケタミンと不安についての勉強会 🎉",
                place_text="東京都渋谷区 コミュニティホール",
            ),
        ),
    ]
    host = "ketamineday.example.org"
    addresses = {
        "myth_fact": f"{host}/facts/party-drug-only",
        "event": "",  # the QR code's address, without its scheme
        "attending": f"{host}/events/community-evening",
        "countdown": host,
    }
    return [(kind, sample_spec(kind, address=addresses[kind])) for kind in KINDS] + extra


def sheet() -> Image.Image:
    """The contact sheet image."""
    cells: list[list[Image.Image]] = []
    for _, spec in rows():
        row = []
        for name in PRESETS:
            card = render(spec, name)
            width = round(card.width * ROW_HEIGHT / card.height)
            row.append(card.resize((width, ROW_HEIGHT), Image.Resampling.LANCZOS))
        cells.append(row)
    width = max(sum(c.width for c in row) + GAP * (len(row) + 1) for row in cells)
    height = len(cells) * (ROW_HEIGHT + GAP) + GAP
    out = Image.new("RGB", (width, height), (230, 230, 230))
    draw = ImageDraw.Draw(out)
    for r, row in enumerate(cells):
        x, y = GAP, GAP + r * (ROW_HEIGHT + GAP)
        for cell in row:
            out.paste(cell, (x, y))
            draw.rectangle((x - 1, y - 1, x + cell.width, y + cell.height), outline=(150, 150, 150))
            x += cell.width + GAP
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    # A 256-colour palette keeps the committed sheet small; it is for eyes, not pixel tests.
    sheet().quantize(256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    print(f"wrote {target}")
