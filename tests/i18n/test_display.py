"""An event's time and place as a visitor reads them: the same texts whether each is
written alone or many at once (the listing's map shares its words and keeps start texts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from campaign.core.timeutil import format_local
from campaign.events import eventmap
from campaign.i18n import display
from campaign.i18n.web import in_locale

STARTS = datetime(2027, 1, 2, 23, tzinfo=UTC)  # 18:00 EST, a Saturday


@dataclass
class Item:
    format: str = "in_person"
    venue: str | None = "Town Hall"
    city: str | None = "Leeds"
    starts_at: datetime = STARTS
    ends_at: datetime = STARTS + timedelta(hours=2)
    timezone: str = "America/New_York"
    region: str = ""
    country: str = ""

    @property
    def is_online(self) -> bool:
        return self.format == "online"


PLACES = [
    (Item(), "Town Hall, Leeds", "Town Hall, Leeds"),
    (Item(format="hybrid"), "Town Hall, Leeds and online", "Town Hall, Leeds y en línea"),
    (Item(format="online", venue=None, city=None), "Online", "En línea"),
    (Item(venue="", city=""), "Venue to be announced", "Lugar por anunciar"),
    (Item(format="hybrid", venue=None), "Leeds and online", "Leeds y en línea"),
]


@pytest.mark.parametrize(("item", "english", "spanish"), PLACES)
def test_event_place_alone_and_with_shared_words(app, item, english, spanish):
    for locale, expected in (("en", english), ("es", spanish)):
        with app.test_request_context(), in_locale(locale):
            assert display.event_place(item) == expected
            assert display.event_place(item, display.PlaceWords()) == expected


def test_shared_words_are_translated_once_for_many_places(app, monkeypatch):
    calls: list[str] = []
    real = display.gettext
    monkeypatch.setattr(display, "gettext", lambda text: calls.append(text) or real(text))
    with app.test_request_context(), in_locale("es"):
        words = display.PlaceWords()
        lines = [display.event_place(item, words) for item, _, _ in PLACES * 20]
    assert lines[:5] == [spanish for _, _, spanish in PLACES]
    assert sorted(calls) == sorted(["Online", "Venue to be announced", "%(place)s and online"]), (
        "each word once for 100 places"
    )


def test_place_line_writes_the_street_address_on_one_line(app):
    with app.test_request_context(), in_locale("es"):
        assert (
            display.place_line("hybrid", "Town Hall", "1 Park Row\nFloor 2", "Leeds")
            == "Town Hall, 1 Park Row, Floor 2, Leeds y en línea"
        )
        assert display.place_line("online", "Town Hall", "", "Leeds") == "En línea"


def test_format_local_with_and_without_the_date():
    assert format_local(STARTS, "America/New_York") == "Sat 2 Jan 2027, 18:00 EST"
    assert format_local(STARTS, "America/New_York", with_date=False) == "18:00 EST"
    assert format_local(STARTS, "Asia/Kolkata") == "Sun 3 Jan 2027, 04:30 IST"


def test_event_starts_kept_texts_follow_the_locale_and_the_instant(app):
    later = Item(starts_at=STARTS + timedelta(days=1))
    # The same instant written with another offset is the same start.
    offset = Item(starts_at=STARTS.astimezone(timezone(timedelta(hours=5, minutes=30))))
    with app.test_request_context():
        with in_locale("en"):
            assert display.event_starts(Item()) == "Sat 2 Jan 2027, 18:00 EST"
            assert display.event_starts(later) == "Sun 3 Jan 2027, 18:00 EST"
            assert display.event_starts(offset) == "Sat 2 Jan 2027, 18:00 EST"
        with in_locale("es"):
            assert display.event_starts(Item()) == "sábado, 2 de enero de 2027, 18:00 EST"
        assert display.event_starts(Item(), "es") == "sábado, 2 de enero de 2027, 18:00 EST"
        assert display.event_starts(Item(), "en") == "Sat 2 Jan 2027, 18:00 EST"


@pytest.mark.parametrize(
    ("item", "heading"),
    [
        (Item(format="online"), "En línea"),
        (Item(venue="", city=""), "Lugar sin indicar"),
        (Item(city="Leeds"), "Leeds"),
        (Item(city="Leeds", region="West Yorkshire"), "West Yorkshire"),
    ],
)
def test_region_name_uses_the_headings_translated_once(app, item, heading):
    with app.test_request_context(), in_locale("es"):
        assert eventmap.region_name(item, eventmap.group_headings()) == heading
