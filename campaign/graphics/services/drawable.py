"""Text the cards cannot draw, refused where it is typed: a card is never drawn with
characters missing. Forms of every feature that put text on a card use this."""

from __future__ import annotations

from campaign import cardrender


def undrawable_message(text: str) -> str | None:
    """A field message naming the characters no bundled font can draw, or None."""
    missing = cardrender.undrawable_characters(text)
    if not missing:
        return None
    named = ", ".join(cardrender.describe_character(ch) for ch in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    if len(missing) == 1:
        return f"Our share cards cannot draw this character: {named}. Remove or replace it."
    return f"Our share cards cannot draw these characters: {named}{more}. Remove or replace them."
