"""The campaign's optional background photo for its cards: checked and re-encoded like the
logo (services.theme.clean_image), kept in the database like it (campaign.core.uploads, so
every host draws it), drawn under a scrim whose contrast the renderer measures.

The campaign's photo_path is "photos/<digest>.jpg". Plain arguments in, no request
object. The caller commits.
"""

from __future__ import annotations

import io
import logging
import re

from campaign.campaigns.models import Campaign
from campaign.core.forms import FieldErrors
from campaign.core.uploads import store_upload, upload_bytes
from campaign.extensions import db
from campaign.graphics.services.theme import UploadRejected, clean_image

log = logging.getLogger(__name__)

PHOTO_STORED_MAX_SIDE = 1920  # the story card's height: no card needs more
PHOTO_JPEG_QUALITY = 85
PHOTO_KIND = "photo"  # campaign.core.uploads kind


class PhotoRejected(FieldErrors):
    """An upload that is not an acceptable photo (message for the form's "photo" field)."""

    def __init__(self, message: str) -> None:
        super().__init__({"photo": message})


def clean_photo(data: bytes) -> bytes:
    """Validate an uploaded photo and re-encode it as a JPEG without any metadata (no
    transparency: it fills the card)."""
    try:
        rgba = clean_image(data, "photo", PHOTO_STORED_MAX_SIDE)
    except UploadRejected as exc:
        raise PhotoRejected(str(exc)) from None
    from PIL import Image  # loaded by the first upload a process checks

    flat = Image.new("RGB", rgba.size, (0, 0, 0))
    flat.paste(rgba, (0, 0), rgba)
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True)
    return out.getvalue()


def save_photo(campaign: Campaign, data: bytes) -> str:
    """Validate, re-encode and store an upload as the campaign's photo; returns its digest."""
    digest = store_upload(PHOTO_KIND, clean_photo(data), "image/jpeg")
    campaign.photo_path = f"photos/{digest}.jpg"
    db.session.flush()
    return digest


def remove_photo(campaign: Campaign) -> None:
    """Draw cards without the photo again (the file stays: older card keys may use it)."""
    campaign.photo_path = ""
    db.session.flush()


def photo_bytes(campaign: Campaign) -> bytes | None:
    """The campaign's stored photo (JPEG), or None."""
    match = re.fullmatch(r"photos/([0-9a-f]{64})\.jpg", campaign.photo_path or "")
    return photo_by_digest(match.group(1)) if match else None


def photo_by_digest(digest: str) -> bytes | None:
    """A stored photo by its sha256 hex digest (for re-rendering a stored card spec)."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    data = upload_bytes(PHOTO_KIND, digest)
    if data is None:
        log.warning("campaign photo %s is missing; cards are drawn without it", digest[:12])
    return data
