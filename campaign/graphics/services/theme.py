"""The campaign's card theme and logo: colours and their contrast, logo uploads (kept in
the database by campaign.core.uploads, so every host draws them).

Plain arguments in, no request object. A service adds and flushes; the caller commits.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from typing import TYPE_CHECKING, Any

from campaign.campaigns.models import Campaign
from campaign.cardrender import DEFAULT_THEME, THEME_PAIRS, Theme, contrast_ratio, is_hex_colour
from campaign.core.forms import FieldErrors
from campaign.core.uploads import store_upload, upload_bytes
from campaign.extensions import db

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

THEME_FIELDS = ("primary", "accent", "background", "text", "on_primary")
THEME_LABELS = {
    "primary": "Panel colour",
    "accent": "Accent colour",
    "background": "Background colour",
    "text": "Text colour",
    "on_primary": "Text on panels",
}


LOGO_KIND = "logo"  # campaign.core.uploads kind: logos live in the database


def logo_digest(campaign: Campaign) -> str | None:
    """The digest of the campaign's logo upload ("logos/<digest>.png" in logo_path)."""
    match = re.fullmatch(r"logos/([0-9a-f]{64})\.png", campaign.logo_path or "")
    return match.group(1) if match else None


def campaign_theme(campaign: Campaign) -> Theme:
    """The campaign's card theme (the default where a colour is missing)."""
    values = {}
    for name in THEME_FIELDS:
        value = getattr(campaign, f"theme_{name}", None) or getattr(DEFAULT_THEME, name)
        values[name] = value.lower()
    return Theme(**values)


def logo_bytes(campaign: Campaign) -> bytes | None:
    """The campaign's re-encoded logo PNG, or None (uploads are content-addressed)."""
    digest = logo_digest(campaign)
    return logo_by_digest(digest) if digest else None


def logo_by_digest(digest: str) -> bytes | None:
    """A stored logo by its sha256 hex digest (for re-rendering a stored card spec); from
    any host, as the bytes are in the database (campaign.core.uploads)."""
    data = upload_bytes(LOGO_KIND, digest)
    if data is None:
        log.warning("campaign logo %s is missing; cards are drawn without it", digest[:12])
    return data


class ThemeInvalid(FieldErrors):
    """Theme colours that are not colours or do not reach 4.5:1; errors per field."""


def is_default_theme(theme: Theme) -> bool:
    """True when theme has the default colours (compared case-insensitively)."""
    return all(getattr(theme, n).lower() == getattr(DEFAULT_THEME, n).lower() for n in THEME_FIELDS)


def theme_problems(theme: Theme) -> dict[str, str]:
    """field -> what is wrong, from contrast.validate_theme's rules ({} when fine).

    A contrast problem is reported on the text colour of the pair (the one drawn on top).
    """
    from campaign.cardrender import MIN_TEXT_CONTRAST, validate_theme

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
    from campaign.cardrender import MIN_TEXT_CONTRAST

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


class LogoRejected(FieldErrors):
    """An upload that is not an acceptable logo; the message (for the form's "logo" field)
    is for the uploader."""

    def __init__(self, message: str) -> None:
        super().__init__({"logo": message})


def clean_logo(data: bytes) -> bytes:
    """Validate an uploaded logo and re-encode it as a PNG without any metadata.

    PNG, JPEG and WebP only, at most 5 MB and 25 megapixels (see clean_image). A logo keeps
    its transparency.
    """
    try:
        rgba = clean_image(data, "logo", LOGO_STORED_MAX_SIDE)
    except UploadRejected as exc:
        raise LogoRejected(str(exc)) from None
    from PIL import Image  # loaded by the first upload a process checks

    clean = Image.new("RGBA", rgba.size)
    clean.paste(rgba, (0, 0))
    if clean.getchannel("A").getextrema() == (255, 255):
        clean = clean.convert("RGB")  # fully opaque: a smaller file
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return out.getvalue()


class UploadRejected(ValueError):
    """An image upload that is refused; the message is for the uploader."""


def clean_image(data: bytes, noun: str, max_side: int) -> Image.Image:
    """An uploaded image (the campaign's logo or photo) checked and copied without metadata,
    as RGBA at most max_side pixels on its longer side; raises UploadRejected.

    PNG, JPEG and WebP only, at most 5 MB and 25 megapixels. The pixel count is read from
    the header and checked before anything is decoded, so a decompression bomb costs
    nothing. EXIF orientation is applied, then every chunk of metadata (EXIF, GPS, ICC,
    text) is dropped by copying the pixels into a fresh image.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError  # loaded by the first upload checked

    if not data:
        raise UploadRejected("Choose an image file to upload.")
    if len(data) > LOGO_MAX_BYTES:
        raise UploadRejected(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the {noun} may be at most 5 MB."
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns between ~89 and ~179 megapixels; our own limit is far lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=LOGO_FORMATS)
    except Image.DecompressionBombError:
        raise UploadRejected(
            f"The image has far too many pixels; the {noun} may be at most 25 megapixels."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise UploadRejected(
            f"That file is not a PNG, JPEG or WebP image. Export the {noun} as PNG or JPEG "
            "and try again."
        ) from None
    with image:
        width, height = image.size
        if width * height > LOGO_MAX_PIXELS:
            raise UploadRejected(
                f"The image is {width} × {height} pixels ({width * height / 1e6:.0f} "
                f"megapixels); the {noun} may be at most 25 megapixels."
            )
        if width < 1 or height < 1:
            raise UploadRejected("The image has no pixels.")
        try:
            image.load()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise UploadRejected(
                "The image could not be read: the file looks damaged or incomplete. "
                "Export it again and upload the new file."
            ) from None
        try:
            upright = ImageOps.exif_transpose(image) or image
        except (OSError, ValueError, SyntaxError):
            upright = image
        rgba = upright.convert("RGBA")
    rgba.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return rgba


def save_logo(campaign: Campaign, data: bytes) -> str:
    """Validate, re-encode and store an upload as the campaign's logo; returns the digest."""
    digest = store_upload(LOGO_KIND, clean_logo(data), "image/png")
    campaign.logo_path = f"logos/{digest}.png"
    db.session.flush()
    return digest


def remove_logo(campaign: Campaign) -> None:
    """Draw cards without a logo again (the upload stays: older card keys may use it)."""
    campaign.logo_path = ""
    db.session.flush()
