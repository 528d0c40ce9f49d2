"""What a share card shows: frozen specs for each card kind, the theme and the output presets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


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


# Every word a card draws that is not content: English defaults, replaced per card through
# a spec's `labels` (for cards in the visitor's language). "{name}" marks where the
# person's name goes in `attending_other`.
LABEL_DEFAULTS: dict[str, str] = {
    "fact": "Fact",
    "myth": "Myth",
    "source": "Source:",
    "scan": "Scan for details",
    "details_at": "Details at",
    "attending_self": "I’m attending",  # typographic apostrophe
    "attending_other": "{name} is attending",
    "days_to": "days to",
    "day_to": "day to",
    "today": "Today",
    "today_is": "is",
    "qr_code": "QR code:",  # alt text only: what the picture of the QR code says
}

Labels = tuple[tuple[str, str], ...]
Pins = tuple[tuple[str, int, int], ...]
# A card's layout direction. "rtl" mirrors the whole layout (text starts at the right, the
# logo and QR code change sides; the words themselves are shaped as written): pass it for a
# card in a right-to-left locale (campaign.i18n.negotiation.text_direction), whatever script
# its texts are in. "auto", the default, follows the card's main text, so an English card is
# laid out as before and an Arabic or Hebrew text still mirrors on an English site.
DIRECTIONS = ("auto", "ltr", "rtl")


def _labels(value: Labels | Mapping[str, str] | Iterable[Any]) -> Labels:
    """Label overrides as sorted (key, text) pairs; accepts a mapping or JSON's lists."""
    pairs: Iterable[Any] = value.items() if isinstance(value, Mapping) else value
    out = {str(pair[0]): str(pair[1]) for pair in pairs}
    unknown = sorted(set(out) - set(LABEL_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown card labels {unknown}; known: {sorted(LABEL_DEFAULTS)}")
    if "{name}" not in out.get("attending_other", "{name}"):
        raise ValueError("the attending_other label needs a {name} placeholder")
    return tuple(sorted(out.items()))


def _pins(value: Iterable[Any]) -> Pins:
    """Type-size pins as sorted (preset, fact px, myth px) triples (JSON's lists accepted)."""
    out = tuple(sorted((str(p), int(f), int(m)) for p, f, m in value))
    for preset, fact, myth in out:
        if preset not in PRESETS or fact <= 0 or myth <= 0:
            raise ValueError(f"bad type-size pin {(preset, fact, myth)!r}")
    return out


class _Common:
    """What every card spec shares: label lookup and the normalising of its extra fields.

    Each kind also has `main_text`, the text whose direction a card with
    direction="auto" follows."""

    labels: Labels
    direction: str

    @property
    def address_text(self) -> str:
        """The short address drawn on the card ("" for none)."""
        return str(getattr(self, "address", ""))

    def label(self, key: str) -> str:
        """The text of a fixed word on the card (this card's override, else English)."""
        return dict(self.labels).get(key, LABEL_DEFAULTS[key])

    def _normalise(self) -> None:
        object.__setattr__(self, "labels", _labels(self.labels))
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")


class _WithQR(_Common):
    """A spec with a QR code (event card, flyer): the address drawn beside it is the
    given one, by default the QR code's URL without its scheme."""

    url_for_qr: str
    address: str

    @property
    def address_text(self) -> str:
        return self.address or short_address(self.url_for_qr)


@dataclass(frozen=True)
class MythFactCard(_Common):
    """A myth and the fact that answers it, with the source and the disclaimer.

    The fact leads; the myth follows under the warning label; `reason` (the article's
    words on why the myth is wrong) follows where there is room; the foot carries the
    source (title and `source_address`), `call_to_action`, the disclaimer and the card's
    own `address` (e.g. "ketamineday.org/facts/party-drug-only"). `type_sizes` pins the
    fact and myth sizes per preset for a set (see `fit_set`); a pin that does not fit is
    ignored for that card.
    """

    myth: str
    fact: str
    source_title: str
    disclaimer: str
    campaign_name: str
    hashtag: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None
    reason: str = ""
    source_address: str = ""
    call_to_action: str = ""
    address: str = ""
    type_sizes: Pins = ()
    photo: bytes | None = None
    labels: Labels = ()
    direction: str = "auto"

    kind = "myth_fact"

    @property
    def main_text(self) -> str:
        """The text whose direction a card with direction="auto" follows."""
        return f"{self.fact} {self.myth}"

    def __post_init__(self) -> None:
        self._normalise()
        object.__setattr__(self, "type_sizes", _pins(self.type_sizes))


def short_address(url: str) -> str:
    """An address as people type it: no scheme, no "www.", no trailing slash."""
    text = url.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    if text.lower().startswith("www."):
        text = text[4:]
    return text.rstrip("/")


@dataclass(frozen=True)
class EventCard(_WithQR):
    """An event: title, local time text (with zone), place, brand, a QR code and the address.

    `address` is the page's short address drawn on the card (default: `url_for_qr` without
    its scheme); on the story preset it replaces the QR code, which nobody can scan on
    the phone that shows it.
    """

    title: str
    when_text: str
    place_text: str
    campaign_name: str
    hashtag: str
    url_for_qr: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None
    address: str = ""
    photo: bytes | None = None
    labels: Labels = ()
    direction: str = "auto"

    kind = "event"

    def __post_init__(self) -> None:
        if not self.url_for_qr:
            raise ValueError("an event card needs a URL for its QR code")
        self._normalise()

    @property
    def main_text(self) -> str:
        """The text whose direction a card with direction="auto" follows."""
        return self.title


@dataclass(frozen=True)
class AttendingCard(_Common):
    """The "I’m attending" / "<first name> is attending" card (the name only with opt-in)."""

    first_name: str | None
    event_title: str
    when_text: str
    place_text: str
    campaign_name: str
    hashtag: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None
    address: str = ""
    photo: bytes | None = None
    labels: Labels = ()
    direction: str = "auto"

    kind = "attending"

    @property
    def main_text(self) -> str:
        """The text whose direction a card with direction="auto" follows."""
        return self.event_title

    def __post_init__(self) -> None:
        self._normalise()


@dataclass(frozen=True)
class CountdownCard(_Common):
    """The "N days to <campaign>" card ("1 day to", and "Today is" on the day itself)."""

    days: int
    campaign_name: str
    day_text: str
    tagline: str
    hashtag: str
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None
    address: str = ""
    photo: bytes | None = None
    labels: Labels = ()
    direction: str = "auto"

    kind = "countdown"

    @property
    def main_text(self) -> str:
        """The text whose direction a card with direction="auto" follows."""
        return f"{self.campaign_name} {self.tagline}"

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError("a countdown card needs days >= 0")
        self._normalise()


CardSpec = MythFactCard | EventCard | AttendingCard | CountdownCard


# Printable paper at 300 dpi: US Letter (8.5 x 11 in) and ISO A4 (210 x 297 mm).
PRINT_DPI = 300
PAPERS: dict[str, Preset] = {
    "letter": Preset("letter", 2550, 3300),
    "a4": Preset("a4", 2480, 3508),
}


@dataclass(frozen=True)
class FlyerCard(_WithQR):
    """A printable event flyer: the event card's content at paper size, with the summary,
    the full place, a large QR code and its short address, and the disclaimer at the foot.

    Drawn per paper (`PAPERS`), not per share preset.
    """

    title: str
    when_text: str
    place_text: str
    campaign_name: str
    hashtag: str
    url_for_qr: str
    disclaimer: str
    summary: str = ""
    place_detail: str = ""  # the street address and region, under the place line
    theme: Theme = DEFAULT_THEME
    logo: bytes | None = None
    address: str = ""
    photo: bytes | None = None
    labels: Labels = ()
    direction: str = "auto"

    kind = "flyer"

    def __post_init__(self) -> None:
        if not self.url_for_qr:
            raise ValueError("a flyer needs a URL for its QR code")
        self._normalise()

    @property
    def main_text(self) -> str:
        """The text whose direction a flyer with direction="auto" follows."""
        return self.title


# Every spec the renderer draws: the share cards and the flyer.
AnySpec = CardSpec | FlyerCard
