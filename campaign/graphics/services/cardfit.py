"""Whether a pair's texts fit the cards: how many characters each must lose to fit every
preset and the alt-text budget, and the editor's messages saying so."""

from __future__ import annotations

from campaign import cardrender
from campaign.campaigns.models import Campaign
from campaign.graphics.models import (
    FactTexts,
)
from campaign.graphics.services.cardspecs import PRESET_ORDER, myth_fact_spec
from campaign.graphics.services.sources import (
    campaign_source,
)


def plural(n: int, word: str) -> str:
    """'1 character', '3 characters'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fit_problems(
    campaign: Campaign,
    myth: str,
    fact: str,
    source_title: str,
    source_url: str = "",
    slug: str = "",
    reason: str = "",
) -> dict[str, int]:
    """field -> characters to cut for the pair to fit every preset and the alt-text budget,
    measured on the card as the site draws it (with the source's and the page's address;
    the reason is drawn only where it fits, so it never makes a pair too long)."""
    spec = myth_fact_spec(
        campaign, myth, fact, source_title, source_url=source_url, slug=slug, reason=reason
    )
    problems: dict[str, int] = {}
    for preset in PRESET_ORDER:
        try:
            cardrender.plan_card(spec, preset)
        except cardrender.TextDoesNotFit as exc:
            problems[exc.field] = max(problems.get(exc.field, 0), exc.overflow_chars)
    if not problems:
        try:
            cardrender.alt_text(spec)
        except cardrender.TextDoesNotFit as exc:
            problems[exc.field] = exc.overflow_chars
    return problems


def texts_fit_problems(campaign: Campaign, texts: FactTexts, slug: str) -> dict[str, int]:
    """fit_problems for a pair's stored texts (its source's address looked up)."""
    source = campaign_source(campaign.id, texts.source_id)
    url = source.url if source is not None else ""
    return fit_problems(
        campaign, texts.myth, texts.fact, texts.source_title, url, slug, texts.reason
    )


def fit_messages(cut: dict[str, int]) -> dict[str, str]:
    """Editor messages (per form field) for check_myth_fact_fits' answer."""
    messages: dict[str, str] = {}
    for name, n in cut.items():
        n = max(int(n), 1)
        if name in ("myth", "fact"):
            messages[name] = f"Too long to fit on every card size: cut {plural(n, 'character')}."
        elif name == "alt_text":
            messages["fact"] = (
                "Together the texts make the alt text longer than 420 characters: cut "
                f"{plural(n, 'character')} from the myth or the fact."
            )
        elif name in ("source_title", "source_address"):
            messages["source_id"] = (
                "The source's title and address are too long for the cards: cut "
                f"{plural(n, 'character')} from them on the source's page."
            )
        elif name == "disclaimer":
            messages["form"] = (
                f"The campaign disclaimer is too long for the cards: cut {plural(n, 'character')} "
                "from it in the campaign settings."
            )
        else:
            messages["form"] = f"The card does not fit: cut {plural(n, 'character')}."
    return messages
