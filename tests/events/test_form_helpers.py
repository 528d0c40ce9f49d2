"""Issue 15, point 11: the event form starts in the organizer's last used time zone (or,
for a first event, lets the browser's own zone win); a draft has an organizer-only
preview of its public page; after publishing, the public address comes with a copy button."""

from __future__ import annotations

import re

from tests.events.conftest import get_event


def _selected_zone(page: str) -> str | None:
    match = re.search(r'<option selected value="([^"]+)"', page) or re.search(
        r'<option value="([^"]+)" selected', page
    )
    return match.group(1) if match else None


def test_a_first_event_leaves_the_zone_to_the_browser_then_the_last_one_is_kept(
    client, signed_in, create_via_form, campaign
):
    first = client.get("/manage/events/new").get_data(as_text=True)
    assert "data-zone-from-browser" in first
    assert _selected_zone(first) == campaign.timezone

    create_via_form(timezone="Australia/Sydney", title="In Sydney")
    later = client.get("/manage/events/new").get_data(as_text=True)
    assert "data-zone-from-browser" not in later
    assert _selected_zone(later) == "Australia/Sydney"
    create_via_form(timezone="America/Chicago", title="In Chicago")
    assert _selected_zone(client.get("/manage/events/new").get_data(True)) == "America/Chicago"
    # A bad zone is refused and does not become the "last used" one.
    response = client.post(
        "/manage/events/new",
        data={"title": "Nowhere", "timezone": "Mars/Olympus_Mons", "starts_local": "x"},
    )
    assert response.status_code == 400
    assert _selected_zone(client.get("/manage/events/new").get_data(True)) == "America/Chicago"


def test_other_organizers_zones_do_not_count(
    client, signed_in, make_organizer, make_event, campaign
):
    make_event(make_organizer(), timezone="Asia/Tokyo")
    page = client.get("/manage/events/new").get_data(as_text=True)
    assert _selected_zone(page) == campaign.timezone and "data-zone-from-browser" in page


def test_a_draft_has_a_preview_for_organizers_only(
    client, signed_in, create_via_form, make_organizer, login_as
):
    event_id = create_via_form(title="Draft Preview Talk")
    event = get_event(event_id)
    show = client.get(f"/manage/events/{event_id}").get_data(as_text=True)
    assert f'href="/manage/events/{event_id}/preview"' in show
    preview = client.get(f"/manage/events/{event_id}/preview")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Draft Preview Talk" in page and "Only organizers can see it" in page
    assert "no-store" in preview.headers["Cache-Control"]
    assert preview.headers["X-Robots-Tag"] == "noindex"
    assert client.get(f"/events/{event.slug}").status_code == 404, "the public page stays hidden"

    client.post("/manage/logout")
    assert client.get(f"/manage/events/{event_id}/preview").status_code == 302
    login_as(make_organizer(email="someone.else@example.org"))
    assert client.get(f"/manage/events/{event_id}/preview").status_code == 404


def test_publishing_shows_the_public_address_with_a_copy_button(
    client, signed_in, create_via_form, app
):
    event_id = create_via_form(title="Publish Me")
    page = client.get(f"/manage/events/{event_id}").get_data(as_text=True)
    assert 'data-copy="#public-address"' not in page
    client.post(f"/manage/events/{event_id}/publish")
    page = client.get(f"/manage/events/{event_id}").get_data(as_text=True)
    slug = get_event(event_id).slug
    address = f"{app.config['BASE_URL']}/events/{slug}"
    assert f"Published: the event is on the public site at {address}" in page
    assert f'id="public-address" class="mono" type="text" readonly value="{address}"' in page
    assert 'data-copy="#public-address"' in page
