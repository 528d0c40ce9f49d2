"""An event's life: create, edit, publish, unpublish, cancel, duplicate; slugs and visibility."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from campaign.core.timeutil import utcnow
from tests.conftest import login
from tests.events.conftest import (
    count_events,
    edit_form_values,
    event_form,
    form_time,
    get_event,
    local_day,
)


def _edit(client, event_id: int, **changes: str):
    """Re-post the edit form as shown, with changes."""
    page = client.get(f"/manage/events/{event_id}/edit")
    assert page.status_code == 200
    data = edit_form_values(page.get_data(as_text=True))
    data.update(changes)
    return client.post(f"/manage/events/{event_id}/edit", data=data)


def _act(client, event_id: int, action: str) -> str:
    """POST an action button and return the page it leads to (with its flash message)."""
    response = client.post(f"/manage/events/{event_id}/{action}")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def _listed(client, title: str) -> bool:
    return html.escape(title) in client.get("/events").get_data(as_text=True)


def test_create_edit_publish_unpublish(client, create_via_form):
    event_id = create_via_form(title="Lifecycle Talk")
    event = get_event(event_id)
    assert event.status == "draft"
    assert client.get(f"/events/{event.slug}").status_code == 404
    assert not _listed(client, "Lifecycle Talk")

    assert _edit(client, event_id, summary="Updated summary").status_code == 302
    assert get_event(event_id).summary == "Updated summary"

    page = _act(client, event_id, "publish")
    assert "Published" in page
    event = get_event(event_id)
    assert event.status == "published"
    assert event.published_at is not None
    assert client.get(f"/events/{event.slug}").status_code == 200
    assert _listed(client, "Lifecycle Talk")

    page = _act(client, event_id, "unpublish")
    assert "draft again" in page
    event = get_event(event_id)
    assert event.status == "draft"
    assert client.get(f"/events/{event.slug}").status_code == 404
    assert not _listed(client, "Lifecycle Talk")

    # Publishing again is allowed.
    _act(client, event_id, "publish")
    assert get_event(event_id).status == "published"


def test_publishing_twice_or_unpublishing_a_draft_is_refused(client, create_via_form):
    event_id = create_via_form()
    page = _act(client, event_id, "unpublish")
    assert "Only a published event can be unpublished" in page
    assert get_event(event_id).status == "draft"
    _act(client, event_id, "publish")
    page = _act(client, event_id, "publish")
    assert "Only a draft can be published" in page
    assert get_event(event_id).status == "published"


def test_publishing_an_ended_event_is_refused(client, signed_in, make_event):
    start = utcnow() - timedelta(days=2)
    event = make_event(
        signed_in,
        title="Yesterday's Talk",
        status="draft",
        published_at=None,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    page = _act(client, event.id, "publish")
    assert "already ended" in page
    assert get_event(event.id).status == "draft"
    assert client.get(f"/events/{event.slug}").status_code == 404


def test_cancel_bumps_sequence_and_page_says_cancelled(client, create_via_form):
    event_id = create_via_form(title="To Be Cancelled")
    _act(client, event_id, "publish")
    before = get_event(event_id).sequence
    page = _act(client, event_id, "cancel")
    assert "Cancelled" in page
    event = get_event(event_id)
    assert event.status == "cancelled"
    assert event.cancelled_at is not None
    assert event.sequence == before + 1

    public = client.get(f"/events/{event.slug}")
    assert public.status_code == 200
    assert "This event is cancelled" in public.get_data(as_text=True)
    assert not _listed(client, "To Be Cancelled")

    # Cancelling again is refused and does not bump the sequence a second time.
    page = _act(client, event_id, "cancel")
    assert "already cancelled" in page
    assert get_event(event_id).sequence == before + 1
    # And it cannot be published from cancelled.
    page = _act(client, event_id, "publish")
    assert get_event(event_id).status == "cancelled"


def test_cancelled_event_cannot_be_edited(client, create_via_form):
    event_id = create_via_form(title="Cancelled Talk")
    _act(client, event_id, "publish")  # a never-published draft cannot be cancelled
    _act(client, event_id, "cancel")
    response = client.get(f"/manage/events/{event_id}/edit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/events/{event_id}")
    response = client.post(
        f"/manage/events/{event_id}/edit", data=event_form(title="Sneaky new title")
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "cannot be edited" in follow
    assert get_event(event_id).title == "Cancelled Talk"
    # The show page offers no edit button.
    assert f"/manage/events/{event_id}/edit" not in follow


def test_duplicate_makes_a_new_draft(client, create_via_form, signed_in):
    event_id = create_via_form(title="Original Talk", capacity="30")
    _act(client, event_id, "publish")
    response = client.post(f"/manage/events/{event_id}/clone")
    assert response.status_code == 302
    copy_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    assert response.headers["Location"].endswith(f"/manage/events/{copy_id}/edit")
    assert copy_id != event_id
    original, copy = get_event(event_id), get_event(copy_id)
    assert copy.status == "draft"
    assert copy.title == "Original Talk (copy)"
    assert copy.slug != original.slug
    assert copy.organizer_id == signed_in.id
    assert copy.cloned_from_id == original.id
    assert copy.capacity == 30
    assert (copy.starts_at, copy.ends_at, copy.timezone) == (
        original.starts_at,
        original.ends_at,
        original.timezone,
    )
    assert copy.published_at is None
    assert copy.sequence == 0
    assert original.status == "published"
    assert count_events() == 2
    assert client.get(f"/events/{copy.slug}").status_code == 404


def test_duplicate_by_admin_is_owned_by_the_admin(client, make_organizer, make_event):
    owner = make_organizer()
    admin = make_organizer(admin=True)
    event = make_event(owner, title="x" * 120)
    assert login(client, admin.email).status_code == 302
    response = client.post(f"/manage/events/{event.id}/clone")
    copy_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    copy = get_event(copy_id)
    assert copy.organizer_id == admin.id
    assert len(copy.title) <= 120
    assert copy.title.endswith(" (copy)")
    # Cloning the copy again still gives a unique slug.
    again = client.post(f"/manage/events/{event.id}/clone")
    again_id = int(again.headers["Location"].rstrip("/").split("/")[-2])
    assert get_event(again_id).slug not in (copy.slug, event.slug)


def test_other_organizer_cannot_touch_the_event(client, make_organizer, make_event):
    owner, other = make_organizer(), make_organizer()
    event = make_event(owner, title="Owned")
    assert login(client, other.email).status_code == 302
    for action in ("publish", "unpublish", "cancel", "clone"):
        assert client.post(f"/manage/events/{event.id}/{action}").status_code == 404
    assert client.get(f"/manage/events/{event.id}/edit").status_code == 404
    assert client.post(f"/manage/events/{event.id}/edit", data=event_form()).status_code == 404
    assert get_event(event.id).status == "published"
    assert count_events() == 1


@pytest.mark.parametrize(
    ("changes", "bumps"),
    [
        pytest.param({"starts_local": form_time(local_day(14), 17)}, True, id="start-time"),
        pytest.param({"ends_local": form_time(local_day(14), 21)}, True, id="end-time"),
        pytest.param({"timezone": "Europe/Dublin"}, True, id="timezone"),
        pytest.param({"venue": "Another Hall"}, True, id="venue"),
        pytest.param({"city": "York"}, True, id="city"),
        pytest.param({"address": "2 Other Road"}, True, id="address"),
        pytest.param(
            {"format": "hybrid", "join_url": "https://meet.example.org/a"}, True, id="format"
        ),
        pytest.param({"latitude": "53.8", "longitude": "-1.55"}, True, id="map-position"),
        pytest.param({"summary": "Only the summary changes"}, False, id="summary-only"),
        pytest.param({"description": "Only the description"}, False, id="description-only"),
        pytest.param({"title": "Only the title"}, False, id="title-only"),
        pytest.param({}, False, id="nothing"),
    ],
)
def test_sequence_bumps_only_on_time_or_place_changes(client, create_via_form, changes, bumps):
    event_id = create_via_form()
    _act(client, event_id, "publish")
    assert get_event(event_id).sequence == 0
    response = _edit(client, event_id, **changes)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    assert get_event(event_id).sequence == (1 if bumps else 0)
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("calendar entries are updated" in follow) is bumps


def test_editing_a_never_published_draft_does_not_bump_sequence(client, create_via_form):
    event_id = create_via_form()
    _edit(
        client,
        event_id,
        starts_local=form_time(local_day(15), 18),
        ends_local=form_time(local_day(15), 19),
    )
    assert get_event(event_id).sequence == 0


def test_slugs_are_unique(client, create_via_form):
    first = get_event(create_via_form(title="Same Title"))
    second = get_event(create_via_form(title="Same Title"))
    third = get_event(create_via_form(title="same   title!"))
    slugs = {first.slug, second.slug, third.slug}
    assert len(slugs) == 3
    assert first.slug == "same-title"
    assert all(s.startswith("same-title") for s in slugs)


def test_slug_of_non_ascii_or_symbol_title(client, create_via_form):
    assert get_event(create_via_form(title="Café Ketamine Día")).slug == "cafe-ketamine-dia"
    assert get_event(create_via_form(title="Кетамин")).slug == "event"
    assert get_event(create_via_form(title="Кетамин")).slug == "event-2"


def test_draft_slug_follows_title_but_published_slug_is_fixed(client, create_via_form):
    event_id = create_via_form(title="First Name")
    assert get_event(event_id).slug == "first-name"
    _edit(client, event_id, title="Second Name")
    assert get_event(event_id).slug == "second-name"
    # Editing a draft's other fields keeps the slug.
    _edit(client, event_id, summary="x")
    assert get_event(event_id).slug == "second-name"

    _act(client, event_id, "publish")
    _edit(client, event_id, title="Third Name")
    event = get_event(event_id)
    assert event.title == "Third Name"
    assert event.slug == "second-name"
    assert client.get("/events/second-name").status_code == 200
    assert client.get("/events/third-name").status_code == 404

    # Once published, unpublishing and renaming still keeps the flyer link.
    _act(client, event_id, "unpublish")
    _edit(client, event_id, title="Fourth Name")
    assert get_event(event_id).slug == "second-name"
    _act(client, event_id, "publish")
    assert client.get("/events/second-name").status_code == 200


def test_draft_renamed_to_its_own_title_keeps_its_slug(client, create_via_form):
    event_id = create_via_form(title="Stable")
    _edit(client, event_id, title="Stable")
    assert get_event(event_id).slug == "stable"


def test_ended_event_is_not_listed_but_its_page_says_so(client, signed_in, make_event):
    start = utcnow() - timedelta(days=1)
    event = make_event(
        signed_in, title="Ended Talk", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    make_event(signed_in, title="Future Talk")
    assert not _listed(client, "Ended Talk")
    assert _listed(client, "Future Talk")
    page = client.get(f"/events/{event.slug}")
    assert page.status_code == 200
    assert "has ended" in page.get_data(as_text=True)
    assert "Ended Talk" not in client.get("/").get_data(as_text=True)


def test_event_still_running_is_listed(client, signed_in, make_event):
    start = utcnow() - timedelta(hours=1)
    make_event(signed_in, title="Running Now", starts_at=start, ends_at=start + timedelta(hours=3))
    assert _listed(client, "Running Now")


def test_unknown_slug_is_404(client, campaign):
    assert client.get("/events/no-such-event").status_code == 404
    assert client.get("/events/" + "a" * 300).status_code == 404
    assert client.get("/events/a%00b").status_code == 404
    assert client.get("/events/%E2%80%AE").status_code == 404


@pytest.mark.parametrize("fmt", ["online", "hybrid"])
def test_join_url_is_never_public(client, signed_in, make_event, fmt):
    secret = f"https://meet.example.org/secret-{fmt}-room?pwd=hunter2"
    event = make_event(signed_in, title=f"Join {fmt}", format=fmt, join_url=secret)
    for path in (f"/events/{event.slug}", "/events", "/events?online=1", "/"):
        page = client.get(path).get_data(as_text=True)
        assert f"Join {fmt}" in page, path
        assert "secret-" not in page, path
        assert "hunter2" not in page, path
    # The organizer sees it on the manage page.
    assert "hunter2" in client.get(f"/manage/events/{event.id}").get_data(as_text=True)


def test_user_text_is_escaped_on_public_pages(client, signed_in, make_event):
    event = make_event(
        signed_in,
        title="<script>alert(1)</script>",
        summary="<img src=x onerror=alert(2)>",
        description="<iframe src=//evil></iframe> [click](javascript:alert(3))",
        venue="<b>Hall</b>",
    )
    for path in (f"/events/{event.slug}", "/events", "/"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert "<iframe" not in page
        assert 'href="javascript:' not in page
        assert "<b>Hall</b>" not in page
