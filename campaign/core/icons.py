"""The site's icons and web app manifest: /favicon.ico, /icon-<size>.png and
/manifest.webmanifest.

The icon is the header's brand mark (a gradient disc) on the brand colour, drawn with
Pillow the first time a size is asked for and then kept in memory: nothing to build or
commit, and every size comes from the same drawing.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, current_app, make_response

if TYPE_CHECKING:
    from PIL import Image

bp = Blueprint("icons", __name__)

BRAND = (11, 85, 99)  # --brand in assets/css/app.css
DISC_FROM = (127, 209, 222)  # the .brand__mark gradient
DISC_TO = (245, 185, 113)
PNG_SIZES = (180, 192, 512)  # Apple touch icon, manifest icons
ICO_SIZES = (16, 32, 48)
CACHE = "public, max-age=86400"


def draw_icon(size: int) -> Image.Image:
    """The icon at size x size pixels: a rounded brand square with the gradient disc,
    drawn at 4x and scaled down for smooth edges."""
    from PIL import Image, ImageDraw  # loaded by the first icon a process draws

    scale = 4
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle((0, 0, big - 1, big - 1), big // 5, fill=BRAND)
    gradient = Image.new("RGB", (big, big))
    pixels = ImageDraw.Draw(gradient)
    for i in range(2 * big):  # diagonal bands, top-left to bottom-right
        t = i / (2 * big - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(DISC_FROM, DISC_TO, strict=True))
        pixels.line([(i, 0), (0, i)], fill=colour, width=2)
    mask = Image.new("L", (big, big), 0)
    inset = round(big * 0.2)
    ImageDraw.Draw(mask).ellipse((inset, inset, big - inset, big - inset), fill=255)
    image.paste(gradient, (0, 0), mask)
    return image.resize((size, size), Image.Resampling.LANCZOS)


@lru_cache(maxsize=len(PNG_SIZES))
def icon_png(size: int) -> bytes:
    out = io.BytesIO()
    draw_icon(size).save(out, "PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=1)
def favicon_ico() -> bytes:
    out = io.BytesIO()
    draw_icon(max(ICO_SIZES)).save(out, "ICO", sizes=[(s, s) for s in ICO_SIZES])
    return out.getvalue()


def _binary(body: bytes, mimetype: str) -> Response:
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The browser tab icon (16, 32 and 48 pixels in one file)."""
    return _binary(favicon_ico(), "image/x-icon")


@bp.get("/icon-<int:size>.png")
def icon(size: int) -> Response:
    """The icon as a PNG, in the sizes the manifest and the Apple touch icon name."""
    if size not in PNG_SIZES:
        abort(404)
    return _binary(icon_png(size), "image/png")


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: the campaign's name, colours and icons."""
    from flask import json

    from campaign.campaigns.services import request_campaign

    campaign = request_campaign()
    name = campaign.name if campaign else current_app.config.get("SITE_NAME", "Campaign")
    body = {
        "name": name,
        "short_name": name if len(name) <= 12 else name.split()[0][:12],
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5563",
        "icons": [
            {"src": f"/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
            for size in (192, 512)
        ],
    }
    return _binary(json.dumps(body).encode(), "application/manifest+json")
