"""Who may frame the event finder: the campaign's allow-list of sites, checked and turned
into the page's CSP frame-ancestors, and the snippet partners paste into their pages.

An empty list lets any site frame the finder. A listed site is an origin as browsers send
it: a scheme (https, or http), a host name (optionally "*." for every subdomain) and a
port; nothing else, so the list can never add anything but sources to the policy.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from campaign.campaigns.models import Campaign
from campaign.core.forms import FieldErrors

MAX_ORIGINS = 20
FIELD = "embed_origins"
ORIGIN_RE = re.compile(
    r"^(?P<scheme>https?)://(?P<wild>\*\.)?"
    r"(?P<host>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)"
    r"(?::(?P<port>[0-9]{1,5}))?$"
)
ANY_SITE = "*"
SNIPPET_HEIGHT = 720


class EmbedValidationError(FieldErrors):
    """What is wrong with the allow-list, as the form shows it."""


def _normalise(line: str) -> str:
    """A written origin as browsers send it: lower case, no trailing slash."""
    text = line.strip().lower()
    return text[:-1] if text.endswith("/") else text


def parse_origins(text: str) -> list[str]:
    """The allow-list typed one site per line (or comma-separated): normalised, without
    duplicates, or EmbedValidationError naming the first line that is not an origin."""
    lines = [part for part in re.split(r"[\s,]+", text or "") if part.strip()]
    origins: list[str] = []
    for line in lines:
        origin = _normalise(line)
        match = ORIGIN_RE.match(origin)
        port = match.group("port") if match else None
        if match is None or (port is not None and not 0 < int(port) <= 65535):
            shown = line.strip()[:80]
            raise EmbedValidationError(
                {
                    FIELD: f"{shown!r} is not a site address: write each as "
                    "https://partner.example.org (scheme and host, optionally :port, "
                    "no path), one per line."
                }
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise EmbedValidationError(
            {FIELD: f"At most {MAX_ORIGINS} sites; this list has {len(origins)}."}
        )
    return origins


def allowed_origins(campaign: Campaign) -> list[str]:
    """The campaign's allow-list as stored (empty: any site may frame the finder)."""
    return [line for line in (campaign.embed_origins or "").splitlines() if line.strip()]


def set_allowed_origins(campaign: Campaign, text: str) -> list[str]:
    """Check and store the allow-list typed by an admin; the caller commits."""
    origins = parse_origins(text)
    campaign.embed_origins = "\n".join(origins)
    return origins


def frame_ancestors(origins: list[str]) -> str:
    """The CSP frame-ancestors sources: any site, or this site and the listed ones."""
    if not origins:
        return ANY_SITE
    return " ".join(["'self'", *origins])


def origin_allowed(origin: str, origins: list[str]) -> bool:
    """Whether a page at `origin` may frame the finder (an empty list allows every site)."""
    if not origins:
        return True
    candidate = _normalise(origin)
    parts = urlsplit(candidate)
    for allowed in origins:
        if candidate == allowed:
            return True
        match = ORIGIN_RE.match(allowed)
        if match and match.group("wild"):
            port = f":{match.group('port')}" if match.group("port") else ""
            host = parts.hostname or ""
            if (
                parts.scheme == match.group("scheme")
                and host.endswith("." + match.group("host"))
                and (f":{parts.port}" if parts.port else "") == port
            ):
                return True
    return False


def referrer_origin(referrer: str | None) -> str:
    """The origin of a Referer header ("" for none or one that is not http(s))."""
    if not referrer:
        return ""
    parts = urlsplit(referrer.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def snippet(embed_url: str, campaign_name: str) -> str:
    """The HTML a partner pastes into a page to show the finder."""
    return (
        f'<iframe src="{escape(embed_url)}" title="{escape(campaign_name)}: events" '
        f'width="100%" height="{SNIPPET_HEIGHT}" style="border:0;max-width:100%" '
        'loading="lazy"></iframe>'
    )
