"""Alt text for share cards, built from the same data and layout as the drawing."""

from __future__ import annotations

import logging
import unicodedata

from .fitting import ELLIPSIS
from .fonts import strip_missing
from .kinds_events import countdown_words
from .plan import (
    ATTENDING_OTHER,
    ATTENDING_SELF,
    FACT_LABEL,
    MYTH_LABEL,
    QR_CAPTION,
    SOURCE_PREFIX,
    TextDoesNotFit,
)
from .render import plan_card
from .specs import PRESETS, AttendingCard, CardSpec, CountdownCard, EventCard, MythFactCard

logger = logging.getLogger(__name__)

ALT_TEXT_LIMIT = 420

# Fields a card may draw cut short (with "…"); alt text may fall back to the drawn version.
TRUNCATABLE = (
    "title",
    "event_title",
    "place_text",
    "first_name",
    "countdown_name",
    "tagline",
    "campaign_name",
    "hashtag",
)


def _sentence(text: str) -> str:
    """`text` ending in punctuation, so parts read as sentences when joined."""
    text = text.strip()
    if not text or unicodedata.category(text[-1])[0] not in "LN":
        return text  # already ends in punctuation (or a symbol, like a closing bracket)
    return text + "."


def _join(parts: list[str]) -> str:
    return " ".join(p for p in parts if p)


def _compose(spec: CardSpec, texts: dict[str, str], name_omitted: bool) -> str:
    """The alt text for a card given the text of each field."""
    brand = _join([texts.get("campaign_name", ""), texts.get("hashtag", "")])
    if isinstance(spec, MythFactCard):
        return _join(
            [
                f"{MYTH_LABEL}: {_sentence(texts['myth'])}",
                f"{FACT_LABEL}: {_sentence(texts['fact'])}",
                f"{SOURCE_PREFIX} {_sentence(texts['source_title'])}",
                _sentence(texts["disclaimer"]),
                brand,
            ]
        )
    if isinstance(spec, EventCard):
        return _join(
            [
                _sentence(texts["title"]),
                _sentence(texts["when_text"]),
                _sentence(texts["place_text"]),
                f"QR code: {_sentence(QR_CAPTION)}",
                brand,
            ]
        )
    if isinstance(spec, AttendingCard):
        name = texts.get("first_name", "")
        who = f"{name} {ATTENDING_OTHER}" if name and not name_omitted else ATTENDING_SELF
        return _join(
            [
                f"{who}: {_sentence(texts['event_title'])}",
                _sentence(texts["when_text"]),
                _sentence(texts["place_text"]),
                brand,
            ]
        )
    if isinstance(spec, CountdownCard):
        big, joiner = countdown_words(spec.days)
        return _join(
            [
                _sentence(f"{big} {joiner} {texts['countdown_name']}"),
                _sentence(texts["day_text"]),
                _sentence(texts["tagline"]),
                brand,
            ]
        )
    raise TypeError(f"not a card spec: {type(spec).__name__}")


def _full_texts(spec: CardSpec) -> dict[str, str]:
    """Every field's text before any truncation (undrawable characters removed)."""
    texts: dict[str, str] = {}
    for name in ("campaign_name", "hashtag"):
        texts[name] = strip_missing(getattr(spec, name))
    if isinstance(spec, MythFactCard):
        for name in ("myth", "fact", "source_title", "disclaimer"):
            texts[name] = strip_missing(getattr(spec, name))
    elif isinstance(spec, EventCard):
        for name in ("title", "when_text", "place_text"):
            texts[name] = strip_missing(getattr(spec, name))
    elif isinstance(spec, AttendingCard):
        for name in ("event_title", "when_text", "place_text"):
            texts[name] = strip_missing(getattr(spec, name))
        texts["first_name"] = " ".join((spec.first_name or "").split())
    elif isinstance(spec, CountdownCard):
        texts["countdown_name"] = texts["campaign_name"]
        texts["day_text"] = strip_missing(spec.day_text)
        texts["tagline"] = strip_missing(spec.tagline)
    return texts


def _drawn_texts(spec: CardSpec, presets: list[str]) -> tuple[dict[str, str], bool]:
    """For each truncatable field, the longest version drawn on any of `presets`."""
    drawn: dict[str, str] = {}
    name_omitted = False
    for preset in presets:
        plan = plan_card(spec, preset)
        name_omitted = name_omitted or plan.name_omitted
        for op in plan.texts:
            if op.field in TRUNCATABLE:
                text = (
                    op.fitted.text.removesuffix(ELLIPSIS)
                    if op.fitted.truncated
                    else (op.fitted.text)
                )
                if len(text) > len(drawn.get(op.field, "")):
                    drawn[op.field] = text + (ELLIPSIS if op.fitted.truncated else "")
    return drawn, name_omitted


def alt_text(spec: CardSpec, preset_name: str | None = None) -> str:
    """Alt text holding every word drawn on the card, at most 420 characters.

    With a preset, it describes that rendering; without, every preset (the union of their
    words). Long fields are first replaced by the text actually drawn (titles may be cut
    with "…" on the card); a myth/fact card whose words cannot fit in 420 characters raises
    TextDoesNotFit("alt_text", overflow), like text that does not fit on the card.
    """
    presets = [preset_name] if preset_name else list(PRESETS)
    texts = _full_texts(spec)
    drawn, name_omitted = _drawn_texts(spec, presets)
    if name_omitted:
        texts.pop("first_name", None)
    result = _compose(spec, texts, name_omitted)
    if len(result) <= ALT_TEXT_LIMIT:
        return result
    # Shorten the longest truncatable field to its drawn version, longest first.
    for name in sorted(drawn, key=lambda n: len(texts.get(n, "")), reverse=True):
        if name in texts and len(drawn[name]) < len(texts[name]):
            texts[name] = drawn[name]
            result = _compose(spec, texts, name_omitted)
            if len(result) <= ALT_TEXT_LIMIT:
                return result
    if isinstance(spec, MythFactCard):
        raise TextDoesNotFit("alt_text", len(result) - ALT_TEXT_LIMIT, preset_name)
    logger.warning("alt text over %d characters; cutting it", ALT_TEXT_LIMIT)
    return result[: ALT_TEXT_LIMIT - 1].rsplit(" ", 1)[0] + ELLIPSIS
