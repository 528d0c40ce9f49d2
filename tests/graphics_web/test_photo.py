"""The campaign's optional background photo: uploaded with the logo's safety, re-encoded
without metadata, drawn under the measured scrim on every card, removable."""

from __future__ import annotations

import io
import random
import re

import pytest
from PIL import Image
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.cardrender import MAX_PNG_BYTES
from campaign.core.timeutil import utcnow
from campaign.core.uploads import StoredUpload
from campaign.extensions import db
from campaign.graphics.services import cardspecs
from campaign.graphics.services.photo import PHOTO_KIND

from .conftest import card_keys
from .test_theme_logo import _campaign, jpeg_with_gps, png_header_only


def _photo(size: tuple[int, int] = (1600, 1000)) -> bytes:
    """A busy photo-like JPEG (light and dark pixels: the worst case for the scrim)."""
    rng = random.Random(3)
    small = Image.new("RGB", (size[0] // 20, size[1] // 20))
    small.putdata(
        [tuple(rng.randrange(256) for _ in range(3)) for _ in range(small.width * small.height)]
    )
    out = io.BytesIO()
    small.resize(size, Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


def _upload(client, data: bytes, filename: str):
    boundary = "----photo-upload-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/manage/theme/photo", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


@pytest.fixture
def as_admin(client, login_as, admin, campaign):
    login_as(admin)
    return client


def _stored_photo(campaign: Campaign) -> bytes:
    """The photo's bytes as kept in the database (campaign.core.uploads), not a host's disk."""
    digest = re.fullmatch(r"photos/([0-9a-f]{64})\.jpg", campaign.photo_path)
    assert digest is not None, campaign.photo_path
    row = db.session.scalar(
        select(StoredUpload).where(
            StoredUpload.kind == PHOTO_KIND, StoredUpload.digest == digest.group(1)
        )
    )
    assert row is not None and row.media_type == "image/jpeg"
    return row.data


def test_a_photo_is_re_encoded_and_drawn_on_every_card(app, as_admin, anon, content):
    before = card_keys(as_admin.get("/facts").get_data(as_text=True))
    assert _upload(as_admin, _photo(), "photo.jpg").status_code == 303
    campaign = _campaign()
    stored = _stored_photo(campaign)  # in the database, so every host draws it
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (1600, 1000)
    spec = cardspecs.fact_spec(content[0])
    assert spec.photo == stored
    countdown = cardspecs.countdown_spec(campaign, utcnow())
    assert countdown is not None and countdown.photo == spec.photo
    html = as_admin.get("/facts").get_data(as_text=True)
    after = card_keys(html)
    assert not set(after) & set(before), "every card changed"
    for key in after[:2]:
        response = anon.get(f"/cards/{key}.png")
        assert response.status_code == 200
        assert len(response.get_data()) <= MAX_PNG_BYTES
    assert as_admin.get("/manage/theme/photo.jpg").status_code == 200
    assert as_admin.post("/manage/theme/photo/remove").status_code == 303
    assert card_keys(as_admin.get("/facts").get_data(as_text=True)) == before


def test_a_photo_loses_its_location(app, as_admin):
    assert _upload(as_admin, jpeg_with_gps(), "photo.jpg").status_code == 303
    stored = _stored_photo(_campaign())
    assert b"PhoneCo" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bomb.png", png_header_only(30000, 30000), "at most 25 megapixels"),
        ("notes.txt", b"not an image at all", "not a PNG, JPEG or WebP image"),
        ("empty.jpg", b"", "Choose an image file"),
    ],
)
def test_bad_photos_get_a_clear_form_error_and_change_nothing(as_admin, name, data, message):
    response = _upload(as_admin, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _campaign().photo_path == ""


def test_only_admins_upload_a_photo(client, login_as, organizer, campaign):
    login_as(organizer)
    assert _upload(client, _photo((200, 100)), "photo.jpg").status_code == 404
    assert _campaign().photo_path == ""
