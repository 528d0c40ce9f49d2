"""Every mail to a registrant is written in the language they registered in: subject,
text and HTML, dates in the event's zone, the .ics; an English registrant's mail reads as
before, and a language no longer offered falls back to the default without failing.

Each kind is rendered as the deliverer renders it (outside any request), from an outbox
row, in Spanish, in the pseudo-locale (no text left out of the catalog) and in English.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from icalendar import Calendar

from campaign.events.models import Event
from campaign.extensions import db
from campaign.i18n.dates import format_event_range
from campaign.mail import models as kinds
from campaign.mail import services as mail
from campaign.mail.models import OutboxMessage
from campaign.reminders.models import Broadcast
from campaign.signups.models import Registration
from tests.support.i18n import PSEUDO_LOCALE, untranslated_text

STARTS = datetime(2027, 1, 2, 23, tzinfo=UTC)  # 18:00 EST, a Saturday
SPANISH_WHEN = "sábado, 2 de enero de 2027, 18:00–20:00 EST"
ENGLISH_WHEN = "Sat 2 Jan 2027, 18:00–20:00 EST"
BEFORE_TIMES = "2027-01-01T23:00:00+00:00 2027-01-02T01:00:00+00:00 America/New_York"
AFTER_TIMES = "2027-01-02T23:00:00+00:00 2027-01-03T01:00:00+00:00 America/New_York"
CHANGES = [  # as events.services.describe_changes says them
    {"what": "Time", "before": "Fri 1 Jan 2027, 18:00–20:00 EST", "after": ENGLISH_WHEN,
     "before_times": BEFORE_TIMES, "after_times": AFTER_TIMES},
    {"what": "Online link", "before": "", "after": ""},
]  # fmt: skip
BROADCAST_SUBJECT = "Parking at the Town Hall"
BROADCAST_BODY = "Bring a warm coat: the doors open at 17:30."

# kind, its params, then what its Spanish and English subject and text say.
KINDS: list[tuple[str, dict[str, Any], str, str, str, str]] = [
    (kinds.KIND_CONFIRMED, {"resend": False}, "Inscripción confirmada: Velada",
     "¡Nos vemos allí!", "You're registered: Velada", "See you there!"),
    (kinds.KIND_CONFIRMED, {"resend": True}, "Tu plaza en Velada (de nuevo)",
     "ya tienes plaza", "Your place at Velada (again)", "you already have a place"),
    (kinds.KIND_WAITLISTED, {"resend": False, "position": 3}, "Estás en la lista de espera: Velada",
     "(puesto 3)", "You're on the waitlist: Velada", "(number 3)"),
    (kinds.KIND_PROMOTED, {}, "Buenas noticias: tienes plaza en Velada",
     "Se liberó una plaza", "Good news: you have a place at Velada", "A place freed up"),
    (kinds.KIND_CANCELLED_BY_YOU, {}, "Inscripción cancelada: Velada",
     "Gracias por avisarnos", "Your registration is cancelled: Velada", "Thanks for letting us"),
    (kinds.KIND_EVENT_CHANGED, {"changes": CHANGES},
     "Cambios en Velada: hora y enlace para unirte en línea",
     "Hora antes: viernes, 1 de enero de 2027, 18:00–20:00 EST",
     "Updated: Velada has a new time and online link", "Time was: Fri 1 Jan"),
    (kinds.KIND_EVENT_CHANGED, {}, "Cambios en Velada: nueva hora o lugar", "la hora o el lugar",
     "Updated: Velada has a new time or place", "the time or place"),
    (kinds.KIND_EVENT_CANCELLED, {}, "Cancelado: Velada", "no se celebrará",
     "Cancelled: Velada", "will not take place"),
    (kinds.KIND_REMINDER, {"offset": 1440}, "Recordatorio: Velada empieza mañana",
     "Te recordamos", "Reminder: Velada starts tomorrow", "A reminder that"),
    (kinds.KIND_REMINDER, {"offset": 120}, "Recordatorio: Velada empieza en 2 horas",
     "Te recordamos", "Reminder: Velada starts in 2 hours", "A reminder that"),
    (kinds.KIND_THANK_YOU, {}, "Gracias por participar en Velada", "Sigue la conversación",
     "Thank you for joining Velada", "Keep the conversation going"),
    (kinds.KIND_BROADCAST, {}, BROADCAST_SUBJECT, "Un mensaje de quienes organizan",
     BROADCAST_SUBJECT, "A message from the organizers of"),
]  # fmt: skip
KIND_IDS = [f"{k[0]}-{n}" for n, k in enumerate(KINDS)]
WITH_ICS = {kinds.KIND_CONFIRMED, kinds.KIND_PROMOTED, kinds.KIND_EVENT_CHANGED,
            kinds.KIND_EVENT_CANCELLED, kinds.KIND_REMINDER}  # fmt: skip


@pytest.fixture
def event(make_organizer, make_event) -> Event:  # type: ignore[no-untyped-def]
    organizer = make_organizer(email="org@example.org")
    return make_event(
        organizer,
        title="Velada",
        timezone="America/New_York",
        starts_at=STARTS,
        ends_at=STARTS.replace(hour=1, day=3),
        venue="Town Hall",
        city="Austin",
        country="United States",
    )


def _registrant(event: Event, language: str, email: str = "sam@example.org") -> Registration:
    registration = Registration(
        event_id=event.id,
        name="Sam Jones",
        email=email,
        status="confirmed",
        token_nonce=email.split("@")[0].ljust(32, "0"),
        token_hash=email.ljust(64, "0")[:64],
        referral_code=email.split("@")[0][:16],
        language=language,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def _render(kind: str, registration: Registration, params: dict[str, Any]) -> mail.Rendered:
    """The mail as the deliverer writes it: from an outbox row, outside any request."""
    if kind == kinds.KIND_BROADCAST:
        broadcast = Broadcast(event_id=registration.event_id, audience="confirmed",
                              subject=BROADCAST_SUBJECT, body=BROADCAST_BODY)  # fmt: skip
        db.session.add(broadcast)
        db.session.flush()
        params = {"broadcast_id": broadcast.id}
    mail.enqueue(kind, registration.email, datetime.now(UTC), event_id=registration.event_id,
                 registration_id=registration.id, params=params)  # fmt: skip
    row = db.session.scalars(select_last()).one()
    return mail.renderer_for(kind)(row)


def select_last():  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1)


@pytest.mark.parametrize(("kind", "params", "subject", "said", "_en", "_en_said"), KINDS,
                         ids=KIND_IDS)  # fmt: skip
def test_a_spanish_registrant_gets_spanish_mail(app, event, kind, params, subject, said, _en,
                                                _en_said) -> None:  # fmt: skip
    rendered = _render(kind, _registrant(event, "es"), params)
    assert rendered.subject == subject
    assert rendered.text.startswith("Hola, Sam:") or kind == kinds.KIND_BROADCAST
    assert said in rendered.text and said.split(" antes")[0] in rendered.html
    assert '<html lang="es">' in rendered.html and "Hola, Sam:" in rendered.html
    assert "Hello" not in rendered.text + rendered.html
    if kind not in (kinds.KIND_CANCELLED_BY_YOU, kinds.KIND_THANK_YOU):
        assert SPANISH_WHEN in rendered.text and SPANISH_WHEN in rendered.html
    if kind == kinds.KIND_BROADCAST:  # the organizer's own words stay as written
        assert BROADCAST_BODY in rendered.text and BROADCAST_BODY in rendered.html
        assert "Date de baja" in rendered.html
    assert (rendered.ics is not None) == (kind in WITH_ICS)
    if rendered.ics is not None:
        assert "Detalles: https://" in _description(rendered.ics)


@pytest.mark.parametrize(("kind", "params", "_es", "_es_said", "subject", "said"), KINDS,
                         ids=KIND_IDS)  # fmt: skip
def test_an_english_registrant_gets_the_english_mail(app, event, kind, params, _es, _es_said,
                                                     subject, said) -> None:  # fmt: skip
    rendered = _render(kind, _registrant(event, "en"), params)
    assert rendered.subject == subject
    assert said in rendered.text
    assert '<html lang="en">' in rendered.html and "Hola" not in rendered.html
    if kind not in (kinds.KIND_CANCELLED_BY_YOU, kinds.KIND_THANK_YOU):
        assert ENGLISH_WHEN in rendered.text
    if rendered.ics is not None:
        assert "Details: https://" in _description(rendered.ics)


def _description(ics: str) -> str:
    calendar = Calendar.from_ical(ics)
    return str(next(iter(calendar.walk("VEVENT")))["DESCRIPTION"])


def _times(times: str, locale: str) -> str:
    if not times:
        return ""
    start, end, zone = times.split(" ")
    return format_event_range(
        datetime.fromisoformat(start), datetime.fromisoformat(end), zone, locale
    )


def _data(event: Event, registration: Registration, text: str) -> list[str]:
    """What the test put in the mail, and what is not words at all (links, codes)."""
    campaign = event.campaign
    return [
        *re.findall(r"https?://\S+?(?=[\s\"<>]|$)", text),
        campaign.name,
        campaign.disclaimer,
        event.title,
        event.venue,
        event.city,
        event.country,
        registration.first_name,
        format_event_range(event.starts_at, event.ends_at, event.timezone, PSEUDO_LOCALE),
        "Google Calendar",
        "Outlook",
        BROADCAST_SUBJECT,
        BROADCAST_BODY,
        *(_times(c.get("before_times", ""), PSEUDO_LOCALE) for c in CHANGES),
        *re.findall(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b|\b[A-Z0-9]{6,}\b", text),  # check-in code
    ]


@pytest.mark.parametrize(("kind", "params"), [k[:2] for k in KINDS], ids=KIND_IDS)
def test_no_mail_text_is_left_out_of_the_catalog(pseudo_locale, app, event, kind, params):
    registration = _registrant(event, pseudo_locale)
    rendered = _render(kind, registration, params)
    assert f'<html lang="{pseudo_locale}">' in rendered.html
    every = rendered.subject + "\n" + rendered.text + "\n" + rendered.html
    data = _data(event, registration, every)
    if kind != kinds.KIND_BROADCAST:
        assert rendered.subject.startswith("⟦")
    assert untranslated_text(rendered.subject, data) == []
    assert untranslated_text(rendered.text, data) == []
    assert untranslated_text(rendered.html, data) == []


def test_the_check_would_find_english_left_in_a_mail(pseudo_locale, app, event) -> None:
    registration = _registrant(event, pseudo_locale)
    rendered = _render(kinds.KIND_CONFIRMED, registration, {"resend": False})
    data = _data(event, registration, rendered.text)
    broken = rendered.text.replace("\n\n", "\n\nSee you soon\n\n", 1)
    assert untranslated_text(broken, data) == ["See you soon"]


@pytest.mark.parametrize("stored", ["fr", "xx_YY", ""])
def test_a_language_no_longer_offered_falls_back_to_the_default(app, event, stored, tmp_path):
    """A row whose language the site stopped offering (or never had) still gets its mail,
    in the default language, through the deliverer."""
    from campaign.mail.backends import FileBackend
    from campaign.mail.delivery import deliver_due

    registration = _registrant(event, "es")
    db.session.execute(
        Registration.__table__.update()
        .where(Registration.__table__.c.id == registration.id)
        .values(language=stored)
    )
    db.session.commit()
    mail.enqueue(kinds.KIND_CONFIRMED, registration.email, datetime.now(UTC),
                 event_id=event.id, registration_id=registration.id,
                 params={"resend": False})  # fmt: skip
    db.session.commit()
    backend = FileBackend(str(tmp_path))
    report = deliver_due(backend, "Campaign <mail@example.org>")
    assert (report.sent, report.failed) == (1, 0)
    row = db.session.scalars(select_last()).one()
    assert row.subject == "You're registered: Velada"
    assert '<html lang="en">' in (row.html_body or "")


@pytest.mark.parametrize("times", ["", "not three parts", "2027-01-01 2027-01-02 No/Such_Zone"])
def test_a_change_whose_times_cannot_be_read_keeps_its_words(app, times) -> None:
    from campaign.i18n.web import in_locale
    from campaign.signups.mails import translated_changes

    stored = [{"what": "Time", "before": "Fri 1 Jan", "after": "Sat 2 Jan", "before_times": times}]
    with app.app_context(), in_locale("es"):
        assert translated_changes(stored) == [{**stored[0], "what": "Hora"}]


def test_the_default_disclaimer_is_in_the_registrants_language(app, event) -> None:
    """The campaign's disclaimer left as the default reads in Spanish; one the campaign
    wrote itself stays as written (it is the campaign's own text)."""
    from flask_babel import gettext

    from campaign.i18n.web import in_locale

    event.campaign.disclaimer = app.config["DEFAULT_DISCLAIMER"]
    db.session.commit()
    with in_locale("es"):
        spanish = gettext(app.config["DEFAULT_DISCLAIMER"])
    assert spanish != app.config["DEFAULT_DISCLAIMER"]
    rendered = _render(kinds.KIND_REMINDER, _registrant(event, "es"), {"offset": 60})
    assert spanish in rendered.text and spanish in rendered.html
    assert (
        "La organización de Velada ha cambiado: hora y enlace"
        in _render(
            kinds.KIND_EVENT_CHANGED,
            _registrant(event, "es", "kim@example.org"),
            {"changes": CHANGES},
        ).text
    )


@pytest.mark.parametrize(
    ("where", "said"),
    [
        (["hybrid", "Town Hall", "1 Park Row\nFloor 2", "Leeds"],
         "Town Hall, 1 Park Row, Floor 2, Leeds y en línea"),
        (["in_person", "", "", ""], "Lugar por anunciar"),
        (["online", "", "", ""], "En línea"),
        (["in_person", "Town Hall", "", "Leeds"], "Town Hall, Leeds"),
    ],
)  # fmt: skip
def test_a_changed_place_is_said_again_in_the_registrants_language(app, where, said) -> None:
    from campaign.i18n.web import in_locale
    from campaign.signups.mails import translated_changes

    stored = [{"what": "Place", "before": "Town Hall, Leeds and online", "after": "x",
               "before_where": json.dumps(where), "after_where": json.dumps(where)}]  # fmt: skip
    with app.app_context(), in_locale("es"):
        [change] = translated_changes(stored)
    assert (change["what"], change["before"], change["after"]) == ("Lugar", said, said)


@pytest.mark.parametrize("where", ["", "not json", "[1, 2]", '{"a": 1}', "null"])
def test_a_change_whose_place_cannot_be_read_keeps_its_words(app, where) -> None:
    from campaign.i18n.web import in_locale
    from campaign.signups.mails import translated_changes

    stored = [{"what": "Place", "before": "Hall", "after": "Barn", "before_where": where}]
    with app.app_context(), in_locale("es"):
        assert translated_changes(stored) == [{**stored[0], "what": "Lugar"}]


def test_an_edit_records_the_place_in_a_form_mail_can_say_again(app, event) -> None:
    from campaign.events.services import describe_changes, schedule_and_place

    event.format, event.venue, event.address, event.city = "hybrid", "Hall", "", "Leeds"
    before = schedule_and_place(event)
    event.venue = "Barn"
    [change] = describe_changes(before, schedule_and_place(event))
    assert (change["before"], change["after"]) == (
        "Hall, Leeds and online",
        "Barn, Leeds and online",
    )
    assert json.loads(change["after_where"]) == ["hybrid", "Barn", "", "Leeds"]
