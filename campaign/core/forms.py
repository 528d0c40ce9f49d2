"""Form pieces every feature uses: the base form, the POST-button form and field errors
from services."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.i18n import messages_path

FORM = "form"  # the key of an error about the whole form rather than one field


@lru_cache(maxsize=32)
def _wtforms_messages(locale: str) -> support.NullTranslations:
    """WTForms' own messages ("This field is required.") in one language."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of every form: FlaskForm, with WTForms' messages read from their catalog
    once per language and process. Flask-WTF reads and parses that catalog file again on
    every request that builds a form (the registration POST's largest cost after its
    database round trips); the messages are the same."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            if (
                has_request_context()
                and current_app.config.get("WTF_I18N_ENABLED", True)
                and "babel" in current_app.extensions
            ):
                return _wtforms_messages(str(get_locale()))
            return super().get_translations(form)


class ToggleForm(Form):
    """An empty form: a POST button with a CSRF token."""

    confirm = BooleanField("Confirm", default=True)


class FieldErrors(ValueError):
    """Input a service refused: one message per form field name (FORM for the whole form).

    Services raise it (or a subclass) with plain field names; views hand it to
    bind_errors, so the form is shown again with each message beside its field.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


def bind_errors(form: FlaskForm, errors: FieldErrors | Mapping[str, str]) -> None:
    """Put each message on its field; a name the form has no field for goes to the top."""
    messages = errors.errors if isinstance(errors, FieldErrors) else errors
    for name, message in messages.items():
        field = getattr(form, name, None) if name != FORM else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [message]
        else:
            form.form_errors.append(message)
