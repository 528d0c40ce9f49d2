"""/favicon.ico, the PNG icons and the web app manifest, linked from every page."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image


def test_favicon_is_an_ico_with_small_sizes(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/x-icon"
    assert "max-age" in response.headers["Cache-Control"]
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "ICO"
    assert {(16, 16), (32, 32), (48, 48)} <= set(image.info["sizes"])


@pytest.mark.parametrize("size", [180, 192, 512])
def test_png_icons_have_their_size(client, size):
    response = client.get(f"/icon-{size}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (size, size)
    # Opaque brand colour in the corner's inside, the light disc in the middle.
    centre = image.convert("RGB").getpixel((size // 2, size // 2))
    assert sum(centre) > 400


@pytest.mark.parametrize("size", [0, 1, 64, 99999])
def test_other_icon_sizes_are_404(client, size):
    assert client.get(f"/icon-{size}.png").status_code == 404


def test_manifest_names_the_campaign_and_its_icons(client, campaign):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    data = json.loads(response.data)
    assert data["name"] == campaign.name
    assert data["start_url"] == "/"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_every_page_links_the_icons_and_the_manifest(client, campaign):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<link rel="apple-touch-icon" href="/icon-180.png">' in page
