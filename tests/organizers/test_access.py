"""Walk every /manage route in the URL map: anonymous visitors are sent to sign in, organizer
B never reaches organizer A's objects, an admin reaches them all.

Driven by app.url_map, so a route added later is walked too. URL variables ending in `_id`
get A's object where the mapping below knows it, else 1; any other variable name fails the
test until the mapping is extended.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from campaign.organizers import access
from tests.conftest import csrf_token
from tests.core.support import (
    build_path,
    csrf_login,
    id_values,
    manage_rules,
    methods,
    snapshot,
    with_config,
)

# Sent with every POST: a complete, valid event form plus the usual confirm box, so that a
# route without an ownership check would really change something.
FORM = {
    "title": "Changed by someone else",
    "summary": "Changed",
    "description": "Changed",
    "timezone": "Europe/London",
    "starts_local": "2030-01-10T18:00",
    "ends_local": "2030-01-10T20:00",
    "format": "in_person",
    "venue": "Elsewhere",
    "city": "York",
    "name": "Someone",
    "email": "someone@example.org",
    "confirm": "y",
}
SECRET_TITLE = "Alpha Private Planning Night"
EVENT_ENDPOINTS = {
    "events_manage.show",
    "events_manage.edit",
    "events_manage.publish",
    "events_manage.unpublish",
    "events_manage.cancel",
    "events_manage.clone",
}


@pytest.fixture
def world(app, campaign, make_organizer, make_event):
    """Organizer A with a published and a draft event; organizer B with none; an admin."""
    organizer_a = make_organizer(email="a@example.org")
    event = make_event(organizer_a, title=SECRET_TITLE)
    draft = make_event(organizer_a, title="Alpha Draft", status="draft", published_at=None)
    organizer_b = make_organizer(email="b@example.org")
    admin = make_organizer(email="admin@example.org", admin=True)
    # A's objects, by URL variable name. Extend when a route takes a new kind of id.
    known = {"event_id": event.id, "organizer_id": organizer_a.id, "locale": "es"}
    return {
        "a": organizer_a,
        "b": organizer_b,
        "admin": admin,
        "event": event,
        "draft": draft,
        "known": known,
    }


def _object_rules(app) -> list:
    """The /manage rules that point at one object (any URL variable ending in _id)."""
    return [r for r in manage_rules(app) if any(a.endswith("_id") for a in r.arguments)]


def _token_from(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return csrf_token(response.get_data(as_text=True))


def test_anonymous_visitor_is_sent_to_login_everywhere(app, client, world):
    value_for = id_values(world["known"])
    rules = manage_rules(app)
    assert len(rules) >= 10, [r.rule for r in rules]
    before = snapshot()
    for rule in rules:
        path = build_path(rule, value_for)
        for method in methods(rule):
            response = client.open(path, method=method, data=FORM)
            where = f"anonymous {method} {path} ({rule.endpoint})"
            assert response.status_code == 302, f"{where}: {response.status_code}"
            location = urlsplit(response.headers["Location"])
            assert location.path == "/manage/login", f"{where}: {location}"
            if method == "GET":
                assert parse_qs(location.query).get("next") == [path], f"{where}: {location}"
    assert snapshot() == before


@with_config(WTF_CSRF_ENABLED=True)
def test_organizer_b_never_reaches_organizer_a_objects(app, client, world):
    assert csrf_login(client, world["b"].email).status_code == 302
    token = _token_from(client, "/manage/events/new")
    value_for = id_values(world["known"])
    rules = _object_rules(app)
    assert {r.endpoint for r in rules} >= EVENT_ENDPOINTS
    before = snapshot()
    for rule in rules:
        path = build_path(rule, value_for)
        for method in methods(rule):
            data = {**FORM, "csrf_token": token} if method != "GET" else None
            response = client.open(path, method=method, data=data)
            where = f"organizer B {method} {path} ({rule.endpoint})"
            assert response.status_code == 404, f"{where}: {response.status_code}"
            assert SECRET_TITLE not in response.get_data(as_text=True), where
            assert snapshot() == before, f"{where} changed the database"

    # B's token was valid all along: B can act on B's own things.
    created = client.post("/manage/events/new", data={**FORM, "csrf_token": token})
    assert created.status_code == 302, created.get_data(as_text=True)


def test_organizer_b_sees_none_of_a_in_lists(app, client, world, login_as):
    login_as(world["b"])
    value_for = id_values(world["known"])
    for rule in manage_rules(app):
        if "GET" not in methods(rule) or rule.arguments:
            continue
        response = client.get(build_path(rule, value_for))
        where = f"organizer B GET {rule.rule}"
        assert response.status_code in (200, 302, 404), f"{where}: {response.status_code}"
        body = response.get_data(as_text=True)
        assert SECRET_TITLE not in body, where
        assert "Alpha Draft" not in body, where


@with_config(WTF_CSRF_ENABLED=True)
def test_admin_reaches_every_object_route(app, client, world):
    assert csrf_login(client, world["admin"].email).status_code == 302
    token = _token_from(client, "/manage/events/new")
    known = world["known"]
    rules = [r for r in _object_rules(app) if set(r.arguments) <= set(known)]
    assert {r.endpoint for r in rules} >= EVENT_ENDPOINTS
    for rule in rules:
        path = build_path(rule, id_values(known))
        for method in methods(rule):
            data = {**FORM, "csrf_token": token} if method != "GET" else None
            response = client.open(path, method=method, data=data)
            where = f"admin {method} {path} ({rule.endpoint})"
            body = response.get_data(as_text=True)
            allowed = (200, 302, 303) if method == "GET" else (200, 302, 303, 400)
            assert response.status_code in allowed, f"{where}: {response.status_code}"
            assert "Your form expired" not in body, where


def test_owner_reaches_own_event_routes(app, client, world, login_as):
    login_as(world["a"])
    value_for = id_values({"event_id": world["draft"].id})
    for rule in _object_rules(app):
        if set(rule.arguments) != {"event_id"} or "GET" not in methods(rule):
            continue
        response = client.get(build_path(rule, value_for))
        assert response.status_code in (200, 302, 303), (rule.rule, response.status_code)


def test_every_route_about_one_event_opens_with_the_shared_preamble(app):
    """Sign-in, look-up, ownership and 404 are written once (organizers.access)."""
    rules = [r for r in manage_rules(app) if "event_id" in r.arguments]
    assert {r.endpoint for r in rules} >= EVENT_ENDPOINTS
    without = [r.rule for r in rules if app.view_functions[r.endpoint] not in access.EVENT_VIEWS]
    assert without == []


def test_unknown_url_variable_fails_with_a_clear_message(app):
    """The walk refuses to guess: a new kind of variable must be added to the mapping."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "organizers.accept_invite")
    with pytest.raises(pytest.fail.Exception, match=r"<token>.*add it to the test's mapping"):
        build_path(rule, id_values({"event_id": 1}))
