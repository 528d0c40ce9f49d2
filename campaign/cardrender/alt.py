"""Alt text for share cards, built from the same data and layout as the drawing."""

from __future__ import annotations

import logging
import unicodedata

from .kinds import plan_card
from .kinds.countdown import countdown_words
from .plan import TextDoesNotFit
from .specs import PRESETS, AttendingCard, CardSpec, CountdownCard, EventCard, MythFactCard
from .text.fitting import ELLIPSIS
from .text.fonts import strip_missing

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
    "address",
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
    """The alt text for a card given the text of each field (absent fields are not drawn)."""
    brand = _join([texts.get("campaign_name", ""), texts.get("hashtag", "")])
    address = _sentence(texts.get("address", ""))
    if isinstance(spec, MythFactCard):
        source = texts["source_title"]
        if texts.get("source_address"):
            source += f" ({texts['source_address']})"
        return _join(
            [
                f"{spec.label('fact')}: {_sentence(texts['fact'])}",
                f"{spec.label('myth')}: {_sentence(texts['myth'])}",
                _sentence(texts.get("reason", "")),
                f"{spec.label('source')} {_sentence(source)}",
                _sentence(texts.get("call_to_action", "")),
                _sentence(texts["disclaimer"]),
                address,
                brand,
            ]
        )
    if isinstance(spec, EventCard):
        qr = texts.get("qr_caption", "")
        lead = texts.get("details_at", "")
        return _join(
            [
                _sentence(texts["title"]),
                _sentence(texts["when_text"]),
                _sentence(texts["place_text"]),
                f"{spec.label('qr_code')} {_sentence(qr)}" if qr else "",
                f"{lead} {address}" if lead and address else address,
                brand,
            ]
        )
    if isinstance(spec, AttendingCard):
        name = texts.get("first_name", "")
        if name and not name_omitted:
            who = spec.label("attending_other").replace("{name}", name)
        else:
            who = spec.label("attending_self")
        return _join(
            [
                f"{who}: {_sentence(texts['event_title'])}",
                _sentence(texts["when_text"]),
                _sentence(texts["place_text"]),
                address,
                brand,
            ]
        )
    if isinstance(spec, CountdownCard):
        big, joiner = countdown_words(spec)
        return _join(
            [
                _sentence(f"{big} {joiner} {texts['countdown_name']}"),
                _sentence(texts["day_text"]),
                _sentence(texts["tagline"]),
                address,
                brand,
            ]
        )
    raise TypeError(f"not a card spec: {type(spec).__name__}")


def myth_fact_words(spec: MythFactCard, *, reason: bool, call_to_action: bool) -> int:
    """Characters of the card's alt text with or without its optional parts (all drawn)."""
    texts = _full_texts(spec)
    if not reason:
        texts.pop("reason", None)
    if not call_to_action:
        texts.pop("call_to_action", None)
    return len(_compose(spec, texts, False))


def _full_texts(spec: CardSpec) -> dict[str, str]:
    """Every field's text before any truncation (undrawable characters removed)."""
    texts: dict[str, str] = {}
    for name in ("campaign_name", "hashtag"):
        texts[name] = strip_missing(getattr(spec, name))
    texts["address"] = strip_missing(spec.address_text)
    if isinstance(spec, MythFactCard):
        for name in (
            "myth",
            "fact",
            "reason",
            "source_title",
            "source_address",
            "call_to_action",
            "disclaimer",
        ):
            texts[name] = strip_missing(getattr(spec, name))
    elif isinstance(spec, EventCard):
        for name in ("title", "when_text", "place_text"):
            texts[name] = strip_missing(getattr(spec, name))
        texts["qr_caption"] = spec.label("scan")
        texts["details_at"] = spec.label("details_at")
    elif isinstance(spec, AttendingCard):
        for name in ("event_title", "when_text", "place_text"):
            texts[name] = strip_missing(getattr(spec, name))
        texts["first_name"] = " ".join((spec.first_name or "").split())
    elif isinstance(spec, CountdownCard):
        texts["countdown_name"] = texts["campaign_name"]
        texts["day_text"] = strip_missing(spec.day_text)
        texts["tagline"] = strip_missing(spec.tagline)
    return texts


# Fields that some presets leave off: named in the alt text only if drawn.
OPTIONAL = ("reason", "call_to_action", "qr_caption", "details_at", "hashtag", "campaign_name")


def _drawn_texts(spec: CardSpec, presets: list[str]) -> tuple[dict[str, str], bool, set[str]]:
    """For each truncatable field, the longest version drawn on any of `presets`; whether
    the name was left off; and which fields were drawn at all."""
    drawn: dict[str, str] = {}
    name_omitted = False
    fields: set[str] = set()
    for preset in presets:
        plan = plan_card(spec, preset)
        name_omitted = name_omitted or plan.name_omitted
        fields.update(op.field for op in plan.texts)
        for op in plan.texts:
            if op.field in TRUNCATABLE:
                text = (
                    op.fitted.text.removesuffix(ELLIPSIS)
                    if op.fitted.truncated
                    else (op.fitted.text)
                )
                if len(text) > len(drawn.get(op.field, "")):
                    drawn[op.field] = text + (ELLIPSIS if op.fitted.truncated else "")
    return drawn, name_omitted, fields


def alt_text(spec: CardSpec, preset_name: str | None = None) -> str:
    """Alt text holding every word drawn on the card, at most 420 characters.

    With a preset, it describes that rendering; without, every preset (the union of their
    words). Long fields are first replaced by the text actually drawn (titles may be cut
    with "…" on the card); a myth/fact card whose words cannot fit in 420 characters raises
    TextDoesNotFit("alt_text", overflow), like text that does not fit on the card.
    """
    presets = [preset_name] if preset_name else list(PRESETS)
    texts = _full_texts(spec)
    drawn, name_omitted, fields = _drawn_texts(spec, presets)
    if name_omitted:
        texts.pop("first_name", None)
    for name in OPTIONAL:
        if name not in fields:
            texts.pop(name, None)
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
