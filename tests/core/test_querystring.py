"""Raw bytes in a query string that are not UTF-8 (scanners send them) get an ordinary
answer from every layer, never a 500; a readable query string is passed on untouched."""

from __future__ import annotations

import pytest

from campaign.core.querystring import readable

# A WSGI query string carries its bytes as latin-1 characters: "\xff" is the byte 0xFF.
RAW_FF = "q=\xff"


@pytest.mark.parametrize(
    "query",
    ["", "q=walk", "q=%FF&page=2", "city=S%C3%A3o+Paulo", "q=caf\xc3\xa9", "a=%25&b=+"],
)
def test_a_readable_query_string_is_left_alone(query):
    assert readable(query) is query


def test_unreadable_bytes_are_escaped_as_a_browser_would():
    assert readable("q=\xff&city=Le\xe7on") == "q=%FF&city=Le%E7on"
    # Valid UTF-8 next to a bad byte is escaped too, and decodes to the same text.
    assert readable("q=caf\xc3\xa9\xff") == "q=caf%C3%A9%FF"


@pytest.mark.parametrize(
    "path",
    ["/", "/events", "/facts", "/api/v1/events", "/calendar.ics", "/manage/login"],
)
def test_every_layer_answers_a_raw_byte_query_without_failing(
    client, make_event, make_organizer, path
):
    make_event(make_organizer())
    response = client.get(path, environ_overrides={"QUERY_STRING": RAW_FF})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    # The same page as for the escaped form a browser sends.
    escaped = client.get(path, query_string="q=%FF")
    assert response.status_code == escaped.status_code
