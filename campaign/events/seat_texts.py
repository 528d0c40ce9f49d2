"""The event page's seat figures as text: "12 going", "3 places left", "3 of 20 places
left." They are the only parts of the page a registration changes, so the stored page
(campaign.core.pagecache) keeps holes in their place and fills them from the figures of
the state it serves: a registration no longer makes every worker render the page again,
only a change of what the page says around them (the last place taken, a waitlist
starting) does. "N going" is a hole with its markup, empty for nobody, so the first
person going changes no page either: on a new event's first registration that was a
render in each worker (about 3.6 MiB of the master's pages copied into each).

The texts come from the macros of templates/events/_seat_texts.html, which the page
renders too, so a filled hole is what the page would have said.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from flask import get_template_attribute
from markupsafe import Markup

from campaign.core.pagecache import hole
from campaign.i18n.web import current_locale, in_locale

TEMPLATE = "events/_seat_texts.html"
HOLES = ("going", "places_left", "seats_of")


@dataclass(frozen=True)
class SeatFigures:
    """What the page's seat texts are made of."""

    confirmed: int
    waitlisted: int
    capacity: int | None

    @property
    def seats_left(self) -> int | None:
        """Free seats (None: no limit), as campaign.signups.seats.seats_left counts them."""
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)

    @property
    def shape(self) -> tuple[Any, ...]:
        """What the page's markup depends on: whether places are left (or unlimited),
        whether a waitlist has begun. The numbers, and "N going", are holes."""
        left = self.seats_left
        return (None if left is None else left > 0, self.waitlisted > 0)


class SeatTexts:
    """The page's seat texts (Markup) for some figures, each worked out when the page
    shows it (number formats load Babel's locale data), or the stored page's holes."""

    def __init__(self, figures: SeatFigures | None) -> None:
        self.figures = figures

    @classmethod
    def holes(cls) -> SeatTexts:
        return cls(None)

    def _text(self, name: str, *args: int) -> Markup:
        if self.figures is None:
            return hole(name)
        # A macro of an autoescaped template answers Markup (the catalog's tags kept).
        return cast(Markup, get_template_attribute(TEMPLATE, name)(*args))

    @property
    def going(self) -> Markup:
        return self._text("going", self.figures.confirmed if self.figures else 0)

    @property
    def places_left(self) -> Markup:
        left = self.figures.seats_left if self.figures else 0
        return Markup("") if left is None else self._text("places_left", left)

    @property
    def seats_of(self) -> Markup:
        if self.figures is None:
            return hole("seats_of")
        left = self.figures.seats_left
        if left is None:
            return Markup("")
        return self._text("seats_of", left, self.figures.capacity or 0)


def seat_texts(figures: SeatFigures) -> SeatTexts:
    """The texts in the current language (those for an unlimited event's places are
    empty: the page shows none)."""
    return SeatTexts(figures)


@lru_cache(maxsize=2048)
def seat_text_in(locale: str, figures: SeatFigures, name: str) -> str:
    """One of seat_texts in `locale` (outside a request too), worked out once per
    language, figures and text: a stored page's hit asks for the texts it shows."""
    with in_locale(locale):
        return str(getattr(seat_texts(figures), name))


def hole_values(
    figures: Callable[[], SeatFigures], locale: str | None = None
) -> dict[str, Callable[[], str]]:
    """The stored page's seat holes filled for the figures figures() gives (in the
    visitor's language: `locale`, or the request's)."""
    language = locale or current_locale()

    def text(name: str) -> Callable[[], str]:
        return lambda: seat_text_in(language, figures(), name)

    return {name: text(name) for name in HOLES}
