"""The feature's refusals are field errors: each message lands beside its form field."""

from __future__ import annotations

import pytest
from flask import Flask

from campaign.cardrender import DEFAULT_THEME, Theme
from campaign.core.forms import FORM, FieldErrors, bind_errors
from campaign.graphics.forms import FactCardForm, LogoForm, ThemeForm
from campaign.graphics.services.content import ContentInput, ContentInvalid, validate_content
from campaign.graphics.services.theme import LogoRejected, ThemeInvalid, clean_logo, update_theme


def test_content_problems_name_their_fields_and_what_to_cut(app: Flask, campaign, source) -> None:
    data = ContentInput(myth="M " * 140, fact="", source_quote="", source_title="Title")
    with pytest.raises(ContentInvalid) as caught:
        validate_content(campaign, data)
    assert isinstance(caught.value, FieldErrors)
    assert set(caught.value.errors) == {"fact", "source_quote"}
    assert caught.value.cut == {}  # nothing is measured while a text is missing
    with app.test_request_context(method="POST"):
        form = FactCardForm(formdata=None)
        bind_errors(form, caught.value)
        assert form.fact.errors == ["Write the fact that answers the myth."]
        assert not form.myth.errors


def test_text_that_does_not_fit_says_how_much_to_cut(app: Flask, campaign, source) -> None:
    data = ContentInput(myth="word " * 58, fact="fact " * 118, source_quote="q", source_title="T")
    with pytest.raises(ContentInvalid) as caught:
        validate_content(campaign, data)
    assert caught.value.cut and set(caught.value.cut) <= {"myth", "fact", "alt_text"}
    assert all(n > 0 for n in caught.value.cut.values())


def test_a_whole_form_problem_goes_above_the_form(app: Flask) -> None:
    with app.test_request_context(method="POST"):
        form = FactCardForm(formdata=None)
        bind_errors(form, ContentInvalid({FORM: "The card does not fit: cut 3 characters."}))
        assert form.form_errors == ["The card does not fit: cut 3 characters."]


def test_a_theme_problem_is_on_the_colour_field(app: Flask, campaign, source) -> None:
    bad = Theme(**{**DEFAULT_THEME.__dict__, "text": "#fefefe", "background": "#ffffff"})
    with pytest.raises(ThemeInvalid) as caught:
        update_theme(campaign, bad)
    assert isinstance(caught.value, FieldErrors)
    with app.test_request_context(method="POST"):
        form = ThemeForm(formdata=None)
        bind_errors(form, caught.value)
        assert form.text.errors and "Contrast with the background colour" in form.text.errors[0]


def test_a_rejected_logo_is_a_message_on_the_logo_field(app: Flask) -> None:
    with pytest.raises(LogoRejected) as caught:
        clean_logo(b"not an image")
    assert str(caught.value).startswith("That file is not a PNG, JPEG or WebP image.")
    with app.test_request_context(method="POST"):
        form = LogoForm(formdata=None)
        bind_errors(form, caught.value)
        assert form.logo.errors == [str(caught.value)]
