"""What a share card shows: frozen specs for each card kind, the theme and the output presets."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """Card colours as #RRGGBB; every text colour must reach 4.5:1 on the colour it sits on.

    `text` is drawn on `background`, `on_primary` on `primary` panels, and `accent` is used
    both as text on `background` and as a pill fill under `background`-coloured text.
    """

    primary: str
    accent: str
    background: str
    text: str
    on_primary: str


# Deep navy background, teal panels, warm amber accent (all pairs >= 7:1).
DEFAULT_THEME = Theme(
    primary="#134E5E",
    accent="#F4A259",
    background="#0B2540",
    text="#FFFFFF",
    on_primary="#FFFFFF",
)


@dataclass(frozen=True)
class Preset:
    """An output size in pixels, with the fractions at top and bottom that must hold no text."""

    name: str
    width: int
    height: int
    safe_top: float = 0.0
    safe_bottom: float = 0.0

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) for Pillow."""
        return (self.width, self.height)

    @property
    def text_area(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of the region text may use (the story safe zone, else everything)."""
        top = math.ceil(self.height * self.safe_top)
        bottom = self.height - math.ceil(self.height * self.safe_bottom)
        return (0, top, self.width, bottom)


PRESETS: dict[str, Preset] = {
    "og": Preset("og", 1200, 630),
    "square": Preset("square", 1080, 1080),
    "portrait": Preset("portrait", 1080, 1350),
    "story": Preset("story", 1080, 1920, safe_top=0.14, safe_bottom=0.20),
}


@dataclass(frozen=True)
class MythFactCard:
    """A myth and the fact that answers it, with the source title and the disclaimer."""

    myth: str
    fact: str
    source_title: str
    disclaimer: str
    campaign_name: str
    hashtag: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None

    kind = "myth_fact"


@dataclass(frozen=True)
class EventCard:
    """An event: title, local time text (with zone), place, brand and a QR code to its page."""

    title: str
    when_text: str
    place_text: str
    campaign_name: str
    hashtag: str
    url_for_qr: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None

    kind = "event"

    def __post_init__(self) -> None:
        if not self.url_for_qr:
            raise ValueError("an event card needs a URL for its QR code")


@dataclass(frozen=True)
class AttendingCard:
    """The "I’m attending" / "<first name> is attending" card (the name only with opt-in)."""

    first_name: str | None
    event_title: str
    when_text: str
    place_text: str
    campaign_name: str
    hashtag: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None

    kind = "attending"


@dataclass(frozen=True)
class CountdownCard:
    """The "N days to <campaign>" card ("1 day to", and "Today is" on the day itself)."""

    days: int
    campaign_name: str
    day_text: str
    tagline: str
    hashtag: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None

    kind = "countdown"

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError("a countdown card needs days >= 0")


CardSpec = MythFactCard | EventCard | AttendingCard | CountdownCard
