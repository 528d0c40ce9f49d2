"""The deliverer renders a batch sharing what depends only on the event and the language
(campaign.mail.services.rendering_batch), and binds the templates' gettext to one
catalog per mail (catalog_callables): every message is still byte for byte what it
would be rendered alone, with Flask-Babel's own callables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from markupsafe import Markup
from sqlalchemy import select

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.i18n.web import in_locale
from campaign.mail import services as mail
from campaign.mail.models import OutboxMessage
from campaign.reminders import mails as reminder_mails
from campaign.reminders.mails import unsubscribe_url
from campaign.signups.mails import context_for

SECRET = "test-secret-key-not-for-production"


@pytest.fixture
def people(make_organizer, make_event, register):  # type: ignore[no-untyped-def]
    """Two events, one online; registrants in English and Spanish, one on the waitlist."""
    organizer = make_organizer()
    hall = make_event(organizer, title="Walk and Talk", capacity=2)
    online = make_event(
        organizer, title="Online Q&A", format="online", join_url="https://meet.example.org/q"
    )
    return [
        register(hall, "<Amira>&Co Haddad", "amira@example.org"),
        register(hall, "Bruno Díaz", "bruno@example.org", language="es"),
        register(hall, "Chen Li", "chen@example.org", language="es"),  # waitlisted
        register(online, "Dana Ode", "dana@example.org"),
        register(online, "Eva Ruiz", "eva@example.org", language="es"),
    ]


def _rendered(row: OutboxMessage) -> tuple[object, ...]:
    out = mail.renderer_for(row.kind)(row)
    return (out.subject, out.text, out.html, out.headers, out.ics)


def test_a_batch_renders_every_row_as_it_would_be_rendered_alone(people) -> None:
    reminder_mails.queue_reminders(
        [p for p in people if p.status == "confirmed"], 120, utcnow() - timedelta(minutes=1)
    )
    db.session.commit()
    rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert {row.kind for row in rows} == {"registration_confirmed", "waitlisted", "reminder"}
    alone = [_rendered(row) for row in rows]
    with mail.rendering_batch():
        together = [_rendered(row) for row in rows]
    assert together == alone
    # ... and each row has its own language, event and links.
    texts = {
        (row.registration_id, row.kind): text
        for row, (_, text, *_) in zip(rows, alone, strict=True)
    }
    amira, bruno, _, dana, eva = people
    assert "Hello <Amira>&Co" in str(texts[(amira.id, "reminder")])
    assert "Hola, Bruno" in str(texts[(bruno.id, "reminder")])
    assert "meet.example.org" in str(texts[(dana.id, "reminder")])
    assert "meet.example.org" in str(texts[(eva.id, "reminder")])
    assert "meet.example.org" not in str(texts[(bruno.id, "reminder")])


def test_shared_values_are_made_once_per_key_in_a_batch_and_every_time_outside() -> None:
    made: list[str] = []

    def make(value: str):  # type: ignore[no-untyped-def]
        return lambda: made.append(value) or value

    assert mail.shared(("k", 1), make("a")) == mail.shared(("k", 1), make("a")) == "a"
    assert made == ["a", "a"]
    made.clear()
    with mail.rendering_batch():
        assert mail.shared(("k", 1), make("a")) == "a"
        assert mail.shared(("k", 1), make("b")) == "a"
        assert mail.shared(("k", 2), make("c")) == "c"
    assert made == ["a", "c"]
    with mail.rendering_batch():  # a new batch starts empty
        assert mail.shared(("k", 1), make("d")) == "d"


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("template", ["reminder", "registration_confirmed", "waitlisted"])
def test_the_bound_catalog_renders_as_flask_babel_does(app, people, locale, template) -> None:
    registration = people[0]
    with in_locale(locale):
        context = context_for(
            registration,
            unsubscribe_url=unsubscribe_url(registration, SECRET),
            offset_phrase=reminder_mails.offset_phrase(120),
            position=3,
        )
        subject, text, html = mail.render(template, context)
        plain = render_template(f"mail/{template}.txt", **context)
        assert plain.partition("\n\n")[2].strip() + "\n" == text
        helpers = mail.MARKUP_HELPERS
        assert render_template(f"mail/{template}.html", subject=subject, **helpers, **context) == (
            html
        )
    assert "&lt;Amira&gt;&amp;Co" in html  # escaped, as before


# The Jinja macros the HTML mails used before MARKUP_HELPERS: the helpers must write what
# these wrote, byte for byte.
MACROS = """\
{% macro link(url, text) %}<a href="{{ url }}" style="color:#0a5a73;">{{ text }}</a>{% endmacro %}
{% macro button(url, text) %}<a href="{{ url }}" style="display:inline-block;background:#0b5563;\
color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:bold;">\
{{ text }}</a>{% endmacro %}
{% macro strong(text) %}<strong>{{ text }}</strong>{% endmacro %}
{% macro struck(text) %}<s>{{ text }}</s>{% endmacro %}
{% macro mono(text) %}<strong style="font-family:monospace;">{{ text }}</strong>{% endmacro %}
"""


@pytest.mark.parametrize(
    "value",
    ['<b>"Q&A"</b>', "it's", Markup("<em>kept</em>"), "Zoë 名前", 42, None, ""],
)
def test_the_mail_markup_helpers_write_what_the_macros_wrote(app, value) -> None:
    env = app.jinja_env.overlay(autoescape=True)
    macros = env.from_string(MACROS).module
    helpers = mail.MARKUP_HELPERS
    for name in ("link", "button"):
        written = helpers[name]("https://x.example/?a=1&b=<2>", value)
        assert written == getattr(macros, name)("https://x.example/?a=1&b=<2>", value)
        assert isinstance(written, Markup)
    for name in ("strong", "struck", "mono"):
        assert helpers[name](value) == getattr(macros, name)(value)


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_bound_gettext_and_ngettext_escape_and_format_as_jinja_does(app, locale) -> None:
    source = (
        '{{ _("Hello %(name)s,", name=who) }}|{{ ngettext("%(num)s place left", '
        '"%(num)s places left", n) }}|{{ _("Reminder") }}'
    )
    values = {"who": "<b>Amira</b>", "n": 2}
    for wrapped in (source, "{% autoescape true %}" + source + "{% endautoescape %}"):
        template = app.jinja_env.from_string(wrapped)
        with in_locale(locale):
            assert template.render(**mail.catalog_callables(), **values) == template.render(
                **values
            )
