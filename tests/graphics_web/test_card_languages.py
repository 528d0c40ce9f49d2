"""Cards in the visitor's language: the graphics web layer hands the pure renderer its
words as plain labels; English cards keep the specs, keys and bytes they had; each
language's cards have keys of their own, and a visitor's repeat asks hit the same ones."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from campaign.cardrender import LABEL_DEFAULTS, alt_text, render
from campaign.core.timeutil import to_local, utcnow
from campaign.extensions import db
from campaign.graphics.services import cardspecs
from campaign.graphics.services.cardlabels import card_labels
from campaign.graphics.services.registry import card_key
from campaign.i18n.web import in_locale

from ..graphics.test_ocr import ocr


def _fact_spec(card, locale: str):
    with in_locale(locale):
        return cardspecs.fact_spec(card)


def test_english_cards_carry_no_labels(app, content) -> None:
    with in_locale("en"):
        assert card_labels() == ()
        spec = cardspecs.fact_spec(content[0])
    assert spec.labels == ()
    assert alt_text(spec, "square").startswith("Fact: ")


def test_spanish_cards_carry_spanish_words(app, campaign, content) -> None:
    campaign.disclaimer = app.config["DEFAULT_DISCLAIMER"]  # the catalog's text
    db.session.commit()
    spec = _fact_spec(content[0], "es")
    labels = dict(spec.labels)
    assert (labels["fact"], labels["myth"], labels["source"]) == ("Dato", "Mito", "Fuente:")
    assert set(labels) <= set(LABEL_DEFAULTS)
    alt = alt_text(spec, "square")
    assert alt.startswith("Dato: ") and " Mito: " in alt and " Fuente: " in alt
    # The health line in the visitor's language, on the card and in its alt text.
    assert "no sustituye el consejo médico" in spec.disclaimer
    assert "no sustituye el consejo médico" in alt


def test_each_language_has_its_own_key_and_repeats_hit_it(app, content) -> None:
    english = [card_key(_fact_spec(content[0], "en"), "og") for _ in range(2)]
    spanish = [card_key(_fact_spec(content[0], "es"), "og") for _ in range(2)]
    assert english[0] == english[1] and spanish[0] == spanish[1]
    assert english[0] != spanish[0]


def test_an_unknown_locale_gets_the_default_cards(app, content) -> None:
    assert _fact_spec(content[0], "xx") == _fact_spec(content[0], "en")


def test_countdown_and_event_cards_in_spanish(app, campaign, make_event, make_organizer):
    now = utcnow()
    campaign.day = to_local(now, campaign.timezone).date()
    db.session.commit()
    with in_locale("es"):
        today = cardspecs.countdown_spec(campaign, now)
        campaign.day += timedelta(days=5)
        later = cardspecs.countdown_spec(campaign, now)
        event = make_event(make_organizer(), title="Charla")
        event_card = cardspecs.event_spec(event)
    assert today is not None and later is not None
    assert alt_text(today, "og").startswith(f"Hoy es {campaign.name}.")
    assert alt_text(later, "og").startswith(f"5 días para {campaign.name}.")
    event_alt = alt_text(event_card, "og")
    assert "Código QR: Más información." in event_alt and "Detalles en" not in event_alt[:5]
    for preset in ("og", "square", "story"):
        render(today, preset)  # "Hoy" fits where "Today" did


def test_fact_pages_in_spanish_show_spanish_cards(client, content) -> None:
    page = client.get("/facts?lang=es").get_data(as_text=True)
    assert 'alt="Dato: ' in page and "Cuadrada" in page
    english = client.get("/facts?lang=en").get_data(as_text=True)
    assert 'alt="Fact: ' in english and 'alt="Dato: ' not in english


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is installed by .ci/run")
def test_ocr_reads_the_spanish_labels(app, content) -> None:
    """The source line's label is plain text OCR reads (the Dato/Mito pills, with their
    icons, are checked through the alt text, which is built from the same labels)."""
    spanish = ocr(render(_fact_spec(content[0], "es"), "square"))
    english = ocr(render(_fact_spec(content[0], "en"), "square"))
    assert "Fuente: Understanding" in " ".join(spanish.split())
    assert "Source: Understanding" in " ".join(english.split()) and "Fuente" not in english


def test_a_spanish_card_renders_without_a_catalog_lookup(app, content, monkeypatch) -> None:
    """Labels are plain values: drawing a Spanish card reads no translation catalog, so it
    costs what an English one does, and draws the same whatever locale is active. (This
    replaces a timed bound that failed on a loaded machine: speed is bench/'s.)"""
    import gettext

    from babel import support

    spec = _fact_spec(content[1], "es")
    lookups: list[str] = []
    catalogs = (gettext.NullTranslations, gettext.GNUTranslations, support.Translations)
    for catalog in catalogs:
        for name, original in list(vars(catalog).items()):
            if name.endswith("gettext") and callable(original):

                def counted(self, *args, _original=original, _name=name):  # type: ignore[no-untyped-def]
                    lookups.append(_name)
                    return _original(self, *args)

                monkeypatch.setattr(catalog, name, counted)
    drawn = {}
    for locale in ("es", "en"):
        with in_locale(locale):
            drawn[locale] = render(spec, "og").tobytes()
    assert lookups == []
    assert drawn["es"] == drawn["en"]
