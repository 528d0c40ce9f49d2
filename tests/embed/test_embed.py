"""The embeddable event finder: framable by any site or only the allow-list, register
buttons leave the frame, every other page stays unframable; the organizer's snippet and
the admin's allow-list with bad input refused."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.embed import services
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer
from tests.conftest import csrf_token

PARTNER = "https://partner.example.net"


@pytest.fixture
def organizer(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer("sam.organizer@example.org")


@pytest.fixture
def admin(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer("alex.admin@example.org", admin=True)


def frame_ancestors(response: object) -> str:
    policy = response.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    return next(p.strip() for p in policy.split(";") if "frame-ancestors" in p)


def test_finder_lists_upcoming_events_and_any_site_may_frame_it(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    shown = make_event(organizer, title="Shown talk")
    make_event(organizer, title="Draft talk", status="draft", published_at=None)
    make_event(organizer, title="Old talk", starts_at=utcnow() - timedelta(days=3))

    response = client.get("/embed/events", headers={"Sec-Fetch-Dest": "iframe"})

    assert response.status_code == 200
    assert frame_ancestors(response) == "frame-ancestors *"
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-cache"
    page = response.get_data(as_text=True)
    assert "Shown talk" in page and "Draft talk" not in page and "Old talk" not in page
    register = re.search(r'<a class="button button--primary" href="([^"]+)"([^>]*)>Register', page)
    assert register is not None
    assert register.group(1) == f"https://campaign.example.org/events/{shown.slug}"
    assert 'target="_blank"' in register.group(2) and 'rel="noopener"' in register.group(2)
    assert "Educational content, not medical advice" in page
    assert "<form" in page and 'method="post"' not in page  # nothing is done in the frame


def test_finder_filters(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    make_event(organizer, title="Leeds talk", city="Leeds")
    make_event(organizer, title="York talk", city="York")
    page = client.get("/embed/events?city=York").get_data(as_text=True)
    assert "York talk" in page and "Leeds talk" not in page


@pytest.mark.parametrize("path", ["/", "/events", "/manage/login", "/facts"])
def test_every_other_page_refuses_frames(
    client: FlaskClient, campaign: Campaign, path: str
) -> None:
    response = client.get(path)
    assert frame_ancestors(response) == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_allow_list_limits_framing_and_explains_a_refusal(
    client: FlaskClient, campaign: Campaign, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    make_event(organizer, title="Shown talk")
    campaign.embed_origins = PARTNER
    db.session.commit()

    listed = client.get(
        "/embed/events", headers={"Sec-Fetch-Dest": "iframe", "Referer": PARTNER + "/"}
    )
    assert listed.status_code == 200
    assert frame_ancestors(listed) == f"frame-ancestors 'self' {PARTNER}"
    assert "Shown talk" in listed.get_data(as_text=True)

    other = client.get(
        "/embed/events",
        headers={"Sec-Fetch-Dest": "iframe", "Referer": "https://elsewhere.example.com/page"},
    )
    assert other.status_code == 403
    text = html.unescape(other.get_data(as_text=True))
    assert "https://elsewhere.example.com is not on National Ketamine Day’s list" in text
    assert "Shown talk" not in text
    assert frame_ancestors(other) == "frame-ancestors *"  # so the partner sees why

    own = client.get(
        "/embed/events",
        headers={"Sec-Fetch-Dest": "iframe", "Referer": "https://campaign.example.org/manage"},
    )
    assert own.status_code == 200
    # Without a Referer the browser enforces frame-ancestors itself.
    bare = client.get("/embed/events", headers={"Sec-Fetch-Dest": "iframe"})
    assert bare.status_code == 200 and PARTNER in frame_ancestors(bare)


def test_snippet_page_for_organizers(
    client: FlaskClient,
    campaign: Campaign,
    make_event: Callable[..., Event],
    organizer: Organizer,
    login_as: Callable[..., object],
) -> None:
    assert client.get("/manage/embed").status_code == 302  # signed-out: to the login
    make_event(organizer, city="Leeds")
    login_as(organizer)
    page = html.unescape(client.get("/manage/embed?city=Leeds&online=1").get_data(as_text=True))
    # The textarea holds the snippet as pasted: its own attribute escaping stays.
    assert (
        '<iframe src="https://campaign.example.org/embed/events?city=Leeds&amp;online=1" '
        'title="National Ketamine Day: events"'
    ) in page
    assert "Any site may show it." in page
    assert "Save the list" not in page  # only admins change the list


def test_only_admins_change_the_allow_list(
    client: FlaskClient,
    campaign: Campaign,
    organizer: Organizer,
    login_as: Callable[..., object],
) -> None:
    login_as(organizer)
    token = csrf_token(client.get("/manage/embed").get_data(as_text=True))
    response = client.post("/manage/embed", data={"csrf_token": token, "embed_origins": PARTNER})
    assert response.status_code == 404
    db.session.expire_all()
    assert campaign.embed_origins == ""


def test_admin_sets_and_clears_the_allow_list(
    client: FlaskClient, campaign: Campaign, admin: Organizer, login_as: Callable[..., object]
) -> None:
    login_as(admin)
    token = csrf_token(client.get("/manage/embed").get_data(as_text=True))
    saved = client.post(
        "/manage/embed",
        data={
            "csrf_token": token,
            "embed_origins": "HTTPS://Partner.Example.net/\nhttp://localhost:5801\n"
            "https://partner.example.net\nhttps://*.clinic.example.org",
        },
        follow_redirects=True,
    )
    assert "only the sites listed may show" in saved.get_data(as_text=True)
    db.session.expire_all()
    assert campaign.embed_origins.splitlines() == [
        PARTNER,
        "http://localhost:5801",
        "https://*.clinic.example.org",
    ]

    token = csrf_token(client.get("/manage/embed").get_data(as_text=True))
    cleared = client.post(
        "/manage/embed", data={"csrf_token": token, "embed_origins": "  "}, follow_redirects=True
    )
    assert "any site may show the event finder" in cleared.get_data(as_text=True)
    db.session.expire_all()
    assert campaign.embed_origins == ""


@pytest.mark.parametrize(
    "typed",
    [
        "https://partner.example.net/events",
        "javascript:alert(1)",
        "https://a.example.org; script-src *",
        "https://a.example.org'",
        "ftp://a.example.org",
        "partner.example.net",
        "https://a.example.org:99999",
        "https://*",
        "https://exa mple.org",
        "\n".join(f"https://site{n}.example.org" for n in range(21)),
    ],
)
def test_bad_allow_list_is_refused_and_changes_nothing(
    client: FlaskClient,
    campaign: Campaign,
    admin: Organizer,
    login_as: Callable[..., object],
    typed: str,
) -> None:
    campaign.embed_origins = PARTNER
    db.session.commit()
    login_as(admin)
    token = csrf_token(client.get("/manage/embed").get_data(as_text=True))

    response = client.post("/manage/embed", data={"csrf_token": token, "embed_origins": typed})

    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "is not a site address" in page or "At most 20 sites" in page
    db.session.expire_all()
    assert campaign.embed_origins == PARTNER


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://partner.example.net", True),
        ("https://PARTNER.example.net/", True),
        ("http://partner.example.net", False),
        ("https://partner.example.net:8443", False),
        ("https://a.clinic.example.org", True),
        ("https://a.b.clinic.example.org", True),
        ("https://clinic.example.org", False),
        ("https://evilclinic.example.org", False),
        ("https://clinic.example.org.evil.com", False),
    ],
)
def test_origin_matching(origin: str, allowed: bool) -> None:
    origins = services.parse_origins(f"{PARTNER}\nhttps://*.clinic.example.org")
    assert services.origin_allowed(origin, origins) is allowed
    assert services.origin_allowed(origin, []) is True
