"""The site header in the campaign's theme: its logo and colours, as a small stylesheet
(the pages' Content-Security-Policy allows no inline styles). Every text colour is
checked against the colour it sits on; a pair under 4.5:1 falls back to the house
colours, so a theme saved before the checks existed cannot make the header unreadable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from campaign.campaigns.models import Campaign
from campaign.cardrender import DEFAULT_THEME, MIN_TEXT_CONTRAST, contrast_ratio, is_hex_colour

# The house header (assets/css/app.css): white on deep teal, amber underline.
HOUSE = {"background": "#083d47", "text": "#ffffff", "accent": "#f5b971", "primary": "#0b5563"}


@dataclass(frozen=True)
class SiteTheme:
    background: str
    text: str
    accent: str  # the current page's underline in the navigation (and the focus ring)
    primary: str  # the brand mark's second colour

    @property
    def version(self) -> str:
        """A short digest of the colours, for the stylesheet's cache-busting address."""
        raw = "|".join((self.background, self.text, self.accent, self.primary))
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _readable(text: str, background: str) -> bool:
    return (
        is_hex_colour(text)
        and is_hex_colour(background)
        and contrast_ratio(text, background) >= MIN_TEXT_CONTRAST
    )


def site_theme(campaign: Campaign | None) -> SiteTheme:
    """The header colours for the campaign: its theme's background and text, with the
    accent for the current page, each pair kept at 4.5:1 or more."""
    if campaign is None:
        return SiteTheme(**HOUSE)
    background, text = campaign.theme_background, campaign.theme_text
    if not _readable(text, background):
        background, text = HOUSE["background"], HOUSE["text"]
    accent = campaign.theme_accent if _readable(campaign.theme_accent, background) else text
    primary = campaign.theme_primary if is_hex_colour(campaign.theme_primary) else accent
    return SiteTheme(background.lower(), text.lower(), accent.lower(), primary.lower())


def is_custom(campaign: Campaign | None) -> bool:
    """True when the campaign's colours differ from the default theme: only then does a
    page load the theme stylesheet (the default look is app.css itself, one request less)."""
    if campaign is None:
        return False
    colours = (
        campaign.theme_primary,
        campaign.theme_accent,
        campaign.theme_background,
        campaign.theme_text,
    )
    default = (
        DEFAULT_THEME.primary,
        DEFAULT_THEME.accent,
        DEFAULT_THEME.background,
        DEFAULT_THEME.text,
    )
    return tuple(c.lower() for c in colours) != tuple(c.lower() for c in default)


def stylesheet(theme: SiteTheme) -> str:
    """The CSS that puts the theme on the header (loaded after app.css)."""
    return (
        f".site-header {{ background: {theme.background}; color: {theme.text}; }}\n"
        f".brand, .brand:hover, .site-nav a, .site-nav .link-button, .site-nav a:hover,"
        f' .site-nav a[aria-current="page"] {{ color: {theme.text}; }}\n'
        f'.site-nav a:hover, .site-nav a[aria-current="page"]'
        f" {{ border-bottom-color: {theme.accent}; }}\n"
        f".site-header :focus-visible {{ outline-color: {theme.accent}; }}\n"
        f".brand__mark {{ background: linear-gradient(135deg, {theme.primary},"
        f" {theme.accent}); }}\n"
    )


def logo_version(campaign: Campaign | None) -> str:
    """The logo's digest (its file is named by it), or '' when there is no logo."""
    if campaign is None or not campaign.logo_path:
        return ""
    return campaign.logo_path.rsplit("/", 1)[-1].removesuffix(".png")[:12]
