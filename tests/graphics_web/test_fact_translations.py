"""Myth/fact pairs in Spanish: a translation is public only once an admin approved it,
a change to an approved one waits for an admin, the quote stays English, and /facts in
Spanish shows approved translations (else the English pair with a note)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy.exc import IntegrityError

from campaign.cardrender import alt_text
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.graphics.models import FactTranslation
from campaign.graphics.services import cardspecs
from campaign.graphics.services import fact_translations as ft
from campaign.graphics.services.content import CONTENT_FILE
from campaign.i18n.web import in_locale

NOTE_ES = "Esta información solo está disponible en inglés."
SUPPORTED = ("en", "es")
MYTH_ES = "La ketamina es solo una droga recreativa de fiesta."
FACT_ES = "Administrada en un entorno médico controlado, la ketamina es segura y eficaz."


def _save(card, organizer=None, admin=False, fact=FACT_ES):
    row = ft.save_translation(card, "es", (MYTH_ES, fact, ""), organizer, admin, SUPPORTED)
    db.session.commit()
    return row


def _facts(client, lang: str) -> str:
    response = client.get(f"/facts?lang={lang}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_an_unapproved_translation_is_never_public(client, content, organizer) -> None:
    card = content[0]
    _save(card, organizer)
    page = _facts(client, "es")
    assert FACT_ES not in page and card.fact in page and NOTE_ES in page
    single = html.unescape(client.get(f"/facts/{card.slug}?lang=es").get_data(as_text=True))
    assert FACT_ES not in single and NOTE_ES in single
    with in_locale("es"):
        assert cardspecs.fact_spec(card).fact == card.fact


def test_an_approved_translation_shows_in_spanish_only(client, content, admin) -> None:
    card = content[0]
    row = _save(card)
    ft.approve_translation(row, admin, utcnow())
    db.session.commit()
    page = _facts(client, "es")
    assert f'id="fact-{card.slug}">{FACT_ES}</h2>' in page
    # The source's words stay English, marked as such.
    assert f'<blockquote lang="en"><p>{card.source_quote}</p></blockquote>' in page
    english = _facts(client, "en")
    assert FACT_ES not in english and card.fact in english and "only available" not in english
    with in_locale("es"):
        spec = cardspecs.fact_spec(card)
    assert spec.fact == FACT_ES and alt_text(spec, "og").startswith(f"Dato: {FACT_ES}")


def test_a_change_to_an_approved_translation_waits_for_an_admin(
    client, content, organizer, admin
) -> None:
    row = _save(content[0])
    ft.approve_translation(row, admin, utcnow())
    db.session.commit()
    _save(content[0], organizer, fact="La ketamina es segura.")
    assert row.fact == FACT_ES and row.pending_fact == "La ketamina es segura."
    assert "La ketamina es segura." not in _facts(client, "es")
    ft.approve_translation(row, admin, utcnow())
    db.session.commit()
    assert row.fact == "La ketamina es segura." and not row.has_pending
    assert "La ketamina es segura." in _facts(client, "es")
    # An admin's own change is approved at once.
    _save(content[0], admin, admin=True)
    assert row.fact == FACT_ES and row.is_approved and not row.has_pending


def test_bad_requests_are_refused_and_change_nothing(app, content, organizer, admin) -> None:
    card = content[0]
    for locale in ("fr", "en", "xx"):
        with pytest.raises(ft.TranslationError):
            ft.save_translation(card, locale, (MYTH_ES, FACT_ES, ""), organizer, False, SUPPORTED)
    with pytest.raises(ft.TranslationError):
        ft.save_translation(card, "es", ("  ", FACT_ES, ""), organizer, False, SUPPORTED)
    with pytest.raises(ft.TranslationError, match="control"):
        ft.save_translation(card, "es", (MYTH_ES, "Dato\x00", ""), organizer, False, SUPPORTED)
    db.session.rollback()
    assert db.session.query(FactTranslation).count() == 0
    row = _save(card)
    with pytest.raises(ft.TranslationError):
        ft.discard_change(row)
    with pytest.raises(ft.TranslationError):
        ft.withdraw_translation(row)
    ft.approve_translation(row, admin, utcnow())
    with pytest.raises(ft.TranslationError):
        ft.approve_translation(row, admin, utcnow())
    with pytest.raises(ft.TranslationError, match="admin"):
        ft.delete_translation(row, is_admin=False)


def test_a_second_translation_in_one_language_is_refused(app, content) -> None:
    _save(content[0])
    _save(content[0], fact="Otra versión.")  # the same row, changed
    assert db.session.query(FactTranslation).count() == 1
    db.session.add(
        FactTranslation(
            fact_card_id=content[0].id, locale="es", source_locale="en", myth="a", fact="b"
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_withdrawing_puts_the_english_pair_back(client, content, admin) -> None:
    row = _save(content[0])
    ft.approve_translation(row, admin, utcnow())
    db.session.commit()
    ft.withdraw_translation(row)
    db.session.commit()
    page = _facts(client, "es")
    assert FACT_ES not in page and NOTE_ES in page


def test_the_seed_translations_load_approved_and_fit_every_card(app, campaign, content):
    path = CONTENT_FILE.with_name("myths.es.json")
    assert ft.load_translations(campaign.id, path, utcnow(), approve=True) == len(content)
    assert ft.load_translations(campaign.id, path, utcnow(), approve=True) == 0
    db.session.commit()
    rows = db.session.query(FactTranslation).all()
    assert all(r.is_approved and r.source_locale == "en" and r.locale == "es" for r in rows)
    with in_locale("es"):
        specs = cardspecs.set_specs(content)
        assert len(specs) == len(content)  # every Spanish pair fits every preset
        assert {spec.fact for spec in specs.values()} == {r.fact for r in rows}
    # A reason only where the English pair has one.
    by_card = {r.fact_card_id: r for r in rows}
    assert all(bool(by_card[c.id].reason) == bool(c.reason) for c in content)


# --- the content editor -------------------------------------------------------------------


def _url(card, locale: str = "es", action: str = "") -> str:
    return f"/manage/content/{card.id}/translations/{locale}" + (f"/{action}" if action else "")


def test_the_editor_adds_and_an_admin_approves(client, content, organizer, admin, login_as):
    card = content[0]
    login_as(organizer)
    index = client.get("/manage/content").get_data(as_text=True)
    assert _url(card) in index
    page = client.get(_url(card)).get_data(as_text=True)
    assert '<dl lang="en">' in page and html.escape(card.source_quote) in page
    response = client.post(_url(card), data={"myth": MYTH_ES, "fact": FACT_ES, "reason": ""})
    assert response.status_code == 303
    row = ft.find(card.id, "es")
    assert row is not None and not row.is_approved
    assert client.post(_url(card, action="approve")).status_code == 404  # admins only
    client.post("/manage/logout")
    login_as(admin)
    assert client.post(_url(card, action="approve")).status_code == 303
    db.session.expire_all()
    assert ft.find(card.id, "es").is_approved
    assert FACT_ES in _facts(client, "es")


def test_the_editor_keeps_a_change_waiting(client, content, organizer, admin, login_as):
    card = content[0]
    row = _save(card)
    ft.approve_translation(row, admin, utcnow())
    db.session.commit()
    login_as(organizer)
    data = {"myth": MYTH_ES, "fact": "La ketamina es segura.", "reason": ""}
    assert client.post(_url(card), data=data).status_code == 303
    page = html.unescape(client.get(_url(card)).get_data(as_text=True))
    assert "Change waiting for approval" in page and "Approve the change" not in page
    # A public translation is not the organizer's to delete.
    client.post(_url(card, action="delete"))
    db.session.expire_all()
    assert ft.find(card.id, "es") is not None
    assert FACT_ES in _facts(client, "es")


def test_the_editor_refuses_bad_input(client, content, organizer, login_as) -> None:
    card = content[0]
    login_as(organizer)
    assert client.get(_url(card, "fr")).status_code == 404
    assert client.get(_url(card, "en")).status_code == 404
    assert client.post(_url(card), data={"myth": "", "fact": FACT_ES}).status_code == 400
    assert client.post(_url(card, action="delete")).status_code == 404
    assert db.session.query(FactTranslation).count() == 0


def test_the_demo_seed_ships_approved_spanish_pairs(app, runner, client) -> None:
    from campaign.graphics.models import FactCard

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    pairs = db.session.query(FactCard).filter_by(is_approved=True).all()
    rows = db.session.query(FactTranslation).all()
    assert len(rows) == len(pairs) > 0
    assert all(r.is_approved and (r.locale, r.source_locale) == ("es", "en") for r in rows)
    page = _facts(client, "es")
    assert FACT_ES in page and NOTE_ES not in page and 'alt="Dato: ' in page
