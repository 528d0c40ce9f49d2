"""The campaign's card theme and logo: colours and their contrast, logo uploads and storage.

Plain arguments in, no request object. A service adds and flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.graphics.contrast import THEME_PAIRS, contrast_ratio, is_hex_colour
from campaign.graphics.specs import DEFAULT_THEME, Theme

log = logging.getLogger(__name__)

THEME_FIELDS = ("primary", "accent", "background", "text", "on_primary")
THEME_LABELS = {
    "primary": "Panel colour",
    "accent": "Accent colour",
    "background": "Background colour",
    "text": "Text colour",
    "on_primary": "Text on panels",
}


def logo_dir() -> Path:
    """Where uploaded logos are kept, each named by the digest of its PNG bytes."""
    return Path(current_app.instance_path) / "logos"


def campaign_theme(campaign: Campaign) -> Theme:
    """The campaign's card theme (the default where a colour is missing)."""
    values = {}
    for name in THEME_FIELDS:
        value = getattr(campaign, f"theme_{name}", None) or getattr(DEFAULT_THEME, name)
        values[name] = value.lower()
    return Theme(**values)


@lru_cache(maxsize=16)
def _read_logo(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        log.warning("campaign logo %s is missing; cards are drawn without it", Path(path).name)
        return None


def logo_bytes(campaign: Campaign) -> bytes | None:
    """The campaign's re-encoded logo PNG, or None (files are content-addressed: cacheable)."""
    if not campaign.logo_path:
        return None
    return _read_logo(str(Path(current_app.instance_path) / campaign.logo_path))


def logo_by_digest(digest: str) -> bytes | None:
    """A stored logo by its sha256 hex digest (for re-rendering a stored card spec)."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    return _read_logo(str(logo_dir() / f"{digest}.png"))


class ThemeInvalid(ValueError):
    """Theme colours that are not colours or do not reach 4.5:1; errors per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def is_default_theme(theme: Theme) -> bool:
    """True when theme has the default colours (compared case-insensitively)."""
    return all(getattr(theme, n).lower() == getattr(DEFAULT_THEME, n).lower() for n in THEME_FIELDS)


def theme_problems(theme: Theme) -> dict[str, str]:
    """field -> what is wrong, from contrast.validate_theme's rules ({} when fine).

    A contrast problem is reported on the text colour of the pair (the one drawn on top).
    """
    from campaign.graphics.contrast import MIN_TEXT_CONTRAST, validate_theme

    problems: dict[str, str] = {}
    for name in THEME_FIELDS:
        if not is_hex_colour(getattr(theme, name)):
            problems[name] = "Enter a colour as #RRGGBB, for example #0B2540."
    for fg, bg, where in THEME_PAIRS:
        if fg in problems or bg in problems:
            continue
        ratio = contrast_ratio(getattr(theme, fg), getattr(theme, bg))
        if ratio < MIN_TEXT_CONTRAST:
            message = (
                f"Contrast with the {THEME_LABELS[bg].lower()} is {ratio:.2f}:1; "
                f"it needs at least {MIN_TEXT_CONTRAST}:1 ({where})."
            )
            problems[fg] = f"{problems[fg]} {message}" if fg in problems else message
    remaining = validate_theme(theme)
    if remaining and not problems:  # a rule this mapping does not know yet
        problems["background"] = " ".join(remaining)
    return problems


def contrast_table(theme: Theme) -> list[dict[str, Any]]:
    """Each text/background pair of the theme with its ratio, for the theme page."""
    from campaign.graphics.contrast import MIN_TEXT_CONTRAST

    rows = []
    for fg, bg, where in THEME_PAIRS:
        a, b = getattr(theme, fg), getattr(theme, bg)
        if not (is_hex_colour(a) and is_hex_colour(b)):
            continue
        ratio = contrast_ratio(a, b)
        rows.append(
            {
                "text": THEME_LABELS[fg],
                "on": THEME_LABELS[bg],
                "where": where,
                "ratio": ratio,
                "ok": ratio >= MIN_TEXT_CONTRAST,
            }
        )
    return rows


def update_theme(campaign: Campaign, theme: Theme) -> None:
    """Save theme colours after validating them (nothing is saved when one is wrong)."""
    normalised = Theme(**{n: getattr(theme, n).strip().lower() for n in THEME_FIELDS})
    problems = theme_problems(normalised)
    if problems:
        raise ThemeInvalid(problems)
    for name in THEME_FIELDS:
        setattr(campaign, f"theme_{name}", getattr(normalised, name))
    db.session.flush()


LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_PIXELS = 25_000_000
LOGO_FORMATS = ("PNG", "JPEG", "WEBP")
LOGO_STORED_MAX_SIDE = 1024  # cards draw the logo at most a few hundred pixels wide


class LogoRejected(ValueError):
    """An upload that is not an acceptable logo; the message is for the uploader."""


def clean_logo(data: bytes) -> bytes:
    """Validate an uploaded logo and re-encode it as a PNG without any metadata.

    PNG, JPEG and WebP only, at most 5 MB and 25 megapixels. The pixel count is read from
    the header and checked before anything is decoded, so a decompression bomb costs
    nothing. EXIF orientation is applied, then every chunk of metadata (EXIF, GPS, ICC,
    text) is dropped by copying the pixels into a fresh image.
    """
    if not data:
        raise LogoRejected("Choose an image file to upload.")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRejected(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the logo may be at most 5 MB."
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns between ~89 and ~179 megapixels; our own limit is far lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=LOGO_FORMATS)
    except Image.DecompressionBombError:
        raise LogoRejected(
            "The image has far too many pixels; the logo may be at most 25 megapixels."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise LogoRejected(
            "That file is not a PNG, JPEG or WebP image. Export the logo as PNG and try again."
        ) from None
    with image:
        width, height = image.size
        if width * height > LOGO_MAX_PIXELS:
            raise LogoRejected(
                f"The image is {width} × {height} pixels ({width * height / 1e6:.0f} "
                "megapixels); the logo may be at most 25 megapixels."
            )
        if width < 1 or height < 1:
            raise LogoRejected("The image has no pixels.")
        try:
            image.load()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise LogoRejected(
                "The image could not be read: the file looks damaged or incomplete. "
                "Export it again and upload the new file."
            ) from None
        try:
            upright = ImageOps.exif_transpose(image) or image
        except (OSError, ValueError, SyntaxError):
            upright = image
        rgba = upright.convert("RGBA")
    rgba.thumbnail((LOGO_STORED_MAX_SIDE, LOGO_STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", rgba.size)
    clean.paste(rgba, (0, 0))
    if clean.getextrema()[3] == (255, 255):
        clean = clean.convert("RGB")  # fully opaque: a smaller file
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def save_logo(campaign: Campaign, data: bytes) -> str:
    """Validate, re-encode and store an upload as the campaign's logo; returns the digest."""
    png = clean_logo(data)
    digest = hashlib.sha256(png).hexdigest()
    directory = logo_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{digest}.png"
    if not target.exists():
        _atomic_write(target, png)
    campaign.logo_path = f"logos/{digest}.png"
    db.session.flush()
    return digest


def remove_logo(campaign: Campaign) -> None:
    """Draw cards without a logo again (the file stays: older card keys may use it)."""
    campaign.logo_path = ""
    db.session.flush()


def _atomic_write(target: Path, data: bytes) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
