"""Share links and share texts for the pages that show cards (no scripts, no tracking)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask_babel import gettext

from campaign.campaigns.models import Campaign
from campaign.events.models import Event
from campaign.events.translations import localized
from campaign.graphics.models import FactCard
from campaign.graphics.services.cardlabels import rendering_locale, when_text
from campaign.graphics.services.fact_translations import fact_text
from campaign.i18n.web import translate_stored


@dataclass(frozen=True)
class ShareLink:
    """One network's share link: its key, its label and the URL that opens its composer."""

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
    """The text shared with a pair's page, in the cards' order: the fact, the myth, the
    disclaimer, then the source (its title and address, when it has one) and the hashtag."""
    url = card.source.url if card.source is not None else ""
    source = gettext("Source: %(title)s", title=card.source_title) + (f" {url}" if url else ".")
    text = fact_text(card, rendering_locale())
    parts = [
        gettext("Fact: %(fact)s", fact=text.fact),
        gettext("Myth: %(myth)s", myth=text.myth),
        translate_stored(campaign.disclaimer),
        source,
    ]
    return " ".join([*(p.strip() for p in parts if p.strip()), campaign.hashtag]).strip()


def event_share_text(event: Event) -> str:
    """The text shared with an event's page: title, start and the hashtag (in the locale)."""
    hashtag = event.campaign.hashtag
    title = localized(event, rendering_locale()).title
    return f"{title}, {when_text(event.starts_at, event.timezone)}. {hashtag}".strip()
