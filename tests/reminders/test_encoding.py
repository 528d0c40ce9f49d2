"""Mail lines are limited in octets, not characters: user text in any script (a 600-letter
Cyrillic paragraph, Devanagari, Chinese, a long Latin line) goes out with no line over
998 octets (RFC 5322) in every kind of mail that carries it, text and HTML alike, and
arrives intact; short lines keep the cheap 7bit/8bit encoding."""

from __future__ import annotations

import email
from datetime import timedelta
from email.policy import SMTPUTF8, default
from email.utils import parseaddr

import pytest
from sqlalchemy import update

from campaign.events.models import Event
from campaign.extensions import db
from campaign.mail.mime import Outgoing, _text_part, build_message
from campaign.reminders import services as reminder_services
from campaign.signups import seats as signup_seats
from campaign.signups.models import Registration
from tests.reminders.conftest import (
    base_time,
    cancel_event,
    deliver,
    register,
    reschedule,
    rows,
    tick,
)

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
LIMIT = 998
VENUE = "Центральная городская библиотека имени " + " ".join(["Пушкина"] * 20)
PARAGRAPHS = {
    "cyrillic": "Приходите заранее, чтобы найти место и познакомиться с соседями. " * 10,
    "devanagari": "कृपया समय से पहले आएँ ताकि आपको बैठने की जगह मिल सके। " * 12,
    "chinese": "请提前到达，以便找到座位并认识其他参加者。" * 30,
    "latin": "Please-arrive-early-" * 60,  # one 1,200-character word
}


def long_lines(data: bytes) -> list[int]:
    """Lengths, in octets, of the lines over the limit."""
    return [len(line) for line in data.replace(b"\r\n", b"\n").split(b"\n") if len(line) > LIMIT]


def decoded_parts(data: bytes) -> dict[str, str]:
    message = email.message_from_bytes(data)
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "ascii")
    return found


@pytest.mark.parametrize("script", sorted(PARAGRAPHS))
@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_a_long_paragraph_in_any_script_is_encoded_within_the_line_limit(script, subtype):
    text = f"Hello,\n\n{PARAGRAPHS[script]}\n\nSee you there.\n"
    part = _text_part(text, subtype)
    data = part.as_bytes()
    assert long_lines(data) == [], (script, part["Content-Transfer-Encoding"])
    assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert part.get_payload(decode=True).decode() == text


def test_short_lines_keep_7bit_and_8bit():
    assert _text_part("Hello\n", "plain")["Content-Transfer-Encoding"] == "7bit"
    short = "Привет! " * 50  # 400 characters, 750 octets: within the limit
    part = _text_part(short, "plain")
    assert part["Content-Transfer-Encoding"] == "8bit"
    assert part.get_payload(decode=True).decode() == short


def test_every_kind_of_mail_with_user_text_stays_within_the_line_limit(
    app, smtp, event_at, organizer
):
    start = base_time()
    cyrillic = PARAGRAPHS["cyrillic"]
    event = event_at(
        start,
        title="Открытая встреча о кетамине и психическом здоровье для всех жителей района",
        venue=VENUE,
        address="Улица Большая Садовая, дом десять, подъезд второй, " * 5,
        city="Санкт-Петербург",
        country="Российская Федерация",
        capacity=2,
    )
    first = register(event, "first@example.org", start - 10 * DAY, name="Анна Петровна")
    register(event, "second@example.org", start - 10 * DAY, name="Борис Иванович")
    register(event, "third@example.org", start - 10 * DAY, name="Вера Сергеевна")  # waitlisted
    deliver(start - 10 * DAY)
    registration = db.session.get(Registration, first)
    assert registration is not None
    signup_seats.cancel(registration, start - 9 * DAY)  # Vera is promoted
    db.session.commit()
    tick(start - 7 * DAY)
    locked = signup_seats.lock_event(event.id)
    assert locked is not None
    for script in ("cyrillic", "chinese", "latin"):
        reminder_services.send_broadcast(
            locked, organizer.id, "confirmed", "Важно", f"Здравствуйте!\n\n{PARAGRAPHS[script]}",
            start - 6 * DAY,
        )  # fmt: skip
    db.session.commit()
    reschedule(event.id, start + HOUR, start - 5 * DAY)
    deliver(start - 5 * DAY)
    ended = event_at(start - 3 * DAY, venue=event.venue, address=event.address)
    register(ended, "fourth@example.org", start - 10 * DAY, name="Глеб")
    db.session.execute(update(Event).where(Event.id == ended.id).values(title=event.title))
    db.session.commit()
    tick(start - 3 * DAY + 5 * HOUR)  # its thank-you
    cancel_event(event.id, start - 2 * DAY)
    deliver(start - 2 * DAY)

    kinds = {r.message_id: r.kind for r in rows()}
    seen = {kinds[a.message_id or ""] for a in smtp.received}
    assert seen >= {
        "registration_confirmed", "waitlisted", "promoted", "registration_cancelled",
        "reminder", "broadcast", "event_changed", "event_cancelled", "thank_you",
    }, seen  # fmt: skip
    for attempt in smtp.received:
        kind = kinds[attempt.message_id or ""]
        assert long_lines(attempt.data) == [], kind
        parts = decoded_parts(attempt.data)
        if kind == "broadcast":
            assert any(p.strip() in parts["text/plain"] for p in PARAGRAPHS.values()), kind
            assert any(p.strip() in parts["text/html"] for p in PARAGRAPHS.values()), kind
        else:  # the title, and the long venue wherever the event's details are given
            assert "Открытая встреча о кетамине" in parts["text/plain"], kind
            if "Where:" in parts["text/plain"]:
                assert VENUE in parts["text/plain"], kind
    broadcasts = [decoded_parts(a.data)["text/plain"] for a in smtp.received
                  if kinds[a.message_id or ""] == "broadcast"]  # fmt: skip
    assert sum(cyrillic.strip() in text for text in broadcasts) == 2  # two confirmed people


@pytest.mark.parametrize(
    ("sender", "expected_from"),
    [
        ("Día Nacional <no-reply@campaign.invalid>", "Día Nacional <no-reply@campaign.invalid>"),
        ("Día <no-reply@día.example>", "Día <no-reply@día.example>"),
        ("National Day <no-reply@campaign.invalid>", "National Day <no-reply@campaign.invalid>"),
    ],
)
@pytest.mark.parametrize("to_email", ["ana@example.org", "añа@example.org"])
def test_a_sender_with_non_ascii_name_or_address_builds_a_readable_message(
    sender, expected_from, to_email
):
    """MAIL_SENDER may carry an accented name or an internationalised domain: the message
    is still built (RFC 2047 name, or SMTPUTF8 when an address needs it) and reads back as
    configured."""
    row = Outgoing(1, 0, to_email, "Recordatorio", "Hola", "<p>Hola</p>", {}, None, "<m@x>")
    message = build_message(row, sender, base_time())
    parsed = email.message_from_bytes(message.as_bytes(policy=SMTPUTF8), policy=default)
    assert parseaddr(str(parsed["From"])) == parseaddr(expected_from)
    assert str(parsed["To"]) == to_email
