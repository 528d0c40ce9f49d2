"""/manage/content: add, edit, refuse what does not fit, approve, reorder; only approved is
public. Edits to published pairs (revisions) and withdrawal: test_revisions.py."""

from __future__ import annotations

import re

from sqlalchemy import select

from campaign.extensions import db
from campaign.graphics.models import FactCard
from campaign.graphics.services import cardfit, publication

from .conftest import png_size

QUOTE = (
    "However, when administered in a controlled medical setting, ketamine is both safe and "
    "effective."
)
TITLE = "Understanding the Mechanism of Ketamine in Reducing Anxiety Symptoms"


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "myth": "Ketamine is only ever a party drug.",
        "fact": "In a controlled medical setting, ketamine is both safe and effective.",
        "source_quote": QUOTE,
        "slug": "",
        "preview_preset": "og",
        "action": "save",
    }
    data.update(overrides)
    return data


def _cards() -> list[FactCard]:
    db.session.expire_all()
    return list(db.session.scalars(select(FactCard).order_by(FactCard.position)))


def test_the_editor_needs_a_signed_in_organizer(client, campaign, source):
    response = client.get("/manage/content")
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]


def test_an_organizer_adds_a_pair_that_is_not_public_yet(
    client, login_as, organizer, campaign, source
):
    login_as(organizer)
    page = client.get("/manage/content/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert TITLE in html, "the source title is filled in for new pairs"
    response = client.post("/manage/content/new", data=_form())
    assert response.status_code == 303
    (card,) = _cards()
    assert card.slug == "ketamine-is-only-ever-a-party-drug"
    assert card.is_approved is False
    assert card.source_quote == QUOTE
    assert "ketamine-is-only-ever" not in client.get("/facts").get_data(as_text=True)
    assert client.get(f"/facts/{card.slug}").status_code == 404
    listing = client.get("/manage/content").get_data(as_text=True)
    assert "not approved" in listing and "Ketamine is only ever a party drug." in listing


def test_text_that_does_not_fit_is_refused_with_how_much_to_cut(
    client, login_as, organizer, campaign, source
):
    login_as(organizer)
    long_fact = "Ketamine is given in a controlled medical setting with care. " * 8
    cut = cardfit.fit_problems(campaign, _form()["myth"], long_fact.strip(), TITLE)
    assert cut.get("fact", 0) > 0
    response = client.post("/manage/content/new", data=_form(fact=long_fact))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    n = cut["fact"]
    assert f"cut {n} character" in html
    # The message sits next to the fact field and is tied to it for screen readers.
    assert re.search(r'id="fact-error"[^>]*>[^<]*cut \d+ characters?', html)
    assert 'aria-describedby="fact-hint fact-error"' in html
    assert _cards() == [], "nothing saved, nothing cut silently"


def test_a_long_myth_is_refused_too(client, login_as, organizer, campaign, source):
    login_as(organizer)
    response = client.post("/manage/content/new", data=_form(myth="Ketamine myth words " * 12))
    assert response.status_code == 400
    assert re.search(r'id="myth-error"[^>]*>[^<]*cut \d+ characters?', response.get_data(True))


def test_missing_fields_are_explained(client, login_as, organizer, campaign, source):
    login_as(organizer)
    response = client.post("/manage/content/new", data=_form(myth="", source_quote=""))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Write the myth" in html and "Paste the sentence" in html


def test_saving_without_changes_keeps_approval(client, login_as, organizer, add_fact):
    card = add_fact(approved=True)
    login_as(organizer)
    client.post(
        f"/manage/content/{card.id}/edit",
        data=_form(
            myth=card.myth,
            fact=card.fact,
            source_quote=card.source_quote,
            slug=card.slug,
        ),
    )
    assert _cards()[0].is_approved is True
    assert publication.pending_revision(card) is None, "no edit to approve"


def test_only_an_admin_approves(client, login_as, organizer, admin, add_fact):
    card = add_fact()
    login_as(organizer)
    listing = client.get("/manage/content").get_data(as_text=True)
    assert f"/manage/content/{card.id}/approve" not in listing
    assert client.post(f"/manage/content/{card.id}/approve").status_code == 404
    assert _cards()[0].is_approved is False
    client.post("/manage/logout")

    login_as(admin)
    assert f"/manage/content/{card.id}/approve" in client.get("/manage/content").get_data(True)
    response = client.post(f"/manage/content/{card.id}/approve")
    assert response.status_code == 303
    (approved,) = _cards()
    assert approved.is_approved and approved.approved_by_id == admin.id
    assert approved.approved_at is not None
    gallery = client.get("/facts").get_data(as_text=True)
    assert approved.myth in gallery
    client.post(f"/manage/content/{card.id}/unapprove")
    assert _cards()[0].is_approved is False
    assert approved.myth not in client.get("/facts").get_data(as_text=True)


def test_an_organizer_cannot_delete_a_public_pair(client, login_as, organizer, add_fact):
    public, draft = add_fact(approved=True), add_fact()
    login_as(organizer)
    client.post(f"/manage/content/{public.id}/delete")
    client.post(f"/manage/content/{draft.id}/delete")
    assert [c.id for c in _cards()] == [public.id]


def test_reorder_with_up_and_down(client, login_as, organizer, add_fact):
    a, b, c = add_fact(), add_fact(), add_fact()
    login_as(organizer)
    client.post(f"/manage/content/{c.id}/up")
    assert [x.id for x in _cards()] == [a.id, c.id, b.id]
    client.post(f"/manage/content/{a.id}/down")
    assert [x.id for x in _cards()] == [c.id, a.id, b.id]
    client.post(f"/manage/content/{c.id}/up")  # already first: nothing moves
    assert [x.id for x in _cards()] == [c.id, a.id, b.id]


def test_the_live_preview_renders_unsaved_text(client, login_as, organizer, campaign, source):
    login_as(organizer)
    response = client.post("/manage/content/preview", data=_form(preview_preset="og"))
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert png_size(response.get_data()) == (1200, 630)
    assert response.headers["Cache-Control"] == "no-store"
    too_long = client.post(
        "/manage/content/preview", data=_form(fact="Controlled medical setting words. " * 12)
    )
    assert too_long.status_code == 422
    body = too_long.get_json()
    assert "cut" in body["errors"]["fact"] and body["cut"]["fact"] > 0
    assert _cards() == []


def test_the_preview_button_works_without_javascript(client, login_as, organizer, campaign, source):
    login_as(organizer)
    response = client.post("/manage/content/new", data=_form(action="preview"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'src="data:image/png;base64,' in html
    assert _cards() == [], "previewing saves nothing"


def test_pairs_of_another_campaign_are_404(client, login_as, organizer, add_fact):
    card = add_fact()
    login_as(organizer)
    assert client.get(f"/manage/content/{card.id + 1000}/edit").status_code == 404


def test_load_content_command_adds_missing_pairs(runner, campaign, source):
    result = runner.invoke(args=["cards", "load-content"])
    assert result.exit_code == 0, result.output
    cards = _cards()
    assert len(cards) >= 7 and not any(c.is_approved for c in cards)
    again = runner.invoke(args=["cards", "load-content", "--approve"])
    assert "Added 0" in again.output
    assert len(_cards()) == len(cards)


def test_seed_demo_publishes_the_default_content(runner, app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    cards = _cards()
    assert len(cards) >= 7 and all(c.is_approved for c in cards)
    assert all(c.source_title == TITLE and c.source_quote for c in cards)


def test_a_pair_that_stops_fitting_leaves_the_site_but_not_the_editor(
    client, login_as, admin, campaign, add_fact
):
    card = add_fact(approved=True)
    assert client.get(f"/facts/{card.slug}").status_code == 200
    campaign.disclaimer = "Educational content, not medical advice. " * 9
    db.session.commit()
    assert cardfit.fit_problems(campaign, card.myth, card.fact, card.source_title)
    gallery = client.get("/facts")
    assert gallery.status_code == 200 and card.myth not in gallery.get_data(as_text=True)
    assert client.get(f"/facts/{card.slug}").status_code == 404
    assert client.get("/").status_code == 200
    login_as(admin)
    listing = client.get("/manage/content")
    assert listing.status_code == 200
    assert "no longer fits every card size" in listing.get_data(as_text=True)
    editor = client.get(f"/manage/content/{card.id}/edit")
    assert editor.status_code == 200
    assert re.search(r"cut \d+ characters?", editor.get_data(as_text=True))
    assert client.post(f"/manage/content/{card.id}/unapprove").status_code == 303
    refused = client.post(f"/manage/content/{card.id}/approve", follow_redirects=True)
    assert "no longer fits" in refused.get_data(as_text=True)
