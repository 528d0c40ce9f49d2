"""The session cookie is read only when a request carries one; sessions work as Flask's."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import login


@pytest.fixture
def serializers_built(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    built: list[int] = []
    real = SecureCookieSessionInterface.get_signing_serializer

    def counting(self: Any, application: Flask) -> Any:
        built.append(1)
        return real(self, application)

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", counting)
    return built


def test_a_visitor_without_the_cookie_costs_no_serializer(
    app, make_organizer, make_event, serializers_built
):
    event = make_event(make_organizer())
    client = app.test_client(use_cookies=False)
    assert client.get(f"/events/{event.slug}").status_code == 200
    assert client.get("/").status_code in (200, 302)
    assert serializers_built == []


def test_a_signed_in_organizer_keeps_the_session(app, client, make_organizer):
    organizer = make_organizer()
    assert login(client, organizer.email).status_code == 302
    assert client.get("/manage/").status_code == 200


def test_a_forged_cookie_is_an_empty_session(app, client, make_organizer):
    organizer = make_organizer()
    assert login(client, organizer.email).status_code == 302
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookie = client.get_cookie(name)
    assert cookie is not None
    client.set_cookie(name, cookie.value[:-4] + "AAAA")
    response = client.get("/manage/")
    assert response.status_code == 302 and "/manage/login" in response.headers["Location"]
