"""Card alt text kept on disk by card key (campaign.graphics.services.alt_memo): the text a
page shows is the kept one, a later start reads it instead of laying the card out, a card
with a registrant's name is never kept, and what cannot be read or written only means the
text is worked out again. Kept texts go with their card (withdrawal, prune)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from campaign import cardrender
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.services import (
    alt_memo,
    cardspecs,
    housekeeping,
    publication,
    refs,
    registry,
)
from campaign.graphics.services.refs import attending_refs, event_refs, fact_refs
from tests.graphics.conftest import sample_spec

from .conftest import meta


@pytest.fixture(autouse=True)
def _fresh_memory():
    """Each test starts, as a new process does, with no alt text in memory."""
    refs._alt.cache_clear()
    yield
    refs._alt.cache_clear()


def _kept(key: str) -> str | None:
    data = alt_memo.alt_store().read(key)
    return None if data is None else data.decode()


def test_the_page_shows_the_kept_text_and_a_new_start_reads_it(
    app, anon, make_organizer, make_event
):
    event = make_event(make_organizer(), title="Walk and Talk")
    html = anon.get(f"/events/{event.slug}").get_data(as_text=True)
    og = event_refs(event)["og"]
    assert _kept(og.key) == og.alt == cardrender.alt_text(cardspecs.event_spec(event), "og")
    assert meta(html, "og:image:alt") == og.alt

    alt_memo.alt_store().write(og.key, b"Kept from an earlier start.")
    refs._alt.cache_clear()
    assert event_refs(event)["og"].alt == "Kept from an earlier start."


def test_a_card_with_a_name_is_never_kept(app, make_organizer, make_event, register_person):
    event = make_event(make_organizer(), title="Walk and Talk")
    registration = register_person(event, "Zephyrine Example", "z@example.org")
    refs_before = attending_refs(registration)
    assert "Zephyrine" not in refs_before["square"].alt  # not opted in: no name drawn
    registry.set_name_on_card(registration, True)
    db.session.commit()
    named = attending_refs(registration)
    assert "Zephyrine" in named["square"].alt
    folder = alt_memo.alt_store().directory
    kept = [p.read_text() for p in folder.iterdir()] if folder.exists() else []
    assert kept and not any("Zephyrine" in text for text in kept)


def test_an_unreadable_or_unwritable_folder_only_means_working_it_out(app, caplog):
    card = sample_spec("event")
    expected = cardrender.alt_text(card, "square")
    key = "a" * 32
    store = alt_memo.alt_store()
    store.directory.parent.mkdir(parents=True, exist_ok=True)
    store.directory.write_text("not a folder")  # nothing can be read or written under it
    with caplog.at_level(logging.WARNING):
        assert alt_memo.card_alt(card, "square", key) == expected
    assert "not kept" in caplog.text
    store.directory.unlink()

    store.directory.mkdir()
    store.path(key).mkdir()  # a directory where the file should be: unreadable
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert alt_memo.card_alt(card, "square", key) == expected
    assert "not read" in caplog.text
    store.path(key).rmdir()

    store.write(key, b"\xff\xfe not utf-8")
    assert alt_memo.card_alt(card, "square", key) == expected
    assert _kept(key) == expected, "an unreadable text is replaced"

    assert alt_memo.card_alt(card, "square", None) == expected
    assert sorted(p.name for p in store.directory.iterdir() if not p.name.startswith(".")) == [
        f"{key}.v{cardrender.ALT_TEXT_VERSION}.txt"
    ]


def test_kept_texts_go_with_their_card(app, client, anon, admin, content, make_event):
    pair = content[0]
    client.get("/facts")
    key = fact_refs(pair)["square"].key
    assert _kept(key) is not None
    publication.withdraw_fact(pair, admin, utcnow())
    db.session.commit()
    assert _kept(key) is None, "withdrawn with the pair's cards"

    event = make_event(admin, title="Walk and Talk")
    anon.get(f"/events/{event.slug}")
    old = event_refs(event)["og"].key
    assert _kept(old) is not None
    event.title = "Walk and Talk in the Park"  # the old card is no longer current
    db.session.commit()
    housekeeping.prune(utcnow() + timedelta(days=1), keep_days=0)
    db.session.commit()
    assert _kept(old) is None, "pruned with the card"
