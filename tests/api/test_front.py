"""Stored API answers sent before the request cycle (campaign.api.front): the same bytes and
headers as the view's, 304 and compression alike, never a stale or wrong body, and every
bad request still answered by the view."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign.api import front
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer

COMPARED = (
    "Content-Type",
    "ETag",
    "Cache-Control",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Content-Security-Policy",
    "X-Content-Type-Options",
)


@pytest.fixture
def event(make_event: Callable[..., Event], make_organizer: Callable[..., Organizer]) -> Event:
    # Long enough for the answers to be sent compressed; the summary within its 280.
    return make_event(
        make_organizer(),
        title="Stored",
        summary="A summary. " * 25,
        description="A longer description of the event. " * 40,
    )


@pytest.fixture
def views_called(app: Flask) -> Iterator[list[str]]:
    """The API views the requests reached (the front answers the others)."""
    calls: list[str] = []
    originals = {name: app.view_functions[name] for name in ("api.events", "api.event")}
    for endpoint, view in originals.items():

        def counted(*args: Any, _view: Any = view, _name: str = endpoint, **kw: Any) -> Any:
            calls.append(_name)
            return _view(*args, **kw)

        app.view_functions[endpoint] = counted
    yield calls
    app.view_functions.update(originals)


@pytest.mark.parametrize("path", ["/api/v1/events?per_page=5&city=leeds", "/api/v1/events/{slug}"])
def test_a_stored_answer_is_the_views_answer(
    client: FlaskClient, event: Event, views_called: list[str], path: str
) -> None:
    url = path.format(slug=event.slug)
    built = client.get(url)
    stored = client.get(url)
    assert len(views_called) == 1  # the second came from memory, before Flask
    assert stored.status_code == built.status_code == 200
    assert stored.get_data() == built.get_data()
    for name in COMPARED:
        assert stored.headers.get(name) == built.headers.get(name), name
    assert "Set-Cookie" not in stored.headers


def test_not_modified_and_compressed_alike(
    client: FlaskClient, event: Event, views_called: list[str]
) -> None:
    plain = client.get("/api/v1/events")
    etag = plain.headers["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/api/v1/events", headers={"If-None-Match": sent})
        assert response.status_code == 304, sent
        assert response.get_data() == b"" and response.headers["ETag"] == etag
    assert client.get("/api/v1/events", headers={"If-None-Match": '"other"'}).status_code == 200
    zipped = client.get("/api/v1/events", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert zipped.headers["Content-Length"] == str(len(zipped.get_data()))
    brotlied = client.get("/api/v1/events", headers={"Accept-Encoding": "gzip, br"})
    assert brotlied.headers["Content-Encoding"] == "br"
    assert brotli.decompress(brotlied.get_data()) == plain.get_data()
    head = client.head("/api/v1/events", headers={"Accept-Encoding": "gzip"})
    assert head.get_data() == b"" and head.headers["Content-Length"] == str(len(plain.get_data()))
    assert views_called == ["api.events"]


def test_a_change_is_never_answered_from_the_old_copy(
    client: FlaskClient, event: Event, views_called: list[str]
) -> None:
    before = client.get("/api/v1/events")
    stored = db.session.get(Event, event.id)
    assert stored is not None
    stored.title = "Renamed"
    db.session.commit()
    after = client.get("/api/v1/events")
    assert after.get_json()["events"][0]["title"] == "Renamed"
    assert after.headers["ETag"] != before.headers["ETag"]
    assert views_called == ["api.events", "api.events"]


def test_bad_requests_still_reach_the_view(
    client: FlaskClient, event: Event, views_called: list[str]
) -> None:
    client.get("/api/v1/events")  # stored
    cases = [
        ("/api/v1/events?per_page=0", 400),
        ("/api/v1/events?page=x", 400),
        ("/api/v1/events?online=maybe", 400),
        ("/api/v1/events/no-such-event", 404),
    ]
    for url, status in cases:
        response = client.get(url)
        assert response.status_code == status, url
        assert "error" in response.get_json()
    assert client.post("/api/v1/events").status_code == 405
    assert client.get("/api/v1/events/a/b").status_code == 404
    # Bytes that are not UTF-8 in the query, escaped or raw: the view answers them both.
    escaped = client.get("/api/v1/events?city=%FF%FE")
    assert escaped.status_code == 200 and escaped.get_json()["events"] == []
    assert views_called.count("api.events") == 5


def test_raw_bytes_that_are_not_utf8_go_on_to_the_app(app: Flask, event: Event) -> None:
    passed: list[str] = []

    def next_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        passed.append(environ["QUERY_STRING"])
        return [b"next"]

    layer = front.ApiFront(app, next_app)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/events", "QUERY_STRING": "c=\xff"}
    assert layer(environ, lambda *a: None) == [b"next"] and passed == ["c=\xff"]
