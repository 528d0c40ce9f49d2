"""The dashboard counts an organizer's own events by state; an admin sees every event."""

from __future__ import annotations

import re
from datetime import timedelta

from campaign.core.timeutil import utcnow
from campaign.dashboard import services
from tests.conftest import login

LABELS = {"upcoming": "Upcoming", "draft": "Drafts", "past": "Past", "cancelled": "Cancelled"}


def _counts(page: str) -> dict[str, int]:
    counts = {}
    for key, label in LABELS.items():
        match = re.search(rf'<div class="stat"><dt>{label}</dt><dd>(\d+)</dd></div>', page)
        assert match, f"no {label} figure"
        counts[key] = int(match.group(1))
    return counts


def _portfolio(
    make_event, organizer, prefix: str, upcoming: int, drafts: int, past: int, cancelled: int
) -> None:
    """Events of every state for organizer."""
    ended = utcnow() - timedelta(days=2)
    for n in range(upcoming):
        make_event(organizer, title=f"{prefix} upcoming {n}")
    for n in range(drafts):
        make_event(organizer, title=f"{prefix} draft {n}", status="draft", published_at=None)
    for n in range(past):
        make_event(
            organizer,
            title=f"{prefix} past {n}",
            starts_at=ended,
            ends_at=ended + timedelta(hours=2),
        )
    for n in range(cancelled):
        make_event(organizer, title=f"{prefix} cancelled {n}", status="cancelled")


def test_organizer_sees_only_their_own_counts(client, make_organizer, make_event):
    alice, bob = make_organizer(), make_organizer()
    _portfolio(make_event, alice, "Alice", upcoming=2, drafts=1, past=3, cancelled=1)
    _portfolio(make_event, bob, "Bob", upcoming=4, drafts=2, past=0, cancelled=5)
    login(client, alice.email)
    page = client.get("/manage/").get_data(as_text=True)
    assert _counts(page) == {"upcoming": 2, "draft": 1, "past": 3, "cancelled": 1}
    assert "Alice upcoming 0" in page
    assert "Bob" not in page


def test_admin_sees_all_counts(client, make_organizer, make_event):
    alice, bob = make_organizer(), make_organizer()
    admin = make_organizer(admin=True)
    _portfolio(make_event, alice, "Alice", upcoming=2, drafts=1, past=3, cancelled=1)
    _portfolio(make_event, bob, "Bob", upcoming=4, drafts=2, past=0, cancelled=5)
    login(client, admin.email)
    page = client.get("/manage/").get_data(as_text=True)
    assert _counts(page) == {"upcoming": 6, "draft": 3, "past": 3, "cancelled": 6}
    assert "Alice upcoming 0" in page
    assert "Bob upcoming 0" in page


def test_a_draft_or_cancelled_event_in_the_past_keeps_its_state(client, make_organizer, make_event):
    alice = make_organizer()
    ended = utcnow() - timedelta(days=2)
    make_event(
        alice,
        status="draft",
        published_at=None,
        starts_at=ended,
        ends_at=ended + timedelta(hours=1),
    )
    make_event(alice, status="cancelled", starts_at=ended, ends_at=ended + timedelta(hours=1))
    login(client, alice.email)
    counts = _counts(client.get("/manage/").get_data(as_text=True))
    assert counts == {"upcoming": 0, "draft": 1, "past": 0, "cancelled": 1}


def test_empty_dashboard(client, campaign, make_organizer):
    alice = make_organizer()
    login(client, alice.email)
    page = client.get("/manage/").get_data(as_text=True)
    assert _counts(page) == {"upcoming": 0, "draft": 0, "past": 0, "cancelled": 0}
    assert "No upcoming events" in page


def test_counts_follow_the_lifecycle(client, make_organizer, make_event):
    alice = make_organizer()
    event = make_event(alice, status="draft", published_at=None)
    login(client, alice.email)
    assert _counts(client.get("/manage/").get_data(True))["draft"] == 1
    client.post(f"/manage/events/{event.id}/publish")
    assert _counts(client.get("/manage/").get_data(True))["upcoming"] == 1
    client.post(f"/manage/events/{event.id}/cancel")
    counts = _counts(client.get("/manage/").get_data(True))
    assert counts == {"upcoming": 0, "draft": 0, "past": 0, "cancelled": 1}


def test_event_counts_service(app, campaign, make_organizer, make_event):
    alice, bob = make_organizer(), make_organizer()
    admin = make_organizer(admin=True)
    _portfolio(make_event, alice, "Alice", upcoming=1, drafts=2, past=1, cancelled=0)
    _portfolio(make_event, bob, "Bob", upcoming=0, drafts=0, past=2, cancelled=1)
    now = utcnow()
    assert services.event_counts(alice, campaign.id, now) == {
        "draft": 2,
        "upcoming": 1,
        "past": 1,
        "cancelled": 0,
    }
    assert services.event_counts(admin, campaign.id, now) == {
        "draft": 2,
        "upcoming": 1,
        "past": 3,
        "cancelled": 1,
    }
    # Counted at the instant passed in, not at the clock.
    later = now + timedelta(days=30)
    assert services.event_counts(alice, campaign.id, later)["past"] == 2
    assert [e.title for e in services.next_events(bob, campaign.id, now)] == ["Bob cancelled 0"]
