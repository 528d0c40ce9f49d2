"""A registration keeps the language it was made in, its owner can change it on their
page, and the calendar files read in Spanish stay valid in four parsers."""

from __future__ import annotations

from icalendar import Calendar

from campaign.events import views as event_views
from campaign.extensions import db
from campaign.signups.models import Registration
from tests.signups import test_calendar_parsers as parsers
from tests.signups.conftest import delivered, only_registration, token_of
from tests.signups.test_calendar_parsers import NOW, check_calendar

dst_events = parsers.dst_events  # the events on both sides of each zone's changes


def _descriptions(data: bytes) -> list[str]:
    return [str(item["DESCRIPTION"]) for item in Calendar.from_ical(data).walk("VEVENT")]


def test_a_registration_keeps_the_language_of_the_form(make_organizer, make_event, signup, client):
    event = make_event(make_organizer())
    assert (
        signup(event, email="es@example.org", headers={"Accept-Language": "es"}).status_code == 303
    )
    assert signup(event, email="en@example.org").status_code == 303
    client.set_cookie("lang", "es")  # the language chosen with ?lang=es on an earlier page
    assert signup(event, email="q@example.org").status_code == 303
    assert only_registration("es@example.org").language == "es"
    assert only_registration("en@example.org").language == "en"
    assert only_registration("q@example.org").language == "es"


def test_the_manage_page_changes_the_language_of_later_mail(make_organizer, make_event, signup,
                                                            client, app, tmp_path):  # fmt: skip
    event = make_event(make_organizer())
    signup(event, email="sam@example.org")
    first = [str(m.message["Subject"]) for m in delivered(app, tmp_path / "mail")]
    assert first == [f"You're registered: {event.title}"]
    token = token_of("sam@example.org")
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert 'name="language"' in page and '<option value="es" lang="es">Español</option>' in page
    wrong = client.post(f"/r/{token}/language", data={"language": "fr"})
    assert wrong.status_code == 303
    assert only_registration("sam@example.org").language == "en"
    assert "Choose one of the languages listed." in client.get(f"/r/{token}").get_data(as_text=True)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    done = client.post(f"/r/{token}/language", data={"language": "es"})
    assert done.status_code == 303 and done.headers["Location"].endswith("#mail-language")
    assert only_registration("sam@example.org").language == "es"
    after = client.get(f"/r/{token}").get_data(as_text=True)
    assert '<option value="es" lang="es" selected>' in after
    assert client.post(f"/r/{token}/cancel").status_code == 303
    later = [str(m.message["Subject"]) for m in delivered(app, tmp_path / "mail")]
    assert later == [f"Inscripción cancelada: {event.title}"]


def test_spanish_calendar_files_read_the_same_in_four_parsers(app, client, dst_events, register,
                                                              tmp_path, monkeypatch):  # fmt: skip
    monkeypatch.setattr(event_views, "utcnow", lambda: NOW)
    for event in dst_events[:4]:
        data = client.get(f"/events/{event.slug}/calendar.ics?lang=es").get_data()
        check_calendar(data, [event])
        assert all(d.endswith(f"Detalles: https://campaign.example.org/events/{event.slug}")
                   for d in _descriptions(data))  # fmt: skip
    response = client.get("/calendar.ics", headers={"Accept-Language": "es"})
    assert "Accept-Language" in response.headers["Vary"]
    check_calendar(response.get_data(), dst_events)
    assert all("Detalles: https://" in d for d in _descriptions(response.get_data()))
    english = client.get("/calendar.ics?lang=en").get_data()  # ?lang=es set the cookie
    assert all("Details: https://" in d for d in _descriptions(english))
    for n, event in enumerate(dst_events[:4]):
        register(event, "Sam Jones", f"sam{n}@example.org", now=NOW, language="es")
    messages = [m for m in delivered(app, tmp_path / "mail") if m.kind == "registration_confirmed"]
    assert len(messages) == 4
    db.session.rollback()
    for message in messages:
        registration = db.session.get(Registration, message.registration_id)
        raw = message.part("text/calendar").replace("\r\n", "\n").replace("\n", "\r\n")
        check_calendar(raw.encode(), [registration.event])
        assert all("Detalles: https://" in d for d in _descriptions(raw.encode()))
