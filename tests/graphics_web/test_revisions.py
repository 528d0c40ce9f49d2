"""Published myth/fact pairs have revisions: a live pair keeps its approved text and cards
while an edit waits for an admin; only admins change, withdraw or delete published pairs;
a withdrawn pair's page and cards answer 410 Gone and its card files are deleted."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.core.timeutil import to_local, utcnow
from campaign.extensions import db
from campaign.graphics import serving
from campaign.graphics.models import CardRender, FactCard, FactRevision
from campaign.graphics.services import cardfit, content, housekeeping, publication, registry
from campaign.organizers.models import Organizer

from .conftest import ARTICLE_SENTENCE, card_keys, png_size
from .pages import parse

NEW_MYTH = "Ketamine is never given in hospitals."
NEW_FACT = "In a controlled medical setting, ketamine is both safe and effective."


def _form(card: FactCard, **overrides: str) -> dict[str, str]:
    """The editor's fields for card, with some changed."""
    data = {
        "myth": card.myth,
        "fact": card.fact,
        "source_quote": card.source_quote,
        "source_title": card.source_title,
        "slug": card.slug,
        "preview_preset": "square",
        "action": "save",
    }
    data.update(overrides)
    return data


def _reload(card: FactCard) -> FactCard:
    db.session.expire_all()
    fresh = db.session.get(FactCard, card.id)
    assert fresh is not None
    return fresh


def _revisions(card: FactCard) -> list[FactRevision]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(FactRevision)
            .where(FactRevision.fact_card_id == card.id)
            .order_by(FactRevision.id)
        )
    )


def _fact_keys(client: FlaskClient, slug: str) -> list[str]:
    page = client.get(f"/facts/{slug}")
    assert page.status_code == 200
    return card_keys(page.get_data(as_text=True))


def _text(html: str) -> str:
    """The words of an HTML fragment in reading order."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _item(html: str, card: FactCard) -> str:
    """The words of one pair's entry in the editor list."""
    match = re.search(rf'<li class="content-item card" id="fact-{card.id}">(.*?)</li>', html, re.S)
    assert match, f"pair {card.id} not listed"
    return _text(match.group(1))


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]* id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def _sign_out(client: FlaskClient) -> None:
    client.post("/manage/logout")


@pytest.fixture
def live(add_fact: Callable[..., FactCard]) -> FactCard:
    """An approved pair whose link has been shared."""
    return add_fact(approved=True, myth="Ketamine is only ever a party drug.")


def _propose(client: FlaskClient, card: FactCard, **changes: str) -> Any:
    return client.post(f"/manage/content/{card.id}/edit", data=_form(card, **changes))


# --- An organizer's edit waits; the shared link keeps the approved text and cards ---------


def test_an_organizers_edit_leaves_the_live_page_and_cards_until_an_admin_approves(
    client, anon, login_as, organizer, admin, live
):
    old_myth, slug = live.myth, live.slug
    old_keys = _fact_keys(anon, slug)
    for key in old_keys:
        assert anon.get(f"/cards/{key}.png").status_code == 200

    login_as(organizer)
    response = _propose(client, live, myth=NEW_MYTH)
    assert response.status_code == 303
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "keeps the approved version until an admin approves your edit" in flashed

    # The shared link: still 200, still the approved text, still the approved cards.
    card = _reload(live)
    assert card.is_approved and card.myth == old_myth
    page = anon.get(f"/facts/{slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert old_myth in html and NEW_MYTH not in html
    assert card_keys(html) == old_keys
    for key in old_keys:
        assert anon.get(f"/cards/{key}.png").status_code == 200
    gallery = anon.get("/facts").get_data(as_text=True)
    assert old_myth in gallery and NEW_MYTH not in gallery
    home = anon.get("/").get_data(as_text=True)
    assert old_myth in home and NEW_MYTH not in home
    (revision,) = _revisions(live)
    assert revision.status == "pending" and revision.myth == NEW_MYTH
    assert revision.proposed_by_id == organizer.id

    _sign_out(client)
    login_as(admin)
    approve = client.post(
        f"/manage/content/{live.id}/edit/approve", data={"revision_id": str(revision.id)}
    )
    assert approve.status_code == 303
    assert "public page and its cards now show it" in client.get(
        approve.headers["Location"]
    ).get_data(as_text=True)

    card = _reload(live)
    assert card.myth == NEW_MYTH and card.is_approved
    assert card.approved_by_id == admin.id
    assert _revisions(live)[0].status == "approved"
    assert _revisions(live)[0].decided_by_id == admin.id
    page = anon.get(f"/facts/{slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert NEW_MYTH in html and old_myth not in html
    new_keys = card_keys(html)
    assert new_keys and not set(new_keys) & set(old_keys), "the cards switch too"
    for key in new_keys:
        assert anon.get(f"/cards/{key}.png").status_code == 200
    assert NEW_MYTH in anon.get("/facts").get_data(as_text=True)
    assert NEW_MYTH in anon.get("/").get_data(as_text=True)


def test_the_editor_shows_the_live_version_and_the_pending_edit_with_who_and_when(
    client, login_as, organizer, admin, live
):
    login_as(organizer)
    _propose(client, live, fact=NEW_FACT)
    item = _item(client.get("/manage/content").get_data(as_text=True), live)
    assert "approved" in item and "edit waiting for approval" in item
    assert f"proposed by {organizer.name} on " in item
    assert "See the edit" in item

    editor = client.get(f"/manage/content/{live.id}/edit")
    assert editor.status_code == 200
    page = editor.get_data(as_text=True)
    doc = parse(page)
    section = _section(page, "pending")
    words = _text(section)
    # Who proposed it and when (in the campaign's zone, with its abbreviation).
    assert re.search(
        rf"Proposed by {organizer.name} on \w{{3}} \d{{1,2}} \w{{3}} \d{{4}}, \d\d:\d\d [A-Z]{{3}}",
        words,
    ), words
    assert "Live version" in words and "Pending edit" in words
    assert live.fact in words and NEW_FACT in words
    changed = re.findall(r'revision__text--changed">(.*?)</div>', section, re.S)
    assert [_text(c) for c in changed] == ["Fact changed " + NEW_FACT], "only what changed"
    pending = doc.by_id("pending")
    assert pending is not None
    # An organizer sees no approve or discard button.
    assert "/edit/approve" not in editor.get_data(as_text=True)
    # The form holds the pending text, so a further change builds on it.
    assert doc.by_id("fact").all_text == NEW_FACT
    # Both cards are shown: the live one from its public URL, the pending one privately.
    images = {img.attrs["alt"]: img.attrs["src"] for img in pending.find_all("img")}
    assert images["The live card"].startswith("/cards/")
    pending_src = images["The card with the pending edit"]
    assert pending_src.startswith(f"/manage/content/{live.id}/card.png?")
    picture = client.get(pending_src)
    assert picture.status_code == 200 and png_size(picture.get_data()) == (1200, 630)
    assert picture.headers["Cache-Control"] == "private, no-cache"
    again = client.get(pending_src, headers={"If-None-Match": picture.headers["ETag"]})
    assert again.status_code == 304

    _sign_out(client)
    login_as(admin)
    editor = client.get(f"/manage/content/{live.id}/edit").get_data(as_text=True)
    assert f'action="/manage/content/{live.id}/edit/approve"' in editor
    assert f'action="/manage/content/{live.id}/edit/discard"' in editor
    assert "Review the edit" in client.get("/manage/content").get_data(as_text=True)


def test_the_private_card_needs_a_sign_in_and_a_pending_edit(
    client, anon, login_as, organizer, live
):
    assert anon.get(f"/manage/content/{live.id}/card.png?version=saved").status_code == 302
    login_as(organizer)
    assert client.get(f"/manage/content/{live.id}/card.png?version=pending").status_code == 404
    assert client.get(f"/manage/content/{live.id}/card.png?preset=huge").status_code == 404
    assert client.get(f"/manage/content/{live.id}/card.png?version=other").status_code == 404


def test_a_draft_is_shown_to_organizers_without_a_public_card_url(
    client, login_as, organizer, add_fact
):
    draft = add_fact(myth="A draft nobody has approved yet.")
    login_as(organizer)
    listing = client.get("/manage/content").get_data(as_text=True)
    assert card_keys(listing) == [], "a draft has no public card URL"
    thumb = parse(listing).by_id(f"fact-{draft.id}").find_all("img")[0].attrs["src"]
    assert thumb.startswith(f"/manage/content/{draft.id}/card.png?")
    assert client.get(thumb).status_code == 200
    assert db.session.scalars(select(CardRender)).all() == []


def test_a_proposal_that_does_not_fit_is_refused_with_how_much_to_cut(
    client, login_as, organizer, live, campaign
):
    login_as(organizer)
    long_fact = "Ketamine is given in a controlled medical setting with care. " * 8
    cut = cardfit.fit_problems(campaign, live.myth, " ".join(long_fact.split()), live.source_title)
    response = _propose(client, live, fact=long_fact)
    assert response.status_code == 400
    assert f"cut {cut['fact']} character" in response.get_data(as_text=True)
    assert _revisions(live) == [], "nothing proposed"
    # The live preview works on a published pair's text as on a new one.
    preview = client.post("/manage/content/preview", data=_form(live, fact=NEW_FACT))
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    too_long = client.post("/manage/content/preview", data=_form(live, fact=long_fact))
    assert too_long.status_code == 422 and too_long.get_json()["cut"]["fact"] == cut["fact"]


def test_a_newer_proposal_replaces_the_pending_one(
    client, login_as, organizer, live, make_organizer
):
    other = make_organizer("kim.organizer@example.org")
    login_as(organizer)
    _propose(client, live, myth=NEW_MYTH)
    _sign_out(client)
    login_as(other)
    editor = client.get(f"/manage/content/{live.id}/edit").get_data(as_text=True)
    assert NEW_MYTH in editor, "the form starts from the pending edit"
    _propose(client, live, myth=NEW_MYTH, fact=NEW_FACT)
    first, second = _revisions(live)
    assert first.status == "superseded"
    assert second.status == "pending" and second.proposed_by_id == other.id
    assert (second.myth, second.fact) == (NEW_MYTH, NEW_FACT)
    # Saving the pending text again, or the live text, proposes nothing new.
    _propose(client, live, myth=NEW_MYTH, fact=NEW_FACT)
    _propose(client, live)
    assert [r.status for r in _revisions(live)] == ["superseded", "pending"]
    assert _reload(live).myth != NEW_MYTH


def test_an_admin_discards_a_pending_edit(client, anon, login_as, organizer, admin, live):
    old_myth = live.myth
    login_as(organizer)
    _propose(client, live, myth=NEW_MYTH)
    (revision,) = _revisions(live)
    _sign_out(client)
    login_as(admin)
    response = client.post(
        f"/manage/content/{live.id}/edit/discard",
        data={"revision_id": str(revision.id)},
        follow_redirects=True,
    )
    assert "Edit discarded" in response.get_data(as_text=True)
    (revision,) = _revisions(live)
    assert revision.status == "discarded" and revision.decided_by_id == admin.id
    assert _reload(live).myth == old_myth
    assert old_myth in anon.get(f"/facts/{live.slug}").get_data(as_text=True)
    editor = client.get(f"/manage/content/{live.id}/edit").get_data(as_text=True)
    assert 'id="pending"' not in editor
    history = _text(_section(editor, "history"))
    assert f"{organizer.name} proposed a change; discarded by {admin.name}" in history


def test_an_admins_own_edit_is_published_at_once(client, anon, login_as, admin, live):
    old_keys = _fact_keys(anon, live.slug)
    login_as(admin)
    response = _propose(client, live, myth=NEW_MYTH)
    assert "Published" in client.get(response.headers["Location"]).get_data(as_text=True)
    card = _reload(live)
    assert card.myth == NEW_MYTH and card.is_approved and card.approved_by_id == admin.id
    (revision,) = _revisions(live)
    assert revision.status == "approved" and revision.decided_by_id == admin.id
    html = anon.get(f"/facts/{live.slug}").get_data(as_text=True)
    assert NEW_MYTH in html and not set(card_keys(html)) & set(old_keys)
    # Old card URLs keep working for link previews that cached them.
    assert anon.get(f"/cards/{old_keys[0]}.png").status_code == 200


def test_an_admin_saving_over_a_pending_edit_replaces_it(client, login_as, organizer, admin, live):
    login_as(organizer)
    _propose(client, live, myth=NEW_MYTH)
    _sign_out(client)
    login_as(admin)
    _propose(client, live, myth="Ketamine is never used by doctors.")
    statuses = [(r.status, r.myth) for r in _revisions(live)]
    assert statuses == [
        ("superseded", NEW_MYTH),
        ("approved", "Ketamine is never used by doctors."),
    ]
    assert _reload(live).myth == "Ketamine is never used by doctors."


def test_approving_a_replaced_edit_is_refused(
    client, login_as, organizer, admin, live, make_organizer
):
    """The admin approves what they looked at, not a newer proposal that arrived meanwhile."""
    login_as(organizer)
    _propose(client, live, myth=NEW_MYTH)
    (seen,) = _revisions(live)
    _propose(client, live, myth="A newer proposal the admin has not seen.")
    _sign_out(client)
    login_as(admin)
    response = client.post(
        f"/manage/content/{live.id}/edit/approve",
        data={"revision_id": str(seen.id)},
        follow_redirects=True,
    )
    assert "no longer the pending one" in response.get_data(as_text=True)
    card = _reload(live)
    assert card.myth == "Ketamine is only ever a party drug."
    assert [r.status for r in _revisions(live)] == ["superseded", "pending"]
    for bad in ("", "x1", "12345678901234567890"):
        assert (
            client.post(f"/manage/content/{live.id}/edit/approve", data={"revision_id": bad})
        ).status_code == 400
    assert _reload(live).myth == "Ketamine is only ever a party drug."


def test_a_pending_edit_that_stopped_fitting_is_not_approved(
    client, login_as, organizer, admin, live, campaign
):
    login_as(organizer)
    assert _propose(client, live, fact=NEW_FACT).status_code == 303
    (revision,) = _revisions(live)
    campaign.disclaimer = "Educational content, not medical advice. " * 9
    db.session.commit()
    assert cardfit.fit_problems(campaign, revision.myth, revision.fact, revision.source_title)
    _sign_out(client)
    login_as(admin)
    response = client.post(
        f"/manage/content/{live.id}/edit/approve",
        data={"revision_id": str(revision.id)},
        follow_redirects=True,
    )
    assert re.search(r"pending edit no longer fits.*cut \d+ character", response.get_data(True))
    assert _revisions(live)[0].status == "pending"
    assert _reload(live).fact != revision.fact


# --- Organizers cannot change, approve, withdraw or delete what has been public -----------


@pytest.fixture
def withdrawn(add_fact: Callable[..., FactCard], admin: Organizer) -> FactCard:
    """A pair that was public and has been withdrawn."""
    card = add_fact(approved=True, myth="A myth the campaign took back.")
    publication.withdraw_fact(card, admin, utcnow())
    db.session.commit()
    return card


@pytest.mark.parametrize("which", ["live", "withdrawn"])
def test_forged_posts_from_an_organizer_change_nothing(
    request, client, anon, login_as, organizer, make_organizer, campaign, which
):
    card: FactCard = request.getfixturevalue(which)
    # A pending edit from another organizer, that this one will try to decide on.
    other = make_organizer("kim.organizer@example.org")
    proposal = content.ContentInput(NEW_MYTH, NEW_FACT, card.source_quote, card.source_title)
    assert publication.save_fact(campaign, card, proposal, other, utcnow()) == publication.PROPOSED
    db.session.commit()
    pending = publication.pending_revision(card)
    assert pending is not None
    before = (card.myth, card.slug, card.is_approved, card.withdrawn_at)
    public_before = anon.get(f"/facts/{card.slug}").status_code
    assert public_before == (200 if which == "live" else 410)

    login_as(organizer)
    listing = client.get("/manage/content").get_data(as_text=True)
    item = parse(listing).by_id(f"fact-{card.id}")
    assert item is not None
    forms = [f.attrs.get("action", "") for f in item.find_all("form")]
    assert not [a for a in forms if a.endswith(("/delete", "/approve", "/unapprove"))]
    assert "Propose a change" in _item(listing, card)

    revision = {"revision_id": str(pending.id)}
    assert client.post(f"/manage/content/{card.id}/edit/approve", data=revision).status_code == 404
    assert client.post(f"/manage/content/{card.id}/edit/discard", data=revision).status_code == 404
    assert client.post(f"/manage/content/{card.id}/approve").status_code == 404
    assert client.post(f"/manage/content/{card.id}/unapprove").status_code == 404
    refused = client.post(f"/manage/content/{card.id}/delete", follow_redirects=True)
    assert "only an admin can delete it" in refused.get_data(as_text=True)
    renamed = _propose(client, card, slug="a-new-address")
    assert renamed.status_code == 400
    assert "links already shared keep working" in renamed.get_data(as_text=True)
    # Editing proposes; it never changes the pair itself.
    _propose(client, card, myth="An organizer's forged change.")

    fresh = _reload(card)
    assert (fresh.myth, fresh.slug, fresh.is_approved, fresh.withdrawn_at) == before
    assert fresh.deleted_at is None
    assert anon.get(f"/facts/{card.slug}").status_code == public_before
    statuses = [(r.status, r.proposed_by_id) for r in _revisions(card)]
    assert statuses[-1] == ("pending", organizer.id)


def test_a_draft_stays_editable_and_deletable_by_organizers(client, login_as, organizer, add_fact):
    draft = add_fact()
    draft_id = draft.id
    login_as(organizer)
    _propose(client, draft, myth=NEW_MYTH, slug="new-address")
    card = _reload(draft)
    assert (card.myth, card.slug) == (NEW_MYTH, "new-address")
    assert _revisions(draft) == [], "a draft changes directly"
    client.post(f"/manage/content/{draft_id}/delete")
    assert db.session.get(FactCard, draft_id) is None


# --- Withdrawal: the page says so (410), card files are deleted, card URLs answer 410 -----


def _card_files(app: Any, keys: list[str]) -> list[str]:
    store = registry.card_store()
    return [key for key in keys if store.path(key).exists()]


def test_a_withdrawn_pair_answers_410_and_its_cards_are_gone(
    app, client, anon, login_as, admin, live, campaign
):
    old_keys = _fact_keys(anon, live.slug)
    for key in old_keys:  # rendered and stored
        assert anon.get(f"/cards/{key}.png").status_code == 200
    login_as(admin)
    _propose(client, live, myth=NEW_MYTH)  # an approved edit: both texts had public cards
    new_keys = _fact_keys(anon, live.slug)
    for key in new_keys:
        assert anon.get(f"/cards/{key}.png").status_code == 200
    every_key = old_keys + new_keys
    assert _card_files(app, every_key) == every_key

    response = client.post(f"/manage/content/{live.id}/unapprove", follow_redirects=True)
    assert "card files are deleted" in response.get_data(as_text=True)
    assert _card_files(app, every_key) == [], "every card file of the pair is deleted"

    page = anon.get(f"/facts/{live.slug}")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    words = _text(html)
    assert "This myth-and-fact card was withdrawn" in words
    day = to_local(_reload(live).withdrawn_at, campaign.timezone)
    assert f"took this card off its site on {day.day} {day:%B %Y}" in words
    assert "See the current myths and facts" in words
    assert campaign.disclaimer in html
    assert NEW_MYTH not in html, "the withdrawn text is not shown"
    assert '<meta name="robots" content="noindex">' in html
    assert NEW_MYTH not in anon.get("/facts").get_data(as_text=True)

    for key in every_key:
        gone = anon.get(f"/cards/{key}.png")
        assert gone.status_code == 410, key
        assert gone.mimetype == "text/plain" and b"withdrawn" in gone.get_data()
        assert "immutable" not in gone.headers["Cache-Control"]
        cached = anon.get(f"/cards/{key}.png", headers={"If-None-Match": f'"{key}"'})
        assert cached.status_code == 410, "a client's stored copy is not confirmed"
        assert anon.head(f"/cards/{key}.png").status_code == 410
    assert _card_files(app, every_key) == [], "answering 410 rendered nothing"
    # A pair that never existed is still plain 404.
    assert anon.get("/facts/no-such-pair").status_code == 404


def test_the_stored_card_layer_answers_410_without_the_view_and_drops_a_late_file(
    app, client, anon, admin, live, monkeypatch
):
    keys = _fact_keys(anon, live.slug)
    first = anon.get(f"/cards/{keys[0]}.png")
    assert first.status_code == 200
    stored = registry.card_store().path(keys[0])
    publication.withdraw_fact(_reload(live), admin, utcnow())
    db.session.commit()
    assert not stored.exists()
    # A render that raced the withdrawal left the file behind.
    stored.write_bytes(first.get_data())

    def fail(key: str):  # type: ignore[no-untyped-def]
        raise AssertionError("the Flask view ran for a withdrawn card")

    monkeypatch.setitem(app.view_functions, "graphics.card", fail)
    gone = anon.get(f"/cards/{keys[0]}.png")
    assert gone.status_code == 410
    assert gone.headers["X-Content-Type-Options"] == "nosniff"
    assert not stored.exists(), "the stored-card layer deletes a file it finds"


def test_the_view_answers_410_for_a_card_not_stored_and_renders_nothing(
    app, anon, admin, live, monkeypatch
):
    keys = _fact_keys(anon, live.slug)  # registered, never rendered
    publication.withdraw_fact(_reload(live), admin, utcnow())
    db.session.commit()

    def no_render(spec, preset):  # type: ignore[no-untyped-def]
        raise AssertionError("a withdrawn card was rendered")

    monkeypatch.setattr(serving, "render_png", no_render)  # served_card looks it up there
    for key in keys:
        assert anon.get(f"/cards/{key}.png").status_code == 410
    with pytest.raises(serving.CardWithdrawn):
        serving.served_card(keys[0])


def test_publishing_again_brings_the_page_and_cards_back(client, anon, login_as, admin, live):
    keys = _fact_keys(anon, live.slug)
    login_as(admin)
    client.post(f"/manage/content/{live.id}/unapprove")
    assert anon.get(f"/facts/{live.slug}").status_code == 410
    listing = client.get("/manage/content").get_data(as_text=True)
    assert "withdrawn" in _item(listing, live)
    assert "Publish again" in _item(listing, live)
    client.post(f"/manage/content/{live.id}/approve")
    assert _fact_keys(anon, live.slug) == keys
    for key in keys:
        assert anon.get(f"/cards/{key}.png").status_code == 200


def test_prune_keeps_a_withdrawn_cards_answer_and_not_its_file(app, anon, admin, live):
    keys = _fact_keys(anon, live.slug)
    anon.get(f"/cards/{keys[0]}.png")
    publication.withdraw_fact(_reload(live), admin, utcnow())
    db.session.commit()
    store = registry.card_store()
    store.write(keys[0], b"left behind")
    housekeeping.prune(utcnow() + timedelta(days=90))
    db.session.commit()
    assert not store.path(keys[0]).exists()
    assert anon.get(f"/cards/{keys[0]}.png").status_code == 410


def test_an_admin_deletes_a_published_pair_and_its_links_say_withdrawn(
    client, anon, login_as, admin, live, runner, campaign
):
    keys = _fact_keys(anon, live.slug)
    login_as(admin)
    response = client.post(f"/manage/content/{live.id}/delete", follow_redirects=True)
    assert "tell visitors the pair was withdrawn" in response.get_data(as_text=True)
    assert live.myth not in client.get("/manage/content").get_data(as_text=True)
    assert client.get(f"/manage/content/{live.id}/edit").status_code == 404
    assert anon.get(f"/facts/{live.slug}").status_code == 410
    assert all(anon.get(f"/cards/{k}.png").status_code == 410 for k in keys)
    # The address is never reused for other content.
    data = content.ContentInput(
        myth="Another myth.",
        fact="Another fact.",
        source_quote=ARTICLE_SENTENCE,
        source_title=live.source_title,
        slug=live.slug,
    )
    other = content.create_fact(campaign, data)
    assert other.slug != live.slug


def test_cards_registered_before_the_migration_are_claimed_when_withdrawn(app, anon, admin, live):
    """A card row without its pair (registered before cards named one) still goes."""
    keys = _fact_keys(anon, live.slug)
    anon.get(f"/cards/{keys[0]}.png")
    db.session.execute(
        CardRender.__table__.update().values(fact_card_id=None)  # type: ignore[attr-defined]
    )
    db.session.commit()
    publication.withdraw_fact(_reload(live), admin, utcnow())
    db.session.commit()
    assert anon.get(f"/cards/{keys[0]}.png").status_code == 410
    assert not registry.card_store().path(keys[0]).exists()


def test_two_proposals_at_once_leave_one_pending_edit(app, live, make_organizer, campaign):
    """Each save closes the pending edit it finds under a lock: never two pending, no error."""
    import threading

    authors = [make_organizer(f"writer{n}@example.org").id for n in range(4)]
    card_id, campaign_id = live.id, campaign.id
    start = threading.Barrier(len(authors))
    errors: list[BaseException] = []

    def propose(author_id: int) -> None:
        try:
            with app.app_context():
                card = db.session.get(FactCard, card_id)
                author = db.session.get(Organizer, author_id)
                target = db.session.get(type(campaign), campaign_id)
                data = content.ContentInput(
                    f"Myth proposed by writer {author_id}.",
                    card.fact,
                    card.source_quote,
                    card.source_title,
                )
                start.wait()
                publication.save_fact(target, card, data, author, utcnow())
                db.session.commit()
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=propose, args=(a,)) for a in authors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    db.session.rollback()  # end this thread's read snapshot
    statuses = sorted(r.status for r in _revisions(live))
    assert statuses == ["pending"] + ["superseded"] * (len(authors) - 1)


def test_an_approved_edit_to_a_withdrawn_pair_stays_off_the_site_until_published_again(
    client, anon, login_as, organizer, admin, withdrawn
):
    login_as(organizer)
    assert _propose(client, withdrawn, myth=NEW_MYTH).status_code == 303
    (revision,) = _revisions(withdrawn)
    _sign_out(client)
    login_as(admin)
    response = client.post(
        f"/manage/content/{withdrawn.id}/edit/approve",
        data={"revision_id": str(revision.id)},
        follow_redirects=True,
    )
    assert "still not public" in response.get_data(as_text=True)
    assert _reload(withdrawn).myth == NEW_MYTH
    assert anon.get(f"/facts/{withdrawn.slug}").status_code == 410
    client.post(f"/manage/content/{withdrawn.id}/approve")
    page = anon.get(f"/facts/{withdrawn.slug}")
    assert page.status_code == 200 and NEW_MYTH in page.get_data(as_text=True)
