"""/events/<slug>/flyer.pdf as a visitor gets it: the PDF opens on the right paper, its QR
code reads the event's address, bad input gets a clear answer, and it is rendered once."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pypdf import PdfReader

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.graphics.services import flyers
from campaign.organizers.models import Organizer

LETTER = (612.0, 792.0)
A4 = (595.2, 841.9)


def page_size(data: bytes) -> tuple[float, float]:
    page = PdfReader(io.BytesIO(data)).pages[0]
    return round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)


def qr_text(data: bytes) -> str:
    picture = PdfReader(io.BytesIO(data)).pages[0].images[0].image
    assert picture is not None
    png = io.BytesIO()
    picture.save(png, "PNG")
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-"],
        input=png.getvalue(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.stdout.decode().strip()


@pytest.fixture
def event(make_event: Callable[..., Event], organizer: Organizer) -> Event:
    return make_event(organizer, title="Understanding Ketamine", slug="understanding-ketamine")


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg is not installed")
def test_flyer_opens_in_letter_and_a4_and_its_qr_code_reads_the_event_address(
    client: FlaskClient, event: Event
) -> None:
    letter = client.get(f"/events/{event.slug}/flyer.pdf?paper=letter")
    a4 = client.get(f"/events/{event.slug}/flyer.pdf?paper=A4")

    for response in (letter, a4):
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert len(response.data) <= 2 * 1024 * 1024
        assert "Set-Cookie" not in response.headers
        assert (
            qr_text(response.data) == "https://campaign.example.org/events/understanding-ketamine"
        )
    assert page_size(letter.data) == LETTER
    assert page_size(a4.data) == A4
    assert 'filename="understanding-ketamine-flyer-a4.pdf"' in a4.headers["Content-Disposition"]


def test_default_paper_follows_the_campaign_country(
    client: FlaskClient, campaign: Campaign, event: Event
) -> None:
    assert campaign.timezone == "America/New_York"
    assert page_size(client.get(f"/events/{event.slug}/flyer.pdf").data) == LETTER

    campaign.timezone = "Europe/Berlin"
    db.session.commit()
    assert page_size(client.get(f"/events/{event.slug}/flyer.pdf").data) == A4


@pytest.mark.parametrize(
    ("timezone", "paper"),
    [
        ("America/Toronto", "letter"),
        ("America/Mexico_City", "letter"),
        ("America/Los_Angeles", "letter"),
        ("Europe/London", "a4"),
        ("Australia/Sydney", "a4"),
        ("UTC", "a4"),
    ],
)
def test_default_paper_by_zone(campaign: Campaign, timezone: str, paper: str) -> None:
    campaign.timezone = timezone
    assert flyers.default_paper(campaign) == paper


@pytest.mark.parametrize("paper", ["legal", "A5", "letter%00", "x" * 500])
def test_an_unknown_paper_is_a_clear_400(client: FlaskClient, event: Event, paper: str) -> None:
    response = client.get(f"/events/{event.slug}/flyer.pdf?paper={paper}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is no flyer in paper size" in page and "use letter or a4" in page


def test_no_flyer_for_drafts_cancelled_or_past_events(
    client: FlaskClient, make_event: Callable[..., Event], organizer: Organizer
) -> None:
    draft = make_event(organizer, status="draft", published_at=None)
    cancelled = make_event(organizer, status="cancelled", cancelled_at=utcnow())
    past = make_event(organizer, starts_at=utcnow() - timedelta(days=2))
    for slug in (draft.slug, cancelled.slug, "no-such-event"):
        assert client.get(f"/events/{slug}/flyer.pdf").status_code == 404
    ended = client.get(f"/events/{past.slug}/flyer.pdf")
    assert ended.status_code == 404
    assert "This event has ended" in ended.get_data(as_text=True)


def test_rendered_once_then_served_from_the_store_with_an_etag(
    app: Flask, client: FlaskClient, event: Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"/events/{event.slug}/flyer.pdf?paper=a4"
    first = client.get(url)
    assert len(flyers.flyer_store().keys()) == 1

    def no_render(*args: object) -> object:
        raise AssertionError("rendered again")

    monkeypatch.setattr(flyers.cardrender, "render_flyer", no_render)
    again = client.get(url)
    assert again.data == first.data
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    monkeypatch.undo()
    event.title = "Understanding Ketamine, Again"
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_flyer_is_linked_from_the_event_page_and_the_organizer_page(
    client: FlaskClient,
    event: Event,
    organizer: Organizer,
    login_as: Callable[..., object],
) -> None:
    public = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f'href="/events/{event.slug}/flyer.pdf?paper=letter">US Letter</a>' in public
    assert f'href="/events/{event.slug}/flyer.pdf?paper=a4">A4</a>' in public
    assert public.index("paper=letter") < public.index("paper=a4")  # the campaign's first

    login_as(organizer)
    manage = client.get(f"/manage/events/{event.id}").get_data(as_text=True)
    assert f"/events/{event.slug}/flyer.pdf?paper=letter" in manage


def test_prune_deletes_old_flyers_and_keeps_current_ones(
    app: Flask, client: FlaskClient, event: Event, runner: FlaskCliRunner
) -> None:
    import os
    import time

    client.get(f"/events/{event.slug}/flyer.pdf?paper=a4")
    (current_key,) = flyers.flyer_store().keys()
    event.title = "Understanding Ketamine, Revised"
    db.session.commit()
    client.get(f"/events/{event.slug}/flyer.pdf?paper=a4")
    store = flyers.flyer_store()
    (new_key,) = store.keys() - {current_key}
    week_ago = time.time() - 7 * 86400
    for key in (current_key, new_key):
        os.utime(store.path(key), (week_ago, week_ago))

    result = runner.invoke(args=["cards", "prune", "--keep-days", "30"])
    assert "and 0 old flyers" in result.output
    assert store.keys() == {current_key, new_key}  # the old version is still recent

    result = runner.invoke(args=["cards", "prune", "--keep-days", "1"])
    assert "and 1 old flyers" in result.output
    assert store.keys() == {new_key}  # the current flyer is never deleted
