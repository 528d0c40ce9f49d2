"""The registration POST reads its fields without building SignupForm
(campaign.signups.forms.SignupFields); what it reads, and whether the input is valid, are
what the form gives for any posted fields, so the form shown again agrees with the answer."""

from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from campaign.signups.forms import NAME_INPUT_MAX, TEXT_INPUT_MAX, SignupFields, SignupForm

FIELDS = ("name", "email", "keep_informed", "website", "started", "ref")
# Around the limits, the values a checkbox sends, and anything else.
VALUES = st.one_of(
    st.sampled_from(["", "y", "false", "False", "0", "on", "true", " "]),
    st.sampled_from([NAME_INPUT_MAX, TEXT_INPUT_MAX]).flatmap(
        lambda n: st.sampled_from(["a" * (n - 1), "é" * n, "b" * (n + 1)])
    ),
    st.text(max_size=40),
)
POSTS = st.lists(st.tuples(st.sampled_from([*FIELDS, "other"]), VALUES), max_size=10)


def _as_the_form_reads_it(form: SignupForm) -> SignupFields:
    return SignupFields(
        name=form.name.data or "",
        email=form.email.data or "",
        keep_informed=bool(form.keep_informed.data),
        website=form.website.data or "",
        started=form.started.data or "",
        ref=form.ref.data or "",
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(posted=POSTS)
def test_the_fields_are_what_the_form_reads(app: Flask, posted: list[tuple[str, str]]) -> None:
    data = MultiDict(posted)
    with app.test_request_context("/events/x/register", method="POST", data=data):
        from flask import request

        form = SignupForm()
        fields = SignupFields.read(request.form)
        assert fields == _as_the_form_reads_it(form)
        assert fields.is_valid() == form.validate()


def test_limits_are_the_forms() -> None:
    """Over a limit by one character is invalid in each limited field, at it is valid."""
    at = {"name": "n" * NAME_INPUT_MAX, "email": "e" * TEXT_INPUT_MAX, "website": ""}
    assert SignupFields.read(MultiDict(at)).is_valid()
    for name in ("name", "email", "website"):
        over = dict(at, **{name: at[name] + "x" if at[name] else "x" * (TEXT_INPUT_MAX + 1)})
        assert not SignupFields.read(MultiDict(over)).is_valid(), name
