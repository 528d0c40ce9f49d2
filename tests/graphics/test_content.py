"""The default myth-versus-fact content: shape, length, verbatim sources, and it renders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from campaign.graphics.alt_text import ALT_TEXT_LIMIT, alt_text
from campaign.graphics.render import check_myth_fact_fits

from .conftest import CAMPAIGN, DISCLAIMER, HASHTAG, sample_spec

CONTENT = Path(__file__).resolve().parents[2] / "assets" / "content" / "myths.json"
TITLE = "Understanding the Mechanism of Ketamine in Reducing Anxiety Symptoms"


@pytest.fixture(scope="module")
def content() -> dict:
    return json.loads(CONTENT.read_text(encoding="utf-8"))


def test_content_shape(content: dict) -> None:
    assert content["source"] == {"title": TITLE}
    items = content["items"]
    assert len(items) >= 7
    slugs = [item["slug"] for item in items]
    assert len(set(slugs)) == len(slugs)
    for item in items:
        assert set(item) == {"slug", "myth", "fact", "source_quote"}
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", item["slug"])
        assert 0 < len(item["myth"]) <= 90
        assert 0 < len(item["fact"]) <= 200
        assert not re.search(r"\d", item["fact"]), "facts carry no numbers the article lacks"


def test_source_quotes_are_verbatim_sentences_of_the_article(
    content: dict, article_text: str
) -> None:
    assert TITLE in article_text
    for item in content["items"]:
        quote = item["source_quote"]
        assert quote in article_text, item["slug"]
        assert quote[-1] in ".!?", item["slug"]


def test_facts_use_the_articles_vocabulary(content: dict, article_text: str) -> None:
    """A cheap guard against invented claims: content words come from the article."""
    stems = {w.lower()[:5] for w in re.findall(r"[A-Za-z]+", article_text)}
    for item in content["items"]:
        words = [w for w in re.findall(r"[A-Za-z]+", item["fact"]) if len(w) > 3]
        known = sum(w.lower()[:5] in stems for w in words)
        assert known / len(words) >= 0.85, item["slug"]


def test_every_pair_fits_every_preset_and_its_alt_text(content: dict) -> None:
    for item in content["items"]:
        problems = check_myth_fact_fits(
            item["myth"], item["fact"], TITLE, DISCLAIMER, campaign_name=CAMPAIGN, hashtag=HASHTAG
        )
        assert problems == {}, (item["slug"], problems)
        spec = sample_spec("myth_fact", myth=item["myth"], fact=item["fact"])
        assert len(alt_text(spec)) <= ALT_TEXT_LIMIT
