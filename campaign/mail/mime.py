"""Building the MIME message of an outbox row: text and HTML alternatives, the calendar
attached, the same headers on every message.

Two builders share those headers: plain compat32 parts for ASCII addresses (the fast
path, taken for nearly every message) and the policy-based EmailMessage for addresses
that need SMTPUTF8.
"""

from __future__ import annotations

import binascii
import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.base64mime import body_encode
from email.header import Header
from email.message import EmailMessage, Message
from email.utils import format_datetime, formataddr, parseaddr
from typing import TYPE_CHECKING, Any

from campaign.mail.models import OutboxMessage

if TYPE_CHECKING:
    from typing import TypeAlias

    # A compat32 part whose headers may be set to Header objects (RFC 2047 words).
    Part: TypeAlias = Message[str, str | Header]


@dataclass(frozen=True)
class Outgoing:
    """What sending one claimed row needs; read for the whole batch at once."""

    id: int
    attempts: int
    to_email: str
    subject: str
    text_body: str
    html_body: str
    headers: dict[str, Any]
    ics: str | None
    message_id: str

    @classmethod
    def of(
        cls,
        row: OutboxMessage,
        subject: str,
        text: str,
        html: str,
        headers: dict[str, Any] | None,
        ics: str | None,
    ) -> Outgoing:
        """What sending row needs, with this content."""
        return cls(
            id=row.id,
            attempts=row.attempts,
            to_email=row.to_email,
            subject=subject,
            text_body=text,
            html_body=html,
            headers=dict(headers or {}),
            ics=ics,
            message_id=row.message_id,
        )


# What a message is built from: a claimed batch's rows, or an outbox row itself.
Content = OutboxMessage | Outgoing


def build_message(row: Content, sender: str, now: datetime) -> Message:
    """The MIME message for a row: text and HTML alternatives, the .ics attached.

    Assembled from plain compat32 Message parts with their headers written out: the
    policy-based EmailMessage parses every header it is given and costs about ten times
    as much per message. Every header value goes through _one_line (no header
    injection) and is RFC 2047-encoded when not ASCII.
    """
    from_header, address = _from_header(sender)
    if not (row.to_email.isascii() and address.isascii()):
        return _build_international(row, sender, now)
    body = _multipart(
        "alternative",
        _text_part(row.text_body or "", "plain"),
        _text_part(row.html_body or "", "html"),
    )
    message = body
    if row.ics:
        method = _calendar_method(row.ics)
        calendar = _text_part(row.ics, "calendar", f"; method={method}")
        calendar["Content-Disposition"] = 'attachment; filename="event.ics"'
        message = _multipart("mixed", body, calendar)
    message["MIME-Version"] = "1.0"
    for name, value in _headers(row, from_header, now, _header):
        message[name] = value
    return message


def _headers(
    row: Content, from_header: str, now: datetime, encode: Callable[[str], str | Header]
) -> list[tuple[str, str | Header]]:
    """The headers of every message, in order, each value on one line (no header
    injection) and passed through encode (RFC 2047 for the compat32 parts; the
    policy-based API encodes by itself)."""
    return [
        ("Subject", encode(row.subject or "")),
        ("From", from_header),
        ("To", _one_line(row.to_email)),
        ("Date", format_datetime(now)),
        ("Message-ID", _one_line(row.message_id)),
        *((_one_line(name), encode(str(value))) for name, value in (row.headers or {}).items()),
        ("Auto-Submitted", "auto-generated"),
    ]


def _calendar_method(ics: str) -> str:
    """The iTIP method of the attached calendar: a cancellation or a new version."""
    return "CANCEL" if "METHOD:CANCEL" in ics else "PUBLISH"


def _multipart(subtype: str, *parts: Part) -> Part:
    """A multipart container with a random boundary of its own: left unset, the generator
    would compile a regular expression per boundary to search the parts for it (a third
    of the cost of writing a message out). 96 random bits never turn up in a body."""
    container: Part = Message()
    boundary = f"==_{random.getrandbits(96):024x}"
    container["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"'
    for part in parts:
        container.attach(part)
    return container


# RFC 5322 allows 998 octets a line; SMTP's dot-stuffing may add one.
MAX_LINE_OCTETS = 990


def _text_part(text: str, subtype: str, params: str = "") -> Part:
    """7bit when ASCII, 8bit UTF-8 otherwise, while every line fits in MAX_LINE_OCTETS
    octets (not characters: a Cyrillic letter takes two); otherwise quoted-printable for
    mostly ASCII text and base64 for the rest."""
    text = text.replace("\r\n", "\n")
    data = text.encode()
    if max(map(len, data.split(b"\n"))) <= MAX_LINE_OCTETS:
        if len(data) == len(text):
            charset, encoding, payload = "us-ascii", "7bit", text
        else:  # the generators write surrogate-escaped bytes back as they were
            charset, encoding = "utf-8", "8bit"
            payload = data.decode("ascii", "surrogateescape")
    elif (len(data) - len(text)) * 6 < len(text):  # few multi-byte characters
        charset, encoding = "utf-8", "quoted-printable"
        payload = binascii.b2a_qp(data, istext=True).decode("ascii")
    else:
        charset, encoding, payload = "utf-8", "base64", body_encode(data)
    part: Part = Message()
    part["Content-Type"] = f'text/{subtype}; charset="{charset}"{params}'
    part["Content-Transfer-Encoding"] = encoding
    part.set_payload(payload)
    return part


@functools.lru_cache(maxsize=8)
def _from_header(sender: str) -> tuple[str, str]:
    """(the From header, the bare address) for the configured sender."""
    name, address = parseaddr(_one_line(sender))
    if not address.isascii():  # the SMTPUTF8 path writes the header as configured
        return _one_line(sender), address
    return formataddr((name, address)), address


def _header(value: str) -> str | Header:
    value = _one_line(value)
    return value if value.isascii() else Header(value, "utf-8")


def _build_international(row: Content, sender: str, now: datetime) -> Message:
    """The same message for non-ASCII addresses (SMTPUTF8), with the policy-based API."""
    message = EmailMessage()
    for name, value in _headers(row, _one_line(sender), now, _one_line):
        message[name] = value
    message.set_content(row.text_body or "")
    message.add_alternative(row.html_body or "", subtype="html")
    if row.ics:
        message.add_attachment(
            row.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="event.ics",
            params={"method": _calendar_method(row.ics)},
        )
    return message


def _one_line(value: str) -> str:
    """Header values never carry line breaks (no header injection)."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())
