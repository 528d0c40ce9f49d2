"""The QR code panel a card draws: the code encoded once per address (cached), scaled to
whole modules with its quiet zone, on a white rounded panel."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import segno
from PIL import Image

from .contrast import RGB
from .plan import Box, ImageOp, Plan, ShapeOp

QR_DARK: RGB = (0, 0, 0)
QR_LIGHT: RGB = (255, 255, 255)
QR_BORDER_MODULES = 4  # the quiet zone the QR standard asks for


@lru_cache(maxsize=64)
def _qr_modules(url: str, error: Literal["m", "l"]) -> tuple[int, bytes]:
    """The QR code's side in modules (quiet zone included) and its modules as "L" pixels
    (0 dark, 255 light). Cached: every preset of a card (and its alt text, which plans the
    card) draws the same code, and encoding it was most of a page's first card reference."""
    if error == "m":
        qr = segno.make_qr(url, error="m")
    else:
        qr = segno.make_qr(url, error="l", boost_error=False)
    count = int(qr.symbol_size(scale=1, border=QR_BORDER_MODULES)[0])  # whole modules at scale 1
    pixels = bytes(
        0 if dark else 255
        for row in qr.matrix_iter(scale=1, border=QR_BORDER_MODULES)
        for dark in row
    )
    return count, pixels


def _qr_image(url: str, side: int, module_min: int) -> tuple[Image.Image, int]:
    """The QR code (with its quiet zone) as an RGB image no wider than `side`."""
    count, pixels = _qr_modules(url, "m")
    if side // count < module_min:
        count, pixels = _qr_modules(url, "l")
    module = max(1, side // count)
    small = Image.frombytes("L", (count, count), pixels)
    big = small.resize((count * module, count * module), Image.Resampling.NEAREST)
    image = Image.new("RGB", big.size, QR_LIGHT)
    image.paste(QR_DARK, mask=Image.eval(big, lambda v: 255 - v))
    return image, module


def qr_panel(plan: Plan, url: str, x: int, y: int, side: int) -> Box:
    """White rounded panel holding the QR code; returns the panel box."""
    lay = plan.layout
    radius = lay.radius // 2
    # Inset the code so its square corners stay inside the panel's rounded ones.
    image, module = _qr_image(url, side - radius, lay.qr_module_min)
    offset = (side - image.width) // 2
    box = (x, y, x + side, y + side)
    plan.shapes.append(ShapeOp("round", box, QR_LIGHT, radius=radius))
    plan.images.append(ImageOp(image, (x + offset, y + offset)))
    plan.qr_box = (x + offset, y + offset, x + offset + image.width, y + offset + image.height)
    plan.qr_module = module
    return box
