"""Every word of the organizers' pages is marked for translation (issue 16, point 7),
though they render in English for now: with ORGANIZER_LOCALE switched to the
pseudo-locale, whatever visible text is neither a ⟦message⟧ nor the test's data fails."""

from __future__ import annotations

import re

import pytest

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.i18n import negotiation
from campaign.signups import services as signups
from tests.support.i18n import untranslated_text, without_card_glue

# What organizer pages still show outside the catalog, on purpose for now: dates and times
# written with strftime (English month and day names), stored status codes and message
# kinds shown as they are, time zone names and addresses (data), the event's format and
# the reminder offsets (labels shared with public pages and mails), the card theme's colour
# names, preset sizes, flyer sizes and card alt text (the cards' part of issue 16), the
# proposal states (shared with the host's pages), and the embed snippet (code to copy).
NOT_YET_MARKED = re.compile(
    r"\d{2} [A-Z][a-z]{2}( \d{2}:\d{2}|: \d+)?"
    r"|(· )?[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}(–\d{2}:\d{2})? [A-Z]{3,4}"
    r"|: [A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4} \( \)"
    r"|published|draft|cancelled|queued|sent|failed|waitlisted|confirmed|admin"
    r"|registration confirmed|In person|Online|Hybrid|\d+ (days?|hours?|minutes?)"
    r"|\(?[A-Z][A-Za-z]+(/[A-Za-z0-9 _+-]+)+\)?|UTC|https://\S+|US Letter|A4"
    r"|\. .*QR code: Scan for details\. .*"
    r"|(Background|Text|Panel|Accent) colour|Text on panels"
    r"|(Link preview|Square|Portrait|Story) \(\d+ × \d+\)|\d+ days? to \. .*"
    r"|Waiting for review|Changes asked for|Approved|Declined|Withdrawn by the host"
    r"|<iframe .*</iframe>"
)


@pytest.fixture
def organizer_pages_in_pseudo(pseudo_locale, monkeypatch) -> str:
    monkeypatch.setattr(negotiation, "ORGANIZER_LOCALE", pseudo_locale)
    return pseudo_locale


@pytest.fixture
def world(organizer_pages_in_pseudo, app, client, campaign, make_organizer, make_event, login_as):
    admin = make_organizer(email="admin@example.org", admin=True)
    event = make_event(admin, capacity=3, is_waitlist_enabled=True, title="Walk and Talk")
    draft = make_event(admin, status="draft", published_at=None, title="Quiet Draft")
    for i in range(4):
        signups.register(
            event.id,
            signups.SignupInput(name=f"Person {i}", email=f"p{i}@example.org"),
            utcnow(),
            app.config["SECRET_KEY"],
        )
    db.session.commit()
    login_as(admin)
    return {"admin": admin, "event": event, "draft": draft, "campaign": campaign}


def _data(world) -> list[str]:  # type: ignore[no-untyped-def]
    campaign, event, admin = world["campaign"], world["event"], world["admin"]
    return [
        campaign.name,
        campaign.tagline,
        campaign.hashtag,
        campaign.disclaimer,
        "Town Hall",
        "Leeds",
        "England",
        "A summary.",
        admin.name,
        admin.email,
        event.title,
        world["draft"].title,
        *(f"Person {i}" for i in range(4)),
        *(f"p{i}@example.org" for i in range(4)),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/manage/",
        "/manage/events",
        "/manage/events/{event}",
        "/manage/events/{draft}",
        "/manage/events/{event}/attendees",
        "/manage/events/{event}/attendees/check-in",
        "/manage/events/{event}/reminders",
        "/manage/events/{event}/broadcast",
        "/manage/outbox",
        "/manage/organizers",
        "/manage/notifications",
        "/manage/settings",
        "/manage/theme",
        "/manage/content",
        "/manage/content/new",
        "/manage/sources",
        "/manage/sources/new",
        "/manage/embed",
        "/manage/proposals",
        "/manage/proposals/settings",
    ],
)
def test_organizer_page_text_is_all_marked(world, client, path: str) -> None:
    url = path.format(event=world["event"].id, draft=world["draft"].id)
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "⟦" in page, url
    found = without_card_glue(untranslated_text(page, _data(world)))
    left = [t for t in found if not NOT_YET_MARKED.fullmatch(t)]
    assert left == [], url
