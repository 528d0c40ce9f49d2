"""Campaign settings: admins only; the day drives the countdown; bad input changes nothing."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.extensions import db
from tests.campaigns.test_home import _countdown
from tests.conftest import login


def _form(campaign: Campaign, **changes: str) -> dict[str, str]:
    data = {
        "name": campaign.name,
        "day": campaign.day.isoformat(),
        "timezone": campaign.timezone,
        "tagline": campaign.tagline,
        "hashtag": campaign.hashtag,
        "disclaimer": campaign.disclaimer,
        "about": campaign.about,
        "contact_email": campaign.contact_email,
    }
    data.update(changes)
    return data


def _snapshot(campaign_id: int) -> tuple:
    db.session.expire_all()
    row = db.session.get(Campaign, campaign_id)
    assert row is not None
    return (
        row.name,
        row.day,
        row.timezone,
        row.tagline,
        row.hashtag,
        row.disclaimer,
        row.about,
        row.contact_email,
    )


def _error(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error-text" id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


@pytest.fixture
def admin(client, campaign, make_organizer):
    organizer = make_organizer(admin=True)
    assert login(client, organizer.email).status_code == 302
    return organizer


def test_anonymous_visitor_is_sent_to_login(client, campaign):
    response = client.get("/manage/settings")
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]
    assert client.post("/manage/settings", data=_form(campaign)).status_code == 302


def test_organizer_gets_404(client, campaign, make_organizer):
    organizer = make_organizer()
    login(client, organizer.email)
    before = _snapshot(campaign.id)
    assert client.get("/manage/settings").status_code == 404
    response = client.post("/manage/settings", data=_form(campaign, name="Hijacked"))
    assert response.status_code == 404
    assert _snapshot(campaign.id) == before
    assert "/manage/settings" not in client.get("/manage/").get_data(as_text=True)


def test_admin_sees_the_form_filled_in(client, campaign, admin):
    response = client.get("/manage/settings")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'value="{campaign.day.isoformat()}"' in page
    assert 'value="National Ketamine Day"' in page
    assert '<option selected value="America/New_York">' in page


def test_admin_changes_the_day_and_the_countdown_follows(client, campaign, admin):
    today = utcnow().astimezone(ZoneInfo("Europe/Berlin")).date()
    new_day = today + timedelta(days=45)
    response = client.post(
        "/manage/settings",
        data=_form(
            campaign,
            day=new_day.isoformat(),
            timezone="Europe/Berlin",
            tagline="A new tagline",
            hashtag="KetamineFacts",
            disclaimer="Not medical advice. Talk to a healthcare provider (changed).",
            contact_email="Team@Example.ORG",
        ),
    )
    assert response.status_code == 302
    _name, day, tz, tagline, hashtag, _disclaimer, _about, email = _snapshot(campaign.id)
    assert (day, tz, tagline) == (new_day, "Europe/Berlin", "A new tagline")
    assert hashtag == "#KetamineFacts"
    assert email == "team@example.org"
    assert "Campaign settings saved" in client.get(response.headers["Location"]).get_data(True)
    home = client.get("/").get_data(as_text=True)
    assert _countdown(home) == "45 days to go"
    assert "(changed)" in home
    assert "#KetamineFacts" in home

    tomorrow = today + timedelta(days=1)
    client.post(
        "/manage/settings", data=_form(campaign, day=tomorrow.isoformat(), timezone="Europe/Berlin")
    )
    assert _countdown(client.get("/").get_data(as_text=True)) == "1 day to go"
    client.post(
        "/manage/settings", data=_form(campaign, day=today.isoformat(), timezone="Europe/Berlin")
    )
    assert _countdown(client.get("/").get_data(as_text=True)) == "It's today!"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"name": ""}, "name", id="no-name"),
        pytest.param({"name": "   "}, "name", id="blank-name"),
        pytest.param({"name": "N" * 121}, "name", id="name-too-long"),
        pytest.param({"name": "Ketamine\x00Day"}, "name", id="name-nul"),
        pytest.param({"disclaimer": ""}, "disclaimer", id="no-disclaimer"),
        pytest.param({"disclaimer": "   "}, "disclaimer", id="blank-disclaimer"),
        pytest.param({"disclaimer": "d" * 401}, "disclaimer", id="disclaimer-too-long"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", id="bad-timezone"),
        pytest.param({"timezone": ""}, "timezone", id="no-timezone"),
        pytest.param({"hashtag": "#Ketamine Day"}, "hashtag", id="hashtag-with-space"),
        pytest.param({"hashtag": "#a#b"}, "hashtag", id="hashtag-two-hashes"),
        pytest.param({"hashtag": "#" + "k" * 60}, "hashtag", id="hashtag-too-long"),
        pytest.param({"tagline": "t" * 201}, "tagline", id="tagline-too-long"),
        pytest.param({"tagline": "Facts \u202eover fear"}, "tagline", id="tagline-bidi"),
        pytest.param({"day": ""}, "day", id="no-day"),
        pytest.param({"day": "2031-02-30"}, "day", id="impossible-day"),
        pytest.param({"day": "next week"}, "day", id="garbage-day"),
        pytest.param({"day": "9999-12-31"}, "day", id="day-9999"),
        pytest.param({"day": "0001-01-01"}, "day", id="day-0001"),
        pytest.param({"day": "2100-01-01"}, "day", id="day-2100"),
        pytest.param({"name": "Ketamine\u2028Day"}, "name", id="name-line-separator"),
        pytest.param({"contact_email": "not-an-email"}, "contact_email", id="bad-email"),
        pytest.param({"about": "a" * 3001}, "about", id="about-too-long"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(client, campaign, admin, changes, field):
    before = _snapshot(campaign.id)
    data = _form(campaign, **{"about": "Would be new", **changes})
    response = client.post("/manage/settings", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _error(page, field), f"no #{field}-error"
    assert 'id="error-summary"' in page
    assert _snapshot(campaign.id) == before
    # What was typed is kept in the form.
    assert "Would be new</textarea>" in page or field == "about"
