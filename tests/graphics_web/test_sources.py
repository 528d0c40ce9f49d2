"""Sources as data: a pair's quote must occur in its source's text; sources are kept by
organizers and shown to the public; the source's title and address go on cards and in
share texts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.models import FactCard, Source
from campaign.graphics.services import cardspecs, content, sources
from campaign.graphics.services.refs import fact_refs
from campaign.graphics.services.sharing import fact_share_text

from .conftest import ARTICLE_SENTENCE
from .pages import parse

MADE_UP = "Ketamine cures anxiety in every patient after a single dose."


def _pairs() -> int:
    return db.session.scalar(select(func.count()).select_from(FactCard)) or 0


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "myth": "Ketamine never needs therapy.",
        "fact": "Ketamine treatment is most effective when combined with therapy.",
        "source_quote": ARTICLE_SENTENCE,
        "slug": "",
        "preview_preset": "og",
        "action": "save",
    }
    data.update(overrides)
    return data


def test_a_quote_not_in_the_source_is_refused_naming_the_nearest_sentence(
    client, login_as, organizer, campaign, source
):
    login_as(organizer)
    near = ARTICLE_SENTENCE.replace("most effective", "always effective")
    response = client.post("/manage/content/new", data=_form(source_quote=near))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = parse(html).by_id("source_quote-error")
    assert error is not None
    assert "is not in “Understanding the Mechanism of Ketamine" in error.all_text
    assert "The nearest sentence there is: “Ketamine treatment is most effective" in error.all_text
    assert _pairs() == 0, "nothing saved"
    with pytest.raises(content.ContentInvalid) as caught:
        content.create_fact(campaign, content.ContentInput("A myth.", "A fact.", MADE_UP))
    assert set(caught.value.errors) == {"source_quote"}


def test_whitespace_quotes_and_dashes_are_normalised(campaign, source):
    pasted = ARTICLE_SENTENCE.replace("therapy,", "therapy ,").replace(" ", "  \n ")
    assert not sources.quote_in_text(pasted, source.text), "words still have to match"
    curly = "There are several misconceptions about ketamine, often rooted in its history"
    assert sources.quote_in_text(curly.replace(" ", "\n  "), source.text)
    assert sources.quote_in_text("ketamine’s potential", source.text)
    assert sources.quote_in_text("ketamine's potential", source.text)
    assert sources.quote_in_text("ketamine‘s potential", source.text)
    assert sources.quote_in_text("N–methyl—D-aspartate", source.text)
    assert not sources.quote_in_text("", source.text)


def test_a_pair_records_its_source_and_the_card_shows_its_address(campaign, source, add_fact):
    source.url = "https://www.example.org/articles/ketamine-anxiety/"
    db.session.commit()
    pair = add_fact(approved=True)
    assert pair.source_id == source.id and pair.source_title == source.title
    spec = cardspecs.fact_spec(pair)
    assert spec.source_address == "example.org/articles/ketamine-anxiety"
    assert spec.address == f"campaign.example.org/facts/{pair.slug}"
    text = fact_share_text(pair, campaign)
    assert text.startswith(f"Fact: {pair.fact} Myth: {pair.myth}")
    assert campaign.disclaimer in text
    assert text.endswith(f"{source.url} {campaign.hashtag}")


def test_an_organizer_adds_a_source_and_bad_input_changes_nothing(
    client, login_as, organizer, campaign
):
    login_as(organizer)
    assert client.get("/manage/sources/new").status_code == 200
    bad = {"title": "", "text": "  ", "url": "example.org/x", "published_on": ""}
    response = client.post("/manage/sources/new", data=bad)
    assert response.status_code == 400
    page = parse(response.get_data(as_text=True))
    assert "Give the source its title" in page.by_id("title-error").all_text
    assert "Paste the source's full text" in page.by_id("text-error").all_text
    assert "https://" in page.by_id("url-error").all_text
    response = client.post("/manage/sources/new", data={**bad, "published_on": "31/02/2026"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Source)) == 0
    good = {
        "title": "A review",
        "author": "A Publisher",
        "published_on": "2026-03-01",
        "url": "https://example.org/review",
        "text": "First sentence. Second sentence!\n\nA new paragraph.",
    }
    assert client.post("/manage/sources/new", data=good).status_code == 303
    (row,) = db.session.scalars(select(Source))
    assert (row.title, row.author, row.published_on) == (
        "A review",
        "A Publisher",
        date(2026, 3, 1),
    )
    listing = client.get("/manage/sources").get_data(as_text=True)
    assert "A review" in listing and "0 pairs cite it" in listing


def test_a_source_public_cards_cite_changes_only_by_an_admin_and_keeps_its_quotes(
    client, login_as, organizer, admin, campaign, source, add_fact
):
    pair = add_fact(approved=True)
    form = {
        "title": source.title,
        "author": "",
        "published_on": "",
        "url": "",
        "text": source.text,
    }
    login_as(organizer)
    response = client.post(f"/manage/sources/{source.id}/edit", data={**form, "author": "X"})
    assert response.status_code == 403
    assert "only an admin" in response.get_data(as_text=True)
    client.post("/manage/logout")
    login_as(admin)
    cut = source.text.replace(ARTICLE_SENTENCE, "")
    response = client.post(f"/manage/sources/{source.id}/edit", data={**form, "text": cut})
    assert response.status_code == 400
    assert f"The pair “{pair.slug}” quotes a sentence" in response.get_data(as_text=True)
    db.session.expire_all()
    assert ARTICLE_SENTENCE in db.session.get(Source, source.id).text
    renamed = {**form, "title": "Ketamine and anxiety", "url": "https://example.org/k"}
    assert client.post(f"/manage/sources/{source.id}/edit", data=renamed).status_code == 303
    db.session.expire_all()
    assert db.session.get(FactCard, pair.id).source_title == "Ketamine and anxiety"
    assert cardspecs.fact_spec(db.session.get(FactCard, pair.id)).source_address == "example.org/k"


def test_facts_links_each_source_to_its_full_text(client, content):
    html = client.get("/facts").get_data(as_text=True)
    source_id = content[0].source_id
    assert source_id is not None
    link = f"/facts/sources/{source_id}"
    assert html.count(f'href="{link}"') == len(content) + 1  # the head and every pair
    page = client.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert ARTICLE_SENTENCE.split(",")[0] in text
    assert "Educational content, not medical advice" in text
    assert all(pair.fact in text for pair in content)
    assert client.get("/facts/sources/99999").status_code == 404


def test_a_source_no_public_card_cites_is_not_public(client, campaign, source, add_fact):
    add_fact()  # a draft
    assert client.get(f"/facts/sources/{source.id}").status_code == 404


def test_the_content_file_passes_the_check_and_a_bad_one_adds_nothing(app, campaign, tmp_path):
    assert content.load_content(campaign, utcnow()) == len(content.read_content_file().items)
    db.session.rollback()
    data = json.loads(content.CONTENT_FILE.read_text(encoding="utf-8"))
    data["items"][-1]["source_quote"] = MADE_UP
    bad = tmp_path / "myths.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "source-article.txt").write_text(
        (content.CONTENT_FILE.parent / "source-article.txt").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with pytest.raises(content.ContentError, match=data["items"][-1]["slug"]):
        content.load_content(campaign, utcnow(), path=Path(bad))
    db.session.rollback()
    assert _pairs() == 0


def test_gallery_cards_share_one_type_size_per_preset(client, content):
    html = client.get("/facts").get_data(as_text=True)
    specs = cardspecs.set_specs(content)
    pins = {spec.type_sizes for spec in specs.values()}
    assert len(pins) == 1 and len(next(iter(pins))) == 4, "one fact and myth size per preset"
    for pair in content:
        assert f"/cards/{fact_refs(pair)['square'].key}/w360.webp" in html
