"""The public JSON API: published upcoming events only, pagination with clear 400s,
ETag/304, CORS for GET, and nothing about people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer
from campaign.signups import services as signup_services
from campaign.signups.models import Registration


@pytest.fixture
def organizer(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer(email="host.person@example.org")


def _json(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def test_lists_published_upcoming_events_only(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    soon = make_event(organizer, title="Soon", starts_at=utcnow() + timedelta(days=2))
    later = make_event(organizer, title="Later", starts_at=utcnow() + timedelta(days=9))
    make_event(organizer, title="Draft one", status="draft", published_at=None)
    make_event(organizer, title="Called off", status="cancelled", cancelled_at=utcnow())
    make_event(organizer, title="Over", starts_at=utcnow() - timedelta(days=3))

    data = _json(client, "/api/v1/events")

    assert [e["slug"] for e in data["events"]] == [soon.slug, later.slug]
    assert data["total"] == 2 and data["pages"] == 1 and data["page"] == 1
    first = data["events"][0]
    assert first["title"] == "Soon"
    assert first["url"] == f"https://campaign.example.org/events/{soon.slug}"
    assert first["starts_at"].endswith("Z")
    assert first["timezone"] == "Europe/London"
    assert first["when_text"] == soon.when_text
    assert data["campaign"]["disclaimer"].startswith("Educational content, not medical advice")


def test_one_event_and_404_for_any_other(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    shown = make_event(organizer, title="Shown")
    draft = make_event(organizer, status="draft", published_at=None)
    cancelled = make_event(organizer, status="cancelled", cancelled_at=utcnow())
    past = make_event(organizer, starts_at=utcnow() - timedelta(days=3))

    data = _json(client, f"/api/v1/events/{shown.slug}")
    assert data["event"]["title"] == "Shown"

    for slug in (draft.slug, cancelled.slug, past.slug, "no-such-event", "x" * 300):
        error = _json(client, f"/api/v1/events/{slug}", 404)["error"]
        assert error["status"] == 404
        assert "No upcoming published event" in error["message"]


def test_pagination_and_links(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    slugs = [
        make_event(organizer, starts_at=utcnow() + timedelta(days=n + 1)).slug for n in range(5)
    ]

    first = _json(client, "/api/v1/events?per_page=2")
    second = _json(client, "/api/v1/events?per_page=2&page=2")
    last = _json(client, "/api/v1/events?per_page=2&page=3")
    beyond = _json(client, "/api/v1/events?per_page=2&page=9")

    assert [e["slug"] for e in first["events"]] == slugs[:2]
    assert [e["slug"] for e in second["events"]] == slugs[2:4]
    assert [e["slug"] for e in last["events"]] == slugs[4:]
    assert first["pages"] == 3 and first["total"] == 5
    assert first["links"]["prev"] is None
    assert first["links"]["next"].endswith("/api/v1/events?page=2&per_page=2")
    assert last["links"]["next"] is None
    assert beyond["events"] == [] and beyond["links"]["prev"].endswith("page=3&per_page=2")


def test_filters(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    leeds = make_event(organizer, city="Leeds")
    make_event(organizer, city="York")
    online = make_event(organizer, city="", venue="", format="online")

    assert [e["slug"] for e in _json(client, "/api/v1/events?city=leeds")["events"]] == [leeds.slug]
    assert [e["slug"] for e in _json(client, "/api/v1/events?online=true")["events"]] == [
        online.slug
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=", "page"),
        ("page=10001", "page"),
        ("page=99999999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=ten", "per_page"),
        ("page=%D9%A3", "page"),  # an Arabic-Indic digit: not an ASCII number
        ("online=maybe", "online"),
        ("city=" + "x" * 101, "city"),
        ("region=a%00b", "region"),
    ],
)
def test_bad_parameters_get_a_clear_400(
    client: FlaskClient, campaign: object, query: str, parameter: str
) -> None:
    response = client.get(f"/api/v1/events?{query}")

    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert error["status"] == 400
    assert error["parameter"] == parameter
    assert parameter in error["message"]


def test_bounds_are_accepted(client: FlaskClient, campaign: object) -> None:
    data = _json(client, "/api/v1/events?page=10000&per_page=100&_=123")
    assert data["page"] == 10000 and data["per_page"] == 100 and data["events"] == []


def test_etag_and_304_until_an_event_changes(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    event = make_event(organizer, title="Before")
    for url in ("/api/v1/events", f"/api/v1/events/{event.slug}"):
        response = client.get(url)
        etag = response.headers["ETag"]
        assert response.headers["Cache-Control"].startswith("public")

        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Access-Control-Allow-Origin"] == "*"

        other = client.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200

    listing_etag = client.get("/api/v1/events").headers["ETag"]
    event.title = "After"
    db.session.commit()

    changed = client.get("/api/v1/events", headers={"If-None-Match": listing_etag})
    assert changed.status_code == 200
    assert changed.get_json()["events"][0]["title"] == "After"
    assert changed.headers["ETag"] != listing_etag


def test_etag_differs_per_page(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    make_event(organizer)
    one = client.get("/api/v1/events?per_page=1").headers["ETag"]
    two = client.get("/api/v1/events?per_page=2").headers["ETag"]
    assert one != two


def test_cors_preflight(client: FlaskClient, campaign: object) -> None:
    response = client.options(
        "/api/v1/events",
        headers={
            "Origin": "https://partner.example.net",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]


def test_read_only(client: FlaskClient, campaign: object) -> None:
    assert client.post("/api/v1/events").status_code == 405
    assert client.delete("/api/v1/events/anything").status_code == 405


def test_no_personal_data(
    app: Any,
    client: FlaskClient,
    make_event: Callable[..., Event],
    organizer: Organizer,
) -> None:
    event = make_event(
        organizer,
        format="hybrid",
        join_url="https://meet.example.com/secret-room-4417",
        capacity=40,
    )
    signup_services.register(
        event.id,
        signup_services.SignupInput(name="Wilhelmina Quartermaine", email="wq.person@example.net"),
        utcnow(),
        app.config["SECRET_KEY"],
    )
    db.session.commit()
    registration = db.session.scalars(db.select(Registration)).one()

    for url in ("/api/v1/events", f"/api/v1/events/{event.slug}"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert event.slug in body
        for secret in (
            "wq.person@example.net",
            "Wilhelmina",
            "Quartermaine",
            "host.person@example.org",
            organizer.name,
            registration.token_hash,
            registration.token_nonce,
            "secret-room-4417",
            "@",
        ):
            assert secret not in body, secret
        assert "Set-Cookie" not in response.headers


def test_no_campaign_is_a_json_404(client: FlaskClient) -> None:
    error = _json(client, "/api/v1/events", 404)["error"]
    assert error["message"] == "There is no active campaign."


def test_the_state_memo_shows_a_change_after_its_window(
    client: FlaskClient,
    make_event: Callable[..., Event],
    organizer: Organizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from campaign.api import views

    clock = [100.0]  # read once or twice a request (before Flask and in the view)
    monkeypatch.setattr(views, "STATE_SECONDS", 1.0)
    monkeypatch.setattr(views, "_clock", lambda: clock[0])
    event = make_event(organizer, title="Before")

    first = client.get("/api/v1/events").get_json()
    event.title = "After"
    db.session.commit()
    clock[0] = 100.5
    within = client.get("/api/v1/events").get_json()
    clock[0] = 101.2
    after = client.get("/api/v1/events").get_json()

    assert first["events"][0]["title"] == "Before"
    assert within["events"][0]["title"] == "Before"  # the same second: the same answer
    assert after["events"][0]["title"] == "After"


def test_unknown_api_address_is_a_json_404(client: FlaskClient, campaign: object) -> None:
    for path in ("/api/v1/", "/api/v1/organizers", "/api/v1/events/a/b"):
        error = _json(client, path, 404)["error"]
        assert "use /api/v1/events" in error["message"]


def test_position_says_where_and_how_precisely(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    soon = utcnow() + timedelta(days=1)
    times = {"starts_at": soon, "ends_at": soon + timedelta(hours=2)}
    pinned = make_event(organizer, title="Pinned", latitude=53.8008, longitude=-1.5491, **times)
    by_city = make_event(organizer, title="City", city="Toronto", country="Canada", **times)
    by_country = make_event(organizer, title="Country", **times)  # Leeds: not in the gazetteer
    unknown = make_event(organizer, title="Unknown", city="Leeds", country="", **times)
    online = make_event(
        organizer, title="Online", format="online", venue="", latitude=None, **times
    )
    listed = {e["slug"]: e["position"] for e in _json(client, "/api/v1/events")["events"]}
    assert listed[pinned.slug] == {"latitude": 53.8008, "longitude": -1.5491, "precision": "exact"}
    city = listed[by_city.slug]
    assert city["precision"] == "city"
    assert abs(city["latitude"] - 43.66) < 0.1 and abs(city["longitude"] + 79.39) < 0.1
    assert listed[by_country.slug]["precision"] == "country"
    assert listed[unknown.slug] is None and listed[online.slug] is None
    one = _json(client, f"/api/v1/events/{pinned.slug}")["event"]
    assert one["position"] == listed[pinned.slug]
