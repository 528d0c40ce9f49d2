"""Card alt text kept on disk between starts, as the rendered cards are.

A card's alt text names every word drawn on it, so working it out lays the card out in
every font size it tries: about 40 ms and 13 MiB of font data for an event page's four
cards. Every start of the app paid that again for the first page it rendered (the
warm-up's, in the master gunicorn forks its workers from), although the text depends only
on what the card key already covers (spec, preset, fonts, renderer version) and on
cardrender.ALT_TEXT_VERSION. So each text is kept under instance/cards/alt/ by card key
and that version: a per-host cache like the card files, which any host can rebuild, and
a folder that cannot be read or written only means the text is worked out again.

Cards that show a registrant's name are never kept: their text holds the name, and it
must go when the name does (registry.set_name_on_card).
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app

from campaign import cardrender
from campaign.cardrender import ALT_TEXT_VERSION, CardSpec
from campaign.graphics.storage import CardStore

log = logging.getLogger(__name__)


def alt_store() -> CardStore:
    """The directory of kept alt texts, one file per card key and ALT_TEXT_VERSION."""
    root = Path(current_app.instance_path) / "cards" / "alt"
    return CardStore(root, suffix=f".v{ALT_TEXT_VERSION}.txt")


def any_text_kept() -> bool:
    """Whether this host keeps any card's alt text for this ALT_TEXT_VERSION (not on a new
    host or instance folder, nor after the version is raised)."""
    store = alt_store()
    try:
        return next(store.directory.glob(f"*{store.suffix}"), None) is not None
    except OSError:
        return False


def card_alt(spec: CardSpec, preset: str, key: str | None) -> str:
    """The card's alt text: as kept on disk under the card's key, or worked out (and kept).
    key None: a card that names someone, worked out every time and never kept."""
    if key is None:
        return cardrender.alt_text(spec, preset)
    store = alt_store()
    try:
        kept = store.read(key)
    except OSError as exc:
        log.warning("card alt text not read: %s", type(exc).__name__)
        kept = None
    if kept:
        try:
            return kept.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("card alt text %s unreadable; working it out again", key)
    text = cardrender.alt_text(spec, preset)
    try:
        store.write(key, text.encode("utf-8"))
    except OSError as exc:
        log.warning("card alt text not kept: %s", type(exc).__name__)
    return text


def delete_alt(key: str) -> int:
    """Delete a card's kept alt text (its card is withdrawn or pruned); 1 if there was one."""
    return int(alt_store().delete(key))
