"""The default myth-versus-fact content: shape, length, verbatim sources, and it renders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from campaign.cardrender.alt import ALT_TEXT_LIMIT, alt_text
from campaign.cardrender.rendering import check_myth_fact_fits

from .conftest import CAMPAIGN, DISCLAIMER, HASHTAG, sample_spec

CONTENT = Path(__file__).resolve().parents[2] / "assets" / "content" / "myths.json"
TITLE = "Understanding the Mechanism of Ketamine in Reducing Anxiety Symptoms"


@pytest.fixture(scope="module")
def content() -> dict:
    return json.loads(CONTENT.read_text(encoding="utf-8"))


def test_content_shape(content: dict) -> None:
    # The article states its title only: no author, publisher, date or address is invented.
    assert content["source"] == {"title": TITLE}
    items = content["items"]
    assert len(items) >= 7
    slugs = [item["slug"] for item in items]
    assert len(set(slugs)) == len(slugs)
    for item in items:
        assert {"slug", "myth", "fact", "source_quote"} <= set(item)
        assert set(item) <= {"slug", "myth", "fact", "source_quote", "reason"}
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


def test_reasons_and_the_call_to_action_are_the_articles_words(
    content: dict, article_text: str
) -> None:
    reasons = [item["reason"] for item in content["items"] if "reason" in item]
    assert reasons
    for reason in reasons:
        assert reason in article_text
    cta = content["call_to_action"]
    assert cta["source_quote"] in article_text
    assert "healthcare provider" in cta["text"]


def test_findings_of_the_review_are_fixed(content: dict) -> None:
    """The five items the review named keep their conditions, stand alone, or go."""
    by_slug = {item["slug"]: item for item in content["items"]}
    weeks = by_slug["weeks-to-work"]["fact"]
    # Either the comparison with its hedge, or no comparison at all.
    assert ("Unlike" not in weeks) or ("which can take weeks" in weeks)
    watches = by_slug["no-one-watches"]["fact"].lower()
    assert "typical" in watches and "under professional supervision" in watches
    assert "not-worth-asking" not in by_slug  # advice is the call to action, not a "Fact"
    assert not by_slug["one-size-fits-all"]["fact"].startswith("The tailored approach")
    never = by_slug["effects-never-last"]
    assert "potentially" in never["fact"] and "always" not in never["myth"]
    for item in content["items"]:
        assert not re.match(r"(The|This|It|That)\b", item["fact"]), item["slug"]
        assert not re.match(r"(If you|Consider|Talk|Ask)\b", item["fact"]), item["slug"]


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
