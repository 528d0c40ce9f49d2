"""Share links and share texts for the pages that show cards (no scripts, no tracking)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from campaign.campaigns.models import Campaign
from campaign.events.models import Event
from campaign.graphics.models import FactCard


@dataclass(frozen=True)
class ShareLink:
    network: str
    label: str
    url: str


def share_links(page_url: str, text: str, subject: str = "") -> list[ShareLink]:
    """Plain share links (no scripts, no tracking) for X, Facebook, LinkedIn, WhatsApp,
    Bluesky and email."""
    both = f"{text} {page_url}".strip()
    mail_query = urlencode({"subject": subject or text, "body": both}, quote_via=quote)
    return [
        ShareLink(
            "x", "X", "https://x.com/intent/post?" + urlencode({"text": text, "url": page_url})
        ),
        ShareLink(
            "facebook",
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": page_url}),
        ),
        ShareLink(
            "linkedin",
            "LinkedIn",
            "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": page_url}),
        ),
        ShareLink("whatsapp", "WhatsApp", "https://wa.me/?" + urlencode({"text": both})),
        ShareLink(
            "bluesky", "Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": both})
        ),
        ShareLink("email", "Email", "mailto:?" + mail_query),
    ]


def fact_share_text(card: FactCard, campaign: Campaign) -> str:
    text = f"Myth: {card.myth} Fact: {card.fact}"
    return f"{text} {campaign.hashtag}".strip()


def event_share_text(event: Event) -> str:
    hashtag = event.campaign.hashtag
    return f"{event.title}, {event.starts_text}. {hashtag}".strip()
