"""`flask cards render-all` and `flask cards prune`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics import serving
from campaign.graphics.models import CardRender
from campaign.graphics.services import cardspecs, refs, registry


@pytest.fixture
def fast_render(monkeypatch):
    """Count renders and skip the drawing (these tests are about what gets rendered)."""
    calls: list[tuple[str, str]] = []

    def fake(spec, preset):
        calls.append((spec.kind, preset))
        return b"\x89PNG\r\n\x1a\nfake"

    monkeypatch.setattr(cardspecs, "render_png", fake)  # `flask cards render-all`
    monkeypatch.setattr(serving, "render_png", fake)  # served_card (GET /cards/<key>.png)
    return calls


def test_render_all_renders_every_current_card_once(
    runner, campaign, add_fact, make_organizer, make_event, fast_render
):
    add_fact(approved=True)
    add_fact()  # not approved: not rendered
    make_event(make_organizer())
    result = runner.invoke(args=["cards", "render-all"])
    assert result.exit_code == 0, result.output
    # one pair, the countdown, the event card and its anonymous attending card, 4 sizes each
    assert "16 current cards, 16 to render" in result.output
    assert "Rendering cards" in result.output
    assert sorted({kind for kind, _ in fast_render}) == [
        "attending",
        "countdown",
        "event",
        "myth_fact",
    ]
    assert len(fast_render) == 16
    store = registry.card_store()
    keys = set(db.session.scalars(select(CardRender.key)))
    assert len(keys) == 16 and store.keys() == keys
    again = runner.invoke(args=["cards", "render-all"])
    assert "16 current cards, 0 to render" in again.output
    assert len(fast_render) == 16


def test_prune_keeps_current_and_recent_cards(
    runner, client, campaign, add_fact, make_organizer, make_event, fast_render
):
    event = make_event(make_organizer(), title="First title")
    client.get(f"/events/{event.slug}")
    old = refs.event_refs(event)
    for ref in old.values():
        client.get(ref.url)
    event.title = "Second title"
    db.session.commit()
    current = refs.event_refs(event)
    db.session.commit()
    for ref in current.values():
        client.get(ref.url)

    result = runner.invoke(args=["cards", "prune"])
    assert result.exit_code == 0, result.output
    store = registry.card_store()
    assert all(store.read(r.key) for r in old.values()), "recently replaced cards are kept"

    db.session.execute(
        update(CardRender)
        .where(CardRender.key.in_([r.key for r in old.values()]))
        .values(referenced_at=utcnow() - timedelta(days=40))
    )
    db.session.commit()
    result = runner.invoke(args=["cards", "prune"])
    # Each of the 4 old cards: its PNG and its kept alt text (no thumbnail was asked for).
    assert "Deleted 8 files and 4 stale keys" in result.output
    assert not any(store.read(r.key) for r in old.values())
    assert all(store.read(r.key) for r in current.values()), "current cards are never deleted"
    assert client.get(old["og"].url).status_code == 404
    assert client.get(current["og"].url).status_code == 200
