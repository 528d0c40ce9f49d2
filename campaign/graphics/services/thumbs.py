"""Sized thumbnails of public cards for pages (WebP where the browser takes it, else PNG):
a phone showing a card 360 px wide should not fetch the 1080 px PNG. Downloads stay the
full-size PNG. Thumbnails live beside the cards, under instance/cards/thumbs/, and go with
their card (withdrawal, prune).
"""

from __future__ import annotations

import io
from pathlib import Path

from flask import current_app

from campaign.graphics.storage import CardStore

# 120: the download tiles' small previews; 360 and 720: a card across a phone (1x, 2x);
# 480: a card in the /facts column on a desktop (about 420 px), which 360 is too small
# for and 720 twice too big.
THUMB_WIDTHS = (120, 360, 480, 720)
THUMB_TYPES = {"webp": "image/webp", "png": "image/png"}
WEBP_QUALITY = 82


def thumb_store(width: int, fmt: str) -> CardStore:
    """The directory of one thumbnail size and format."""
    root = Path(current_app.instance_path) / "cards" / "thumbs"
    return CardStore(root / f"w{width}", suffix=f".{fmt}")


def make_thumb(png: bytes, width: int, fmt: str) -> bytes:
    """The card scaled to width pixels wide (aspect kept), encoded as fmt."""
    from PIL import Image  # loaded by the first thumbnail a process makes

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        height = max(1, round(image.height * width / image.width))
        small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "webp":
        small.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        small.save(out, "PNG", optimize=True)
    return out.getvalue()


def delete_thumbs(key: str) -> int:
    """Delete every thumbnail of a card; returns how many files there were."""
    return sum(
        int(thumb_store(width, fmt).delete(key)) for width in THUMB_WIDTHS for fmt in THUMB_TYPES
    )
