"""Mail headers stay one line whatever an event's title holds: a stored title with any kind
of line break (CR, LF, NEL, U+2028, ...) gives a one-line Subject and adds no header."""

from __future__ import annotations

import email
import email.policy

import pytest

from tests.signups.conftest import deliver

BREAKS = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "VT": "\x0b",
    "FF": "\x0c",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
}


@pytest.mark.parametrize("kind", list(BREAKS))
def test_a_title_with_a_line_break_cannot_add_a_header(
    app, make_organizer, make_event, register, tmp_path, kind
):
    br = BREAKS[kind]
    event = make_event(make_organizer(), title=f"Talk{br}Bcc: victim@example.net{br}X-Injected: 1")
    register(event, "Sam Jones", "sam@example.org")
    directory = tmp_path / "mail"
    [message] = deliver(app, directory)
    [path] = directory.glob("*.eml")
    raw = path.read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert "Bcc: victim@example.net X-Injected: 1" in str(parsed["Subject"])
    for line in head.decode("ascii").splitlines():
        assert not line.startswith(("Bcc", "X-Injected")), line
    assert message["Subject"] == parsed["Subject"]
