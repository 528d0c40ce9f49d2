"""/manage/theme: contrast-checked colours and a logo upload that can never hurt the server."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.uploads import upload_bytes
from campaign.extensions import db
from campaign.graphics.services import theme
from campaign.graphics.services.theme import logo_digest

from .conftest import card_keys


def _campaign() -> Campaign:
    db.session.expire_all()
    return db.session.scalar(select(Campaign))


def _colours(**overrides: str) -> dict[str, str]:
    data = {
        "background": "#0b2540",
        "text": "#ffffff",
        "primary": "#134e5e",
        "on_primary": "#ffffff",
        "accent": "#f4a259",
    }
    data.update(overrides)
    return data


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_header_only(width: int, height: int) -> bytes:
    """A tiny valid-looking PNG whose header claims width x height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (240, 120), **save: object) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    for x in range(0, size[0], 7):  # some detail, so JPEG cannot shrink it to nothing
        for y in range(0, size[1], 5):
            image.putpixel((x, y), (x % 256, y % 256, 90))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.9),
    }
    return image_bytes("JPEG", exif=exif.tobytes())


def _upload(client, data: bytes, filename: str):
    """POST the file as a browser would (the body built in memory: no temporary files)."""
    boundary = "----logo-upload-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="logo"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/manage/theme/logo",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture
def as_admin(client, login_as, admin, campaign):
    login_as(admin)
    return client


def test_only_admins_see_the_theme_page(client, login_as, organizer, campaign):
    assert client.get("/manage/theme").status_code == 302  # not signed in: to the login page
    login_as(organizer)
    assert client.get("/manage/theme").status_code == 404
    assert client.post("/manage/theme", data=_colours()).status_code == 404
    assert _upload(client, image_bytes(), "logo.png").status_code == 404
    assert 'href="/manage/theme"' not in client.get("/manage/").get_data(as_text=True)


def test_low_contrast_colours_are_refused_next_to_the_field(as_admin):
    response = as_admin.post("/manage/theme", data=_colours(text="#8a8a8a", background="#777777"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    match = re.search(r'id="text-error"[^>]*>([^<]*)<', html)
    assert match and "4.5:1" in match.group(1)
    assert "too low" in html
    campaign = _campaign()
    assert (campaign.theme_text, campaign.theme_background) == ("#FFFFFF", "#0B2540"), "unsaved"


def test_a_colour_that_is_not_a_colour_is_refused(as_admin):
    response = as_admin.post("/manage/theme", data=_colours(accent="orange"))
    assert response.status_code == 400
    assert re.search(r'id="accent-error"[^>]*>[^<]*#RRGGBB', response.get_data(as_text=True))


def test_a_good_theme_is_saved_and_changes_every_card_key(as_admin, content):
    before = card_keys(as_admin.get("/facts").get_data(as_text=True))
    response = as_admin.post(
        "/manage/theme", data=_colours(background="#1a1a2e", primary="#16213e", accent="#e0a458")
    )
    assert response.status_code == 303
    campaign = _campaign()
    assert campaign.theme_background == "#1a1a2e"
    after = card_keys(as_admin.get("/facts").get_data(as_text=True))
    assert len(after) == len(before) and not set(after) & set(before)
    as_admin.post("/manage/theme/reset")
    assert card_keys(as_admin.get("/facts").get_data(as_text=True)) == before


def test_a_logo_is_re_encoded_stored_and_changes_the_keys(app, as_admin, content):
    before = card_keys(as_admin.get("/facts").get_data(as_text=True))
    response = _upload(as_admin, image_bytes("WEBP"), "logo.webp")
    assert response.status_code == 303
    campaign = _campaign()
    stored = upload_bytes("logo", logo_digest(campaign) or "")
    assert stored is not None, "the logo is in the database"
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.size == (240, 120)
    after = card_keys(as_admin.get("/facts").get_data(as_text=True))
    assert not set(after) & set(before)
    assert as_admin.get("/manage/theme/logo.png").status_code == 200
    as_admin.post("/manage/theme/logo/remove")
    assert card_keys(as_admin.get("/facts").get_data(as_text=True)) == before


def test_gps_exif_never_reaches_the_stored_logo(app, as_admin):
    upload = jpeg_with_gps()
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the upload carries GPS"
    assert _upload(as_admin, upload, "photo.jpg").status_code == 303
    stored = upload_bytes("logo", logo_digest(_campaign()) or "")
    assert stored is not None
    assert b"Exif" not in stored and b"eXIf" not in stored and b"PhoneCo" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert "exif" not in image.info


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bomb.png", png_header_only(30000, 30000), "at most 25 megapixels"),
        ("big.png", png_header_only(6000, 5000), "30 megapixels"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>',
            "not a PNG, JPEG or WebP",
        ),
        (
            "logo.png",
            b"<!doctype html><html><body><script>alert(1)</script></body></html>",
            "not a PNG, JPEG or WebP",
        ),
        ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not a PNG, JPEG or WebP"),
        ("cut.jpg", image_bytes("JPEG", size=(400, 300))[:1500], "damaged or incomplete"),
        ("empty.png", b"", "Choose an image file"),
    ],
)
def test_bad_uploads_get_a_clear_form_error(as_admin, name, data, message):
    response = _upload(as_admin, data, name)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    match = re.search(r'id="logo-error"[^>]*>([^<]*)<', html)
    assert match, html[:500]
    assert message in match.group(1).replace("&#39;", "'")
    assert _campaign().logo_path == ""


def test_a_file_just_over_5_mb_is_refused_by_the_form(as_admin):
    data = image_bytes() + b"\0" * (5 * 1024 * 1024)
    response = _upload(as_admin, data, "huge.png")
    assert response.status_code == 400
    assert "at most 5 MB" in response.get_data(as_text=True)


def test_a_request_far_over_the_limit_gets_a_friendly_413(as_admin):
    data = b"\0" * (7 * 1024 * 1024)
    response = _upload(as_admin, data, "huge.png")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than 5 MB" in html
    assert 'id="logo-error"' in html, "shown on the theme page, next to the upload field"
    assert _campaign().logo_path == ""


def test_clean_logo_checks_pixels_before_decoding(monkeypatch):
    """The header is enough: load() is never reached for a too-large image."""
    loaded = []
    real_load = Image.Image.load

    def spy(self):  # type: ignore[no-untyped-def]
        loaded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", spy)
    with pytest.raises(theme.LogoRejected):
        theme.clean_logo(png_header_only(6000, 5000))
    assert (6000, 5000) not in loaded


def test_a_malformed_upload_body_leaves_no_open_buffer(as_admin):
    """A good part followed by one whose header is not UTF-8: the parser gives up, and the
    buffer it had opened for the first part is still closed."""
    import gc
    import warnings

    boundary = "b0undary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="logo"; filename="a.png"\r\n\r\n'
        + image_bytes()
        + f"\r\n--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="logo"; filename="x\xed\xbf\xbfy"\r\n\r\n'
        + b"junk"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = as_admin.post(
            "/manage/theme/logo",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        gc.collect()
    assert response.status_code == 400
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
