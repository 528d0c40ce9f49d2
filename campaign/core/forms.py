"""Form pieces every feature uses: the POST-button form and field errors from services."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import BooleanField

FORM = "form"  # the key of an error about the whole form rather than one field


class ToggleForm(FlaskForm):
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
