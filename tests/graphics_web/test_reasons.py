"""A pair's reason (a sentence of its source, copied exactly, on why the myth is wrong) and
the campaign's call to action (the source's advice): loaded, checked against the source,
edited through revisions, shown on the pages and passed to the cards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.models import FactCard, FactRevision
from campaign.graphics.services import cardspecs, content

from .conftest import ARTICLE_SENTENCE
from .pages import parse

# Sentences of the campaign's article (assets/content/source-article.txt).
REASON = (
    "There are several misconceptions about ketamine, often rooted in its history as a "
    "recreational drug."
)
OTHER_REASON = (
    "Such effects have spurred further research into ketamine’s potential, including "
    "studies assessing its long-term impact on anxiety and depression."
)
NOT_IN_SOURCE = REASON.replace("several", "many")


def _pairs() -> int:
    return db.session.scalar(select(func.count()).select_from(FactCard)) or 0


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "myth": "Ketamine never needs therapy.",
        "fact": "Ketamine treatment is most effective when combined with therapy.",
        "source_quote": ARTICLE_SENTENCE,
        "reason": REASON,
        "slug": "",
        "preview_preset": "og",
        "action": "save",
    }
    data.update(overrides)
    return data


def _copy_content(tmp_path: Path, change) -> Path:
    """The content file and its article copied to tmp_path, the JSON changed by change."""
    data = json.loads(content.CONTENT_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "myths.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    article = content.CONTENT_FILE.parent / "source-article.txt"
    (tmp_path / "source-article.txt").write_text(
        article.read_text(encoding="utf-8"), encoding="utf-8"
    )
    return path


def test_the_content_file_loads_every_reason_and_the_call_to_action(app, campaign):
    file = content.read_content_file()
    content.load_content(campaign, utcnow())
    db.session.commit()
    reasons = {c.slug: c.reason for c in db.session.scalars(select(FactCard))}
    assert reasons == {item["slug"]: item.get("reason", "") for item in file.items}
    assert reasons["party-drug-only"] == REASON
    assert file.call_to_action is not None
    assert campaign.call_to_action == file.call_to_action["text"]


def test_load_refuses_a_reason_not_in_the_source_naming_the_pair(app, campaign, tmp_path):
    def change(data):
        data["items"][0]["reason"] = NOT_IN_SOURCE

    path = _copy_content(tmp_path, change)
    slug = json.loads(path.read_text(encoding="utf-8"))["items"][0]["slug"]
    with pytest.raises(content.ContentError, match=f"“{slug}”, reason") as caught:
        content.load_content(campaign, utcnow(), path=path)
    assert "The nearest sentence there is: “There are several misconceptions" in str(caught.value)
    db.session.rollback()
    assert _pairs() == 0


def test_load_refuses_a_call_to_action_not_in_the_source(app, campaign, tmp_path):
    def change(data):
        data["call_to_action"]["source_quote"] = "Ask your neighbour about ketamine."

    path = _copy_content(tmp_path, change)
    with pytest.raises(content.ContentError, match="call to action"):
        content.load_content(campaign, utcnow(), path=path)
    db.session.rollback()
    assert _pairs() == 0
    assert campaign.call_to_action == ""


def test_the_editor_saves_a_reason_from_the_source(client, login_as, organizer, source):
    login_as(organizer)
    response = client.post("/manage/content/new", data=_form())
    assert response.status_code == 303
    (pair,) = db.session.scalars(select(FactCard))
    assert pair.reason == REASON
    assert cardspecs.fact_spec(pair).reason == REASON
    assert client.post("/manage/content/new", data=_form(reason="", slug="b")).status_code == 303
    assert db.session.scalar(select(FactCard).where(FactCard.slug == "b")).reason == ""


def test_the_editor_refuses_a_reason_not_in_the_source_naming_the_nearest_sentence(
    client, login_as, organizer, source
):
    login_as(organizer)
    response = client.post("/manage/content/new", data=_form(reason=NOT_IN_SOURCE))
    assert response.status_code == 400
    error = parse(response.get_data(as_text=True)).by_id("reason-error")
    assert error is not None
    assert "is not in “Understanding the Mechanism of Ketamine" in error.all_text
    assert "The nearest sentence there is: “There are several misconceptions" in error.all_text
    assert _pairs() == 0, "nothing saved"


def test_the_editor_refuses_a_reason_the_cards_cannot_draw(client, login_as, organizer, source):
    login_as(organizer)
    response = client.post("/manage/content/new", data=_form(reason=f"{REASON} ส"))
    assert response.status_code == 400
    error = parse(response.get_data(as_text=True)).by_id("reason-error")
    assert error is not None and "U+0E2A THAI CHARACTER SO SUA" in error.all_text
    response = client.post("/manage/content/new", data=_form(reason=f"{REASON}\x07"))
    assert response.status_code == 400
    assert _pairs() == 0


def test_a_proposed_reason_waits_for_approval_then_goes_live(
    client, anon, login_as, organizer, admin, add_fact
):
    live = add_fact(approved=True, myth="Ketamine is only ever a party drug.")
    fields = {
        "myth": live.myth,
        "fact": live.fact,
        "source_quote": live.source_quote,
        "slug": live.slug,
    }
    login_as(organizer)
    response = client.post(
        f"/manage/content/{live.id}/edit", data=_form(**fields, reason=OTHER_REASON)
    )
    assert response.status_code == 303
    db.session.expire_all()
    (revision,) = db.session.scalars(select(FactRevision))
    assert revision.is_pending and revision.reason == OTHER_REASON
    assert db.session.get(FactCard, live.id).reason == ""
    assert "Such effects have spurred" not in anon.get(f"/facts/{live.slug}").get_data(as_text=True)
    editor = client.get(f"/manage/content/{live.id}/edit").get_data(as_text=True)
    assert "Such effects have spurred" in editor, "the form shows the pending reason"
    client.post("/manage/logout")
    login_as(admin)
    response = client.post(
        f"/manage/content/{live.id}/edit/approve", data={"revision_id": str(revision.id)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(FactCard, live.id).reason == OTHER_REASON
    page = anon.get(f"/facts/{live.slug}").get_data(as_text=True)
    assert "Such effects have spurred" in page


def test_pages_show_the_reason_after_the_myth_and_end_on_the_call_to_action(anon, content):
    pair = next(c for c in content if c.slug == "party-drug-only")
    no_reason = next(c for c in content if not c.reason)
    call = pair.campaign.call_to_action
    assert call.startswith("Struggling with anxiety?")
    for url in ("/facts", f"/facts/{pair.slug}"):
        html = anon.get(url).get_data(as_text=True)
        page = parse(html)
        item = page.by_id(pair.slug)
        assert item is not None
        words = item.all_text
        assert words.index(pair.fact) < words.index(pair.myth) < words.index(REASON)
        assert "Why it is wrong" in words
        assert html.count('class="call-to-action"') == 1
        assert call in html.replace("&#39;", "'")
        assert html.index(call) > html.index(pair.myth)
        assert "Educational content, not medical advice" in html
    other = parse(anon.get(f"/facts/{no_reason.slug}").get_data(as_text=True))
    item = other.by_id(no_reason.slug)
    assert item is not None and "Why it is wrong" not in item.all_text


def test_cards_get_the_reason_and_the_call_to_action(content):
    pair = next(c for c in content if c.slug == "party-drug-only")
    spec = cardspecs.fact_spec(pair)
    assert spec.reason == REASON
    assert spec.call_to_action == pair.campaign.call_to_action
    plain = next(c for c in content if not c.reason)
    assert cardspecs.fact_spec(plain).reason == ""
