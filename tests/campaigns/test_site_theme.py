"""Issue 15, point 13: the site header follows the campaign's theme (logo and colours),
with every text colour at 4.5:1 or more on the colour it sits on."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from campaign.campaigns import site_theme
from campaign.campaigns.models import Campaign
from campaign.cardrender.contrast import contrast_ratio
from campaign.extensions import db
from campaign.graphics.services.theme import save_logo

CUSTOM = {
    "theme_primary": "#5b2a86",
    "theme_accent": "#ffd166",
    "theme_background": "#2d0f45",
    "theme_text": "#ffffff",
}


def _theme_link(page: str) -> str | None:
    match = re.search(r'<link rel="stylesheet" href="(/theme\.css\?v=[0-9a-f]+)">', page)
    return match.group(1) if match else None


def _rules(css: str) -> dict[str, str]:
    return dict(re.findall(r"(background|color|border-bottom-color): (#[0-9a-f]{6})", css))


def test_the_default_theme_keeps_the_house_header_without_an_extra_request(client, campaign):
    page = client.get("/").get_data(as_text=True)
    assert _theme_link(page) is None
    assert 'class="brand__mark"' in page and "brand__logo" not in page
    assert client.get("/logo.png").status_code == 404


def test_custom_colours_reach_the_header_through_a_cached_stylesheet(client, campaign):
    for name, value in CUSTOM.items():
        setattr(campaign, name, value)
    db.session.commit()
    page = client.get("/events").get_data(as_text=True)
    link = _theme_link(page)
    assert link, "the themed pages link the stylesheet"
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "immutable" in response.headers["Cache-Control"]
    css = response.get_data(as_text=True)
    assert ".site-header { background: #2d0f45; color: #ffffff; }" in css
    assert "border-bottom-color: #ffd166" in css
    # An old or missing version is answered with the current colours, revalidated.
    stale = client.get("/theme.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache" and stale.get_data(True) == css
    # Organizer pages share the header.
    assert _theme_link(client.get("/manage/login").get_data(as_text=True)) == link


@pytest.mark.parametrize(
    ("background", "text", "accent"),
    [
        ("#2d0f45", "#ffffff", "#ffd166"),  # a good theme, kept
        ("#ffffff", "#fefefe", "#ffd166"),  # white on white: the house colours instead
        ("#2d0f45", "#ffffff", "#3a1a55"),  # an accent nobody can see: the text colour
        ("#2d0f45", "#ffffff", "not-a-colour"),
        ("bogus", "#ffffff", "#ffd166"),
    ],
)
def test_every_header_text_colour_keeps_4_5_to_1(app, background, text, accent):
    # A stand-in row, never saved: some of these values would not fit the columns.
    stored = Campaign(
        theme_primary="#5b2a86", theme_background=background, theme_text=text, theme_accent=accent
    )
    theme = site_theme.site_theme(stored)
    assert contrast_ratio(theme.text, theme.background) >= 4.5
    assert contrast_ratio(theme.accent, theme.background) >= 4.5
    assert _rules(site_theme.stylesheet(theme))["background"] == theme.background


def test_the_logo_goes_on_the_header(client, campaign, app):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "#ffd166").save(buffer, "PNG")
    save_logo(campaign, buffer.getvalue())
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'<img class="brand__logo" src="(/logo\.png\?v=[0-9a-f]+)" alt=""', page)
    assert match and "brand__mark" not in page
    logo = client.get(match.group(1))
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert "immutable" in logo.headers["Cache-Control"]
    assert Image.open(io.BytesIO(logo.data)).size == (120, 60)
