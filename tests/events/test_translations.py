"""An event's title, summary and description per language (campaign.events.translations):
the organizer's translations section, the rules a translation follows, and what visitors
see in each language, with the note when only the default language is available."""

from __future__ import annotations

import html

import pytest

from campaign.events import translations
from campaign.events.models import EventTranslation
from campaign.extensions import db

NOTE_ES = "Esta información solo está disponible en inglés."


@pytest.fixture
def event(make_event, make_organizer):
    return make_event(
        make_organizer(email="host@example.org"),
        title="Ketamine facts night",
        summary="An evening of questions and answers.",
        description="We talk about **what the article says**.",
    )


def _add_es(event, **texts: str) -> EventTranslation:
    values = {"title": "Noche de datos", "summary": "", "description": ""} | texts
    row = translations.add_translation(event, "es", **values, supported=("en", "es"))
    db.session.commit()
    return row


def _page(client, path: str, lang: str) -> str:
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


# --- the service --------------------------------------------------------------------------


def test_localized_uses_the_translation_and_falls_back_part_by_part(app, event) -> None:
    assert tuple(translations.localized(event, "es")) == (
        "Ketamine facts night",
        "An evening of questions and answers.",
        "We talk about **what the article says**.",
        True,
    )
    _add_es(event, summary="Una tarde de preguntas y respuestas.")
    text = translations.localized(event, "es")
    assert (text.title, text.title_lang) == ("Noche de datos", "es")
    assert (text.summary, text.summary_lang) == ("Una tarde de preguntas y respuestas.", "es")
    # The blank description shows the English one, marked as English.
    assert (text.description_lang, text.is_fallback, text.source_lang) == ("en", True, "en")
    english = translations.localized(event, "en")
    assert english.title == "Ketamine facts night" and not english.is_fallback


def test_a_complete_translation_is_no_fallback(app, event) -> None:
    _add_es(event, summary="Una tarde.", description="Hablamos.")
    assert not translations.localized(event, "es").is_fallback
    many = translations.localized_many([event], "es")
    assert many[event.id].title == "Noche de datos"


@pytest.mark.parametrize("locale", ["fr", "en", "", "es-XX"])
def test_an_unknown_or_source_locale_is_refused(app, event, locale) -> None:
    with pytest.raises(translations.TranslationError):
        translations.add_translation(event, locale, "Titre", "", "", supported=("en", "es"))
    assert db.session.query(EventTranslation).count() == 0


def test_a_second_translation_in_the_same_language_is_refused(app, event) -> None:
    _add_es(event)
    with pytest.raises(translations.TranslationError, match="already"):
        translations.add_translation(event, "es", "Otra", "", "", supported=("en", "es"))
    db.session.rollback()
    assert [row.title for row in db.session.query(EventTranslation)] == ["Noche de datos"]


def test_blank_or_overlong_text_is_refused_and_changes_nothing(app, event) -> None:
    _add_es(event)
    with pytest.raises(translations.TranslationError, match="title"):
        translations.update_translation(event, "es", "  ", "", "")
    with pytest.raises(translations.TranslationError, match="control"):
        translations.update_translation(event, "es", "Noche\x00", "", "")
    with pytest.raises(translations.TranslationError, match="280"):
        translations.update_translation(event, "es", "Nuevo", "x" * 281, "")
    db.session.rollback()
    assert translations.find(event.id, "es").title == "Noche de datos"
    with pytest.raises(translations.TranslationError):
        translations.remove_translation(event, "fr")


def test_changing_a_translation_touches_the_event(app, event) -> None:
    before = event.updated_at
    _add_es(event)
    assert event.updated_at > before


# --- what visitors see ----------------------------------------------------------------------


def test_the_event_page_in_spanish_shows_the_translation(client, event) -> None:
    _add_es(event, summary="Una tarde de preguntas.", description="Hablamos del *artículo*.")
    page = _page(client, f"/events/{event.slug}", "es")
    assert "<h1>Noche de datos</h1>" in page
    assert "Una tarde de preguntas." in page and "<em>artículo</em>" in page
    assert NOTE_ES not in page and "<h1 lang" not in page
    assert "Ketamine facts night" not in page  # the share card and its alt text too


def test_the_event_page_without_a_translation_says_so(client, event) -> None:
    page = _page(client, f"/events/{event.slug}", "es")
    assert '<h1 lang="en">Ketamine facts night</h1>' in page
    assert NOTE_ES in page
    assert '<p class="lead" lang="en">An evening of questions and answers.</p>' in page
    english = _page(client, f"/events/{event.slug}", "en")
    assert "<h1>Ketamine facts night</h1>" in english and "only available" not in english


def test_a_cached_page_follows_a_new_translation(client, event) -> None:
    assert NOTE_ES in _page(client, f"/events/{event.slug}", "es")
    _add_es(event, summary="Una tarde.", description="Hablamos.")
    page = _page(client, f"/events/{event.slug}", "es")
    assert "<h1>Noche de datos</h1>" in page and NOTE_ES not in page


def test_the_listing_and_home_show_each_language(client, event) -> None:
    _add_es(event)
    for path in ("/events", "/"):
        assert ">Noche de datos</a>" in _page(client, path, "es")
        english = _page(client, path, "en")
        assert ">Ketamine facts night</a>" in english and "Noche de datos" not in english
    # The untranslated summary stays English and says so.
    listing = _page(client, "/events", "es")
    assert 'event-card__summary" lang="en">An evening' in listing


# --- the organizer's section ----------------------------------------------------------------


def _post(client, event, locale: str, remove: bool = False, **fields: str):
    data = {f"tr-{locale}-{name}": value for name, value in fields.items()}
    if remove:
        data["remove"] = "1"
    return client.post(f"/manage/events/{event.id}/translations/{locale}", data=data)


def test_an_organizer_adds_changes_and_removes_a_translation(client, event, login_as) -> None:
    login_as(event.organizer)
    edit = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'id="translations"' in edit and 'lang="es">Español</h3>' in edit
    assert "Remove translation" not in edit
    response = _post(client, event, "es", title="Noche de datos", summary="Una tarde.")
    assert response.status_code == 302
    assert translations.find(event.id, "es").summary == "Una tarde."
    edit = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="Noche de datos"' in edit and "Remove translation" in edit
    assert _post(client, event, "es", title="Noche nueva").status_code == 302
    db.session.expire_all()
    assert translations.find(event.id, "es").title == "Noche nueva"
    assert _post(client, event, "es", remove=True).status_code == 302
    assert translations.find(event.id, "es") is None


def test_the_section_refuses_bad_input(client, event, login_as, make_organizer) -> None:
    login_as(event.organizer)
    response = _post(client, event, "es", title="   ", summary="Sin título")
    assert response.status_code == 400
    assert 'id="tr-es-title-error"' in response.get_data(as_text=True)
    assert _post(client, event, "fr", title="Soirée").status_code == 404
    assert _post(client, event, "en", title="Same").status_code == 404
    response = _post(client, event, "es", remove=True)
    assert response.status_code == 400
    assert "no translation in that language" in html.unescape(response.get_data(as_text=True))
    assert db.session.query(EventTranslation).count() == 0


def test_another_organizer_cannot_translate_an_event(client, event, login_as, make_organizer):
    login_as(make_organizer(email="other@example.org"))
    assert _post(client, event, "es", title="Noche").status_code == 404
    assert db.session.query(EventTranslation).count() == 0
