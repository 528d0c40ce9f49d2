"""Alt text: built from the card's own data, every drawn word in it, at most 420 characters."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.cardrender.alt import ALT_TEXT_LIMIT, alt_text
from campaign.cardrender.keys import ALT_TEXT_VERSION
from campaign.cardrender.rendering import TextDoesNotFit, render_with_report
from campaign.cardrender.specs import PRESETS, CardSpec

from .conftest import KINDS, PROPERTY_SETTINGS, drawn_words, sample_spec, scripted_text


def assert_holds_drawn_words(spec: CardSpec, preset: str, text: str) -> None:
    report = render_with_report(spec, preset)[1]
    alt_words = set(drawn_words(text))
    for run in report.runs:
        for word in drawn_words(run.text):
            assert word in alt_words, (run.field, word, text)


@pytest.mark.parametrize("kind", KINDS)
def test_alt_text_holds_every_word_on_every_preset(kind: str) -> None:
    spec = sample_spec(kind)
    text = alt_text(spec)
    assert len(text) <= ALT_TEXT_LIMIT
    for preset in PRESETS:
        assert_holds_drawn_words(spec, preset, text)
        per_preset = alt_text(spec, preset)
        assert len(per_preset) <= ALT_TEXT_LIMIT
        assert_holds_drawn_words(spec, preset, per_preset)


def test_alt_text_reads_naturally() -> None:
    assert alt_text(sample_spec("countdown", days=1)).startswith(
        "1 day to National Ketamine Day. Saturday 12 December 2026."
    )
    assert alt_text(sample_spec("countdown", days=0)).startswith("Today is National Ketamine Day.")
    assert alt_text(sample_spec("attending")).startswith("Priya is attending: Understanding")
    myth_fact = alt_text(sample_spec("myth_fact"))
    # The fact leads in the alt text too, as on the card.
    assert myth_fact.startswith("Fact: When administered in a controlled medical setting")
    assert "safe and effective. Myth: Ketamine is only a recreational party drug." in myth_fact
    assert "Source: Understanding the Mechanism of Ketamine in Reducing Anxiety Symptoms." in (
        myth_fact
    )
    assert "not medical advice" in myth_fact


def test_labels_come_from_the_spec() -> None:
    labels = {"fact": "Dato", "myth": "Mito", "source": "Fuente:"}
    text = alt_text(sample_spec("myth_fact", labels=labels))
    assert text.startswith("Dato: When") and "Mito: Ketamine" in text and "Fuente: " in text
    spanish = {"attending_other": "{name} asistirá", "attending_self": "Asistiré"}
    assert alt_text(sample_spec("attending", labels=spanish)).startswith("Priya asistirá:")
    assert alt_text(sample_spec("attending", first_name=None, labels=spanish)).startswith(
        "Asistiré:"
    )


def test_omitted_name_is_not_in_the_alt_text() -> None:
    text = alt_text(sample_spec("attending", first_name="สมชาย"))
    assert text.startswith("I’m attending:")
    assert "ส" not in text


def test_long_title_uses_the_drawn_words_to_stay_within_the_limit() -> None:
    title = " ".join(f"word{n}" for n in range(120))
    spec = sample_spec("event", title=title, place_text="Hall " * 60)
    text = alt_text(spec)
    assert len(text) <= ALT_TEXT_LIMIT
    for preset in PRESETS:
        assert_holds_drawn_words(spec, preset, text)
    og_only = alt_text(spec, "og")
    assert len(og_only) <= len(text)
    assert_holds_drawn_words(spec, "og", og_only)


LONG_SOURCE = (
    "Understanding the Mechanism of Ketamine in Reducing Anxiety Symptoms, a plain-language "
    "explainer"
)
LONG_DISCLAIMER = (
    "Educational content, not medical advice. Talk to a healthcare provider before any treatment."
)
LONG_FACT = (
    "If you are struggling with anxiety, consider talking to a healthcare provider about the "
    "potential benefits of ketamine treatment."
)


def test_myth_fact_alt_text_over_budget_is_refused() -> None:
    spec = sample_spec(
        "myth_fact", fact=LONG_FACT, source_title=LONG_SOURCE, disclaimer=LONG_DISCLAIMER
    )
    for preset in PRESETS:  # the card itself fits ...
        render_with_report(spec, preset)
    with pytest.raises(TextDoesNotFit) as caught:  # ... but its words do not fit 420 characters
        alt_text(spec)
    assert caught.value.field == "alt_text" and caught.value.overflow_chars > 0


def test_cut_campaign_name_keeps_only_its_drawn_words() -> None:
    long_name = "National Ketamine Day " * 12
    spec = sample_spec("myth_fact", campaign_name=long_name)
    text = alt_text(spec)
    assert len(text) <= ALT_TEXT_LIMIT
    for preset in PRESETS:
        assert_holds_drawn_words(spec, preset, text)


@PROPERTY_SETTINGS
@given(
    kind=st.sampled_from(("event", "attending", "countdown")),
    preset=st.sampled_from(tuple(PRESETS)),
    words=scripted_text(18),
)
def test_alt_text_holds_drawn_words_for_any_text(kind: str, preset: str, words: str) -> None:
    field = {"event": "title", "attending": "event_title", "countdown": "tagline"}[kind]
    spec = sample_spec(kind, **{field: words})
    text = alt_text(spec, preset)
    assert len(text) <= ALT_TEXT_LIMIT
    assert_holds_drawn_words(spec, preset, text)


ALT_GOLDEN = Path(__file__).resolve().parent / "golden" / "alt_texts.json"


def test_a_change_to_the_texts_raises_their_version() -> None:
    """Pages keep alt texts on disk by card key and ALT_TEXT_VERSION: texts that change
    under the same version would leave every host showing the old ones."""
    texts = {
        f"{kind}-{preset}": alt_text(sample_spec(kind), preset)
        for kind in KINDS
        for preset in PRESETS
    }
    if os.environ.get("UPDATE_GOLDEN") == "1":
        record = {"version": ALT_TEXT_VERSION, "texts": texts}
        ALT_GOLDEN.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
        pytest.skip(f"{ALT_GOLDEN.name} rewritten")
    record = json.loads(ALT_GOLDEN.read_text())
    if record["version"] == ALT_TEXT_VERSION:
        assert record["texts"] == texts, (
            "alt texts changed: raise cardrender.ALT_TEXT_VERSION, then rewrite "
            f"{ALT_GOLDEN.name} with UPDATE_GOLDEN=1"
        )
    else:
        pytest.fail(f"ALT_TEXT_VERSION changed: rewrite {ALT_GOLDEN.name} with UPDATE_GOLDEN=1")
