"""Share-graphics use cases: content, theme and logo, card specs from the data, card keys.

Plain arguments in, no request object. A service adds and flushes; the caller commits.
The renderer (render.py) stays pure: this module turns rows into frozen specs for it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import current_app, g, has_request_context, url_for
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, SessionTransaction

from campaign.campaigns.models import Campaign
from campaign.core.database import write_transaction
from campaign.core.text import has_control_characters
from campaign.core.timeutil import days_until, to_local, utcnow
from campaign.core.urls import absolute_url
from campaign.events.models import STATUS_CANCELLED, STATUS_PUBLISHED, Event
from campaign.extensions import db
from campaign.graphics import render
from campaign.graphics.alt_text import alt_text
from campaign.graphics.cache import KEY_RE, CardStore
from campaign.graphics.contrast import THEME_PAIRS, contrast_ratio, is_hex_colour
from campaign.graphics.models import (
    FACT_MAX,
    MYTH_MAX,
    QUOTE_MAX,
    SLUG_MAX,
    SOURCE_TITLE_MAX,
    CardRender,
    FactCard,
)
from campaign.graphics.specs import (
    DEFAULT_THEME,
    PRESETS,
    AttendingCard,
    CardSpec,
    CountdownCard,
    EventCard,
    MythFactCard,
    Theme,
)
from campaign.organizers.models import Organizer
from campaign.signups.models import Registration

log = logging.getLogger(__name__)

CONTENT_FILE = Path(__file__).resolve().parents[2] / "assets" / "content" / "myths.json"

# Presets in the order pages list them, with what each is for.
PRESET_ORDER = ("og", "square", "portrait", "story")
PRESET_LABELS = {
    "og": "Link preview",
    "square": "Square",
    "portrait": "Portrait",
    "story": "Story",
}
PRESET_USES = {
    "og": "Links on X, Facebook, LinkedIn",
    "square": "Instagram and Facebook posts",
    "portrait": "Instagram feed",
    "story": "Instagram and WhatsApp stories",
}
OG_PRESET = "og"
SPEC_TYPES: dict[str, type] = {
    "myth_fact": MythFactCard,
    "event": EventCard,
    "attending": AttendingCard,
    "countdown": CountdownCard,
}
THEME_FIELDS = ("primary", "accent", "background", "text", "on_primary")
THEME_LABELS = {
    "primary": "Panel colour",
    "accent": "Accent colour",
    "background": "Background colour",
    "text": "Text colour",
    "on_primary": "Text on panels",
}
# Keys that stopped being current stay this long (link previews cache old image URLs).
PRUNE_AFTER_DAYS = 30


# --- Paths ----------------------------------------------------------------------------------


def card_store() -> CardStore:
    """The rendered-card directory of this app: instance/cards/."""
    return CardStore(Path(current_app.instance_path) / "cards")


def logo_dir() -> Path:
    """Where uploaded logos are kept, each named by the digest of its PNG bytes."""
    return Path(current_app.instance_path) / "logos"


# --- Theme and logo --------------------------------------------------------------------------


def campaign_theme(campaign: Campaign) -> Theme:
    """The campaign's card theme (the default where a colour is missing)."""
    values = {}
    for name in THEME_FIELDS:
        value = getattr(campaign, f"theme_{name}", None) or getattr(DEFAULT_THEME, name)
        values[name] = value.lower()
    return Theme(**values)


@lru_cache(maxsize=16)
def _read_logo(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        log.warning("campaign logo %s is missing; cards are drawn without it", Path(path).name)
        return None


def logo_bytes(campaign: Campaign) -> bytes | None:
    """The campaign's re-encoded logo PNG, or None (files are content-addressed: cacheable)."""
    if not campaign.logo_path:
        return None
    return _read_logo(str(Path(current_app.instance_path) / campaign.logo_path))


def logo_by_digest(digest: str) -> bytes | None:
    """A stored logo by its sha256 hex digest (for re-rendering a stored card spec)."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    return _read_logo(str(logo_dir() / f"{digest}.png"))


class ThemeInvalid(ValueError):
    """Theme colours that are not colours or do not reach 4.5:1; errors per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def is_default_theme(theme: Theme) -> bool:
    """True when theme has the default colours (compared case-insensitively)."""
    return all(getattr(theme, n).lower() == getattr(DEFAULT_THEME, n).lower() for n in THEME_FIELDS)


def theme_problems(theme: Theme) -> dict[str, str]:
    """field -> what is wrong, from contrast.validate_theme's rules ({} when fine).

    A contrast problem is reported on the text colour of the pair (the one drawn on top).
    """
    from campaign.graphics.contrast import MIN_TEXT_CONTRAST, validate_theme

    problems: dict[str, str] = {}
    for name in THEME_FIELDS:
        if not is_hex_colour(getattr(theme, name)):
            problems[name] = "Enter a colour as #RRGGBB, for example #0B2540."
    for fg, bg, where in THEME_PAIRS:
        if fg in problems or bg in problems:
            continue
        ratio = contrast_ratio(getattr(theme, fg), getattr(theme, bg))
        if ratio < MIN_TEXT_CONTRAST:
            message = (
                f"Contrast with the {THEME_LABELS[bg].lower()} is {ratio:.2f}:1; "
                f"it needs at least {MIN_TEXT_CONTRAST}:1 ({where})."
            )
            problems[fg] = f"{problems[fg]} {message}" if fg in problems else message
    remaining = validate_theme(theme)
    if remaining and not problems:  # a rule this mapping does not know yet
        problems["background"] = " ".join(remaining)
    return problems


def contrast_table(theme: Theme) -> list[dict[str, Any]]:
    """Each text/background pair of the theme with its ratio, for the theme page."""
    from campaign.graphics.contrast import MIN_TEXT_CONTRAST

    rows = []
    for fg, bg, where in THEME_PAIRS:
        a, b = getattr(theme, fg), getattr(theme, bg)
        if not (is_hex_colour(a) and is_hex_colour(b)):
            continue
        ratio = contrast_ratio(a, b)
        rows.append(
            {
                "text": THEME_LABELS[fg],
                "on": THEME_LABELS[bg],
                "where": where,
                "ratio": ratio,
                "ok": ratio >= MIN_TEXT_CONTRAST,
            }
        )
    return rows


def update_theme(campaign: Campaign, theme: Theme) -> None:
    """Save theme colours after validating them (nothing is saved when one is wrong)."""
    normalised = Theme(**{n: getattr(theme, n).strip().lower() for n in THEME_FIELDS})
    problems = theme_problems(normalised)
    if problems:
        raise ThemeInvalid(problems)
    for name in THEME_FIELDS:
        setattr(campaign, f"theme_{name}", getattr(normalised, name))
    db.session.flush()


LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_PIXELS = 25_000_000
LOGO_FORMATS = ("PNG", "JPEG", "WEBP")
LOGO_STORED_MAX_SIDE = 1024  # cards draw the logo at most a few hundred pixels wide


class LogoRejected(ValueError):
    """An upload that is not an acceptable logo; the message is for the uploader."""


def clean_logo(data: bytes) -> bytes:
    """Validate an uploaded logo and re-encode it as a PNG without any metadata.

    PNG, JPEG and WebP only, at most 5 MB and 25 megapixels. The pixel count is read from
    the header and checked before anything is decoded, so a decompression bomb costs
    nothing. EXIF orientation is applied, then every chunk of metadata (EXIF, GPS, ICC,
    text) is dropped by copying the pixels into a fresh image.
    """
    if not data:
        raise LogoRejected("Choose an image file to upload.")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRejected(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the logo may be at most 5 MB."
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns between ~89 and ~179 megapixels; our own limit is far lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=LOGO_FORMATS)
    except Image.DecompressionBombError:
        raise LogoRejected(
            "The image has far too many pixels; the logo may be at most 25 megapixels."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise LogoRejected(
            "That file is not a PNG, JPEG or WebP image. Export the logo as PNG and try again."
        ) from None
    with image:
        width, height = image.size
        if width * height > LOGO_MAX_PIXELS:
            raise LogoRejected(
                f"The image is {width} × {height} pixels ({width * height / 1e6:.0f} "
                "megapixels); the logo may be at most 25 megapixels."
            )
        if width < 1 or height < 1:
            raise LogoRejected("The image has no pixels.")
        try:
            image.load()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise LogoRejected(
                "The image could not be read: the file looks damaged or incomplete. "
                "Export it again and upload the new file."
            ) from None
        try:
            upright = ImageOps.exif_transpose(image) or image
        except (OSError, ValueError, SyntaxError):
            upright = image
        rgba = upright.convert("RGBA")
    rgba.thumbnail((LOGO_STORED_MAX_SIDE, LOGO_STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", rgba.size)
    clean.paste(rgba, (0, 0))
    if clean.getextrema()[3] == (255, 255):
        clean = clean.convert("RGB")  # fully opaque: a smaller file
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def save_logo(campaign: Campaign, data: bytes) -> str:
    """Validate, re-encode and store an upload as the campaign's logo; returns the digest."""
    png = clean_logo(data)
    digest = hashlib.sha256(png).hexdigest()
    directory = logo_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{digest}.png"
    if not target.exists():
        _atomic_write(target, png)
    campaign.logo_path = f"logos/{digest}.png"
    db.session.flush()
    return digest


def remove_logo(campaign: Campaign) -> None:
    """Draw cards without a logo again (the file stays: older card keys may use it)."""
    campaign.logo_path = ""
    db.session.flush()


def _atomic_write(target: Path, data: bytes) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- Myth/fact content -----------------------------------------------------------------------


@dataclass
class ContentInput:
    """What an organizer types for one pair."""

    myth: str
    fact: str
    source_quote: str
    source_title: str
    slug: str = ""


class ContentInvalid(ValueError):
    """Problems with a pair, per field ("myth", "fact", "source_title", "form", ...)."""

    def __init__(self, errors: dict[str, str], cut: dict[str, int] | None = None) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.cut = cut or {}


class ContentError(ValueError):
    """An action on content that is not allowed (message for the organizer)."""


@dataclass(frozen=True)
class ContentFile:
    source_title: str
    items: tuple[dict[str, str], ...]


def read_content_file(path: Path = CONTENT_FILE) -> ContentFile:
    """The default myth/fact set (assets/content/myths.json)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return ContentFile(data["source"]["title"], tuple(data["items"]))


def default_source_title() -> str:
    """The source article's title, for new pairs."""
    try:
        return read_content_file().source_title
    except (OSError, KeyError, ValueError):
        return ""


def _clean_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def slugify(text: str) -> str:
    """A URL and file-name friendly slug from text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)[:SLUG_MAX].strip("-")
    return slug or "fact"


def _unique_slug(campaign_id: int, wanted: str, exclude_id: int | None = None) -> str:
    base = slugify(wanted)[: SLUG_MAX - 4]
    slug, n = base, 2
    while True:
        query = select(FactCard.id).where(
            FactCard.campaign_id == campaign_id, FactCard.slug == slug
        )
        if exclude_id is not None:
            query = query.where(FactCard.id != exclude_id)
        if db.session.scalar(query) is None:
            return slug
        slug, n = f"{base}-{n}", n + 1


def plural(n: int, word: str) -> str:
    """'1 character', '3 characters'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fit_problems(campaign: Campaign, myth: str, fact: str, source_title: str) -> dict[str, int]:
    """field -> characters to cut for the pair to fit every preset and the alt-text budget."""
    return render.check_myth_fact_fits(
        myth,
        fact,
        source_title,
        campaign.disclaimer,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
    )


def fit_messages(cut: dict[str, int]) -> dict[str, str]:
    """Editor messages (per form field) for check_myth_fact_fits' answer."""
    messages: dict[str, str] = {}
    for name, n in cut.items():
        n = max(int(n), 1)
        if name in ("myth", "fact", "source_title"):
            messages[name] = f"Too long to fit on every card size: cut {plural(n, 'character')}."
        elif name == "alt_text":
            messages["fact"] = (
                "Together the texts make the alt text longer than 420 characters: cut "
                f"{plural(n, 'character')} from the myth or the fact."
            )
        elif name == "disclaimer":
            messages["form"] = (
                f"The campaign disclaimer is too long for the cards: cut {plural(n, 'character')} "
                "from it in the campaign settings."
            )
        else:
            messages["form"] = f"The card does not fit: cut {plural(n, 'character')}."
    return messages


def validate_content(campaign: Campaign, data: ContentInput, *, preview: bool = False) -> None:
    """Normalise data in place; raise ContentInvalid listing every problem.

    For a preview only what the card shows is checked (the source sentence may still be
    missing while the organizer is typing).
    """
    data.myth = _clean_text(data.myth)
    data.fact = _clean_text(data.fact)
    data.source_title = _clean_text(data.source_title)
    data.source_quote = " ".join((data.source_quote or "").split())
    data.slug = slugify(data.slug) if data.slug.strip() else ""
    errors: dict[str, str] = {}
    limits = {
        "myth": MYTH_MAX,
        "fact": FACT_MAX,
        "source_title": SOURCE_TITLE_MAX,
        "source_quote": QUOTE_MAX,
    }
    for name, limit in limits.items():
        value = getattr(data, name)
        if len(value) > limit:
            errors[name] = f"Use at most {limit} characters."
        elif has_control_characters(value):
            errors[name] = "Remove the invisible control characters."
    if not data.myth:
        errors["myth"] = "Write the myth as people say it."
    if not data.fact:
        errors["fact"] = "Write the fact that answers the myth."
    if not data.source_title:
        errors["source_title"] = "Name the source: every card shows it."
    if not data.source_quote and not preview:
        errors["source_quote"] = "Paste the sentence of the source the fact rests on."
    cut: dict[str, int] = {}
    if not errors:
        cut = fit_problems(campaign, data.myth, data.fact, data.source_title)
        for name, message in fit_messages(cut).items():
            errors.setdefault(name, message)
    if errors:
        raise ContentInvalid(errors, cut)


def facts_query(campaign_id: int, approved_only: bool = False) -> Any:
    """The campaign's pairs in their display order."""
    query = select(FactCard).where(FactCard.campaign_id == campaign_id)
    if approved_only:
        query = query.where(FactCard.is_approved.is_(True))
    return query.order_by(FactCard.position, FactCard.id)


def approved_facts(campaign_id: int, limit: int | None = None) -> list[FactCard]:
    """Public pairs, in order."""
    query = facts_query(campaign_id, approved_only=True)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def public_fact(campaign_id: int, slug: str) -> FactCard | None:
    """An approved pair by slug."""
    if len(slug) > SLUG_MAX:
        return None
    return db.session.scalar(
        select(FactCard).where(
            FactCard.campaign_id == campaign_id,
            FactCard.slug == slug,
            FactCard.is_approved.is_(True),
        )
    )


def _next_position(campaign_id: int) -> int:
    highest = db.session.scalar(
        select(func.max(FactCard.position)).where(FactCard.campaign_id == campaign_id)
    )
    return (highest or 0) + 1


def create_fact(campaign: Campaign, data: ContentInput) -> FactCard:
    """Add a pair at the end of the list, not approved."""
    validate_content(campaign, data)
    card = FactCard(
        campaign_id=campaign.id,
        position=_next_position(campaign.id),
        slug=_unique_slug(campaign.id, data.slug or data.myth),
        myth=data.myth,
        fact=data.fact,
        source_title=data.source_title,
        source_quote=data.source_quote,
        is_approved=False,
    )
    db.session.add(card)
    db.session.flush()
    return card


def update_fact(campaign: Campaign, card: FactCard, data: ContentInput) -> bool:
    """Save changes; a change to what the card says withdraws approval. True if it did."""
    validate_content(campaign, data)
    changed = (card.myth, card.fact, card.source_title, card.source_quote) != (
        data.myth,
        data.fact,
        data.source_title,
        data.source_quote,
    )
    card.myth, card.fact = data.myth, data.fact
    card.source_title, card.source_quote = data.source_title, data.source_quote
    if data.slug and data.slug != card.slug:
        card.slug = _unique_slug(campaign.id, data.slug, exclude_id=card.id)
    withdrawn = changed and card.is_approved
    if withdrawn:
        card.withdraw_approval()
    db.session.flush()
    return withdrawn


def approve_fact(campaign: Campaign, card: FactCard, organizer: Organizer, now: datetime) -> None:
    """Make a pair public (admins only; checked again that it still fits every card)."""
    if not organizer.is_admin:
        raise ContentError("Only an admin can approve content.")
    cut = fit_problems(campaign, card.myth, card.fact, card.source_title)
    if cut:
        raise ContentError(
            "This pair no longer fits the cards (the campaign name, hashtag or disclaimer "
            "changed). Edit it first: " + " ".join(fit_messages(cut).values())
        )
    card.approve(organizer, now)
    db.session.flush()


def unapprove_fact(card: FactCard, organizer: Organizer) -> None:
    """Take a pair off the public site (admins only)."""
    if not organizer.is_admin:
        raise ContentError("Only an admin can withdraw approval.")
    card.withdraw_approval()
    db.session.flush()


def delete_fact(card: FactCard, organizer: Organizer) -> None:
    """Delete a pair; an approved (public) pair only by an admin."""
    if card.is_approved and not organizer.is_admin:
        raise ContentError("This pair is public: ask an admin to withdraw it first.")
    db.session.delete(card)
    db.session.flush()


def move_fact(card: FactCard, direction: int) -> bool:
    """Swap the pair with its neighbour above (-1) or below (+1); False at either end."""
    cards = list(db.session.scalars(facts_query(card.campaign_id)))
    for i, c in enumerate(cards):  # renumber 1..n so positions are distinct
        c.position = i + 1
    index = next(i for i, c in enumerate(cards) if c.id == card.id)
    other = index + direction
    if not 0 <= other < len(cards):
        db.session.flush()
        return False
    cards[index].position, cards[other].position = cards[other].position, cards[index].position
    db.session.flush()
    return True


def load_content(
    campaign: Campaign,
    now: datetime,
    *,
    approve: bool = False,
    path: Path = CONTENT_FILE,
) -> int:
    """Add the pairs of the content file that the campaign lacks (by slug); returns how many."""
    content = read_content_file(path)
    existing = set(
        db.session.scalars(select(FactCard.slug).where(FactCard.campaign_id == campaign.id))
    )
    position = _next_position(campaign.id)
    added = 0
    for item in content.items:
        if item["slug"] in existing:
            continue
        card = FactCard(
            campaign_id=campaign.id,
            position=position,
            slug=item["slug"],
            myth=_clean_text(item["myth"]),
            fact=_clean_text(item["fact"]),
            source_title=content.source_title,
            source_quote=item["source_quote"],
            is_approved=approve,
            approved_at=now if approve else None,
        )
        db.session.add(card)
        position += 1
        added += 1
    db.session.flush()
    return added


# --- Card specs from the data ----------------------------------------------------------------


def myth_fact_spec(campaign: Campaign, myth: str, fact: str, source_title: str) -> MythFactCard:
    """The spec of a myth/fact card with the campaign's brand."""
    return MythFactCard(
        myth=myth,
        fact=fact,
        source_title=source_title,
        disclaimer=campaign.disclaimer,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def fact_spec(card: FactCard) -> MythFactCard:
    return myth_fact_spec(card.campaign, card.myth, card.fact, card.source_title)


def event_spec(event: Event) -> EventCard:
    """The event card: title, local time with the zone, place, brand and the QR link."""
    campaign = event.campaign
    return EventCard(
        title=event.title,
        # The start in the event's zone: a share card has no room for a range.
        when_text=event.starts_text,
        place_text=event.place_text,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        url_for_qr=absolute_url("events.detail", slug=event.slug),
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def attending_spec(registration: Registration) -> AttendingCard:
    """The "I'm attending" card from the stored registration (the name only with opt-in)."""
    event = registration.event
    campaign = event.campaign
    name = registration.first_name if registration.is_name_on_card else ""
    return AttendingCard(
        first_name=name or None,
        event_title=event.title,
        # The start in the event's zone: a share card has no room for a range.
        when_text=event.starts_text,
        place_text=event.place_text,
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def days_to_go(campaign: Campaign, now: datetime) -> int:
    """Days from today (in the campaign's zone) to the day; negative once it has passed."""
    return days_until(campaign.day, to_local(now, campaign.timezone).date())


def day_text(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def countdown_spec(campaign: Campaign, now: datetime) -> CountdownCard | None:
    """The countdown card for today in the campaign's zone (None after the day)."""
    days = days_to_go(campaign, now)
    if days < 0:
        return None
    return CountdownCard(
        days=days,
        campaign_name=campaign.name,
        day_text=day_text(campaign.day),
        tagline=campaign.tagline,
        hashtag=campaign.hashtag,
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
    )


def spec_to_json(spec: CardSpec) -> dict[str, Any]:
    """A spec as JSON-able data, the logo replaced by its digest."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.name == "logo":
            data["logo_sha256"] = hashlib.sha256(value).hexdigest() if value else None
        elif f.name == "theme":
            data["theme"] = dataclasses.asdict(value)
        else:
            data[f.name] = value
    return data


def spec_from_json(kind: str, data: dict[str, Any]) -> CardSpec:
    """The spec stored by spec_to_json."""
    values = dict(data)
    digest = values.pop("logo_sha256", None)
    values["theme"] = Theme(**values.get("theme", dataclasses.asdict(DEFAULT_THEME)))
    values["logo"] = logo_by_digest(digest) if digest else None
    return SPEC_TYPES[kind](**values)


# --- Card references: keys, URLs, alt text ---------------------------------------------------


@lru_cache(maxsize=2048)
def _key(spec: CardSpec, preset: str) -> str:
    return render.cache_key(spec, preset)


@lru_cache(maxsize=2048)
def _alt(spec: CardSpec, preset: str) -> str:
    return alt_text(spec, preset)


@dataclass(frozen=True)
class CardRef:
    """One rendered card as pages use it: URL (current key), size, alt text, file name."""

    key: str
    kind: str
    preset: str
    url: str
    absolute_url: str
    alt: str
    filename: str

    @property
    def width(self) -> int:
        return PRESETS[self.preset].width

    @property
    def height(self) -> int:
        return PRESETS[self.preset].height

    @property
    def label(self) -> str:
        return PRESET_LABELS[self.preset]

    @property
    def use(self) -> str:
        return PRESET_USES[self.preset]


_PENDING = "_graphics_pending_cards"


def card_ref(
    spec: CardSpec,
    preset: str,
    filename_stem: str,
    stored: dict[str, Any] | None = None,
) -> CardRef:
    """The reference to a card, with its key registered so /cards/<key>.png can serve it.

    In a request, registration happens once the response is ready (flush_pending); outside
    one (mail rendering, CLI) it is added to the caller's transaction.
    """
    key = _key(spec, preset)
    stored_spec = stored if stored is not None else spec_to_json(spec)
    row = {"key": key, "kind": spec.kind, "preset": preset, "spec": stored_spec}
    if has_request_context():
        g.setdefault(_PENDING, {})[key] = row
        url = url_for("graphics.card", key=key)
    else:
        _insert_missing([row])
        url = absolute_url("graphics.card", key=key)
    return CardRef(
        key=key,
        kind=spec.kind,
        preset=preset,
        url=url,
        absolute_url=absolute_url("graphics.card", key=key),
        alt=_alt(spec, preset),
        filename=f"{filename_stem}-{preset}.png",
    )


def card_refs(
    spec: CardSpec,
    filename_stem: str,
    stored: dict[str, Any] | None = None,
    presets: tuple[str, ...] = PRESET_ORDER,
) -> dict[str, CardRef]:
    """preset -> CardRef for one card in several presets."""
    return {p: card_ref(spec, p, filename_stem, stored) for p in presets}


def fact_refs(card: FactCard) -> dict[str, CardRef]:
    return card_refs(fact_spec(card), card.slug)


def fact_refs_if_fits(card: FactCard) -> dict[str, CardRef] | None:
    """The pair's cards, or None when it no longer fits (the campaign's disclaimer, name or
    hashtag changed since it was approved): such a pair is left off until it is edited."""
    try:
        return fact_refs(card)
    except render.TextDoesNotFit:
        log.warning("myth/fact %s no longer fits the cards; left off the pages", card.slug)
        return None


def event_refs(event: Event) -> dict[str, CardRef]:
    return card_refs(event_spec(event), event.slug)


def attending_refs(registration: Registration) -> dict[str, CardRef]:
    """The registrant's card; with their name it is stored by reference, never by value."""
    spec = attending_spec(registration)
    stored = {"registration_id": registration.id} if spec.first_name else None
    return card_refs(spec, f"attending-{registration.event.slug}", stored)


def name_left_off(registration: Registration) -> bool:
    """True when the registrant opted in but the fonts cannot draw their name."""
    if not registration.is_name_on_card:
        return False
    return render.plan_card(attending_spec(registration), "square").name_omitted


def set_name_on_card(registration: Registration, show: bool) -> None:
    """Opt in or out of the first name on the "I'm attending" card.

    Opting out deletes the named pictures at once; their URLs stop working.
    """
    if not show and registration.is_name_on_card:
        spec = attending_spec(registration)
        store = card_store()
        for preset in PRESET_ORDER:
            key = _key(spec, preset)
            store.delete(key)
            row = db.session.get(CardRender, key)
            if row is not None and "registration_id" in row.spec:
                db.session.delete(row)
    registration.is_name_on_card = show
    db.session.flush()


def countdown_refs(campaign: Campaign, now: datetime) -> dict[str, CardRef]:
    spec = countdown_spec(campaign, now)
    if spec is None:
        return {}
    return card_refs(spec, f"countdown-{spec.days}-days")


def event_card_url(event: Event, preset: str = "square") -> str:
    """The absolute URL of the event's current card (for mail)."""
    return card_ref(event_spec(event), preset, event.slug).absolute_url


# Keys this session has registered in its current transaction: mail rendering asks for the
# same event's card for every message of a batch. Forgotten when the transaction ends (a
# rollback takes the rows back; after a commit the insert would be a no-op anyway).
_REGISTERED_KEYS = "campaign_card_keys_registered"


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_registered_keys(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_REGISTERED_KEYS, None)


@lru_cache(maxsize=4)
def _registry_insert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING into the card registry, built once per dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(CardRender).on_conflict_do_nothing()


def _insert_missing(rows: list[dict[str, Any]]) -> None:
    """Add registry rows that do not exist yet, in the session's transaction."""
    registered: set[str] = db.session.info.setdefault(_REGISTERED_KEYS, set())
    rows = [row for row in rows if row["key"] not in registered]
    if not rows:
        return
    now = utcnow()
    values = [{**row, "created_at": now, "referenced_at": now} for row in rows]
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        db.session.connection().execute(_registry_insert(dialect), values)
    else:  # pragma: no cover - other databases are not supported by the app
        known = set(
            db.session.scalars(
                select(CardRender.key).where(CardRender.key.in_([r["key"] for r in rows]))
            )
        )
        for value in values:
            if value["key"] not in known:
                db.session.add(CardRender(**value))
        db.session.flush()
    registered.update(row["key"] for row in rows)


def flush_pending() -> None:
    """Register the card keys a page pointed at (after the view, in a short transaction)."""
    pending: dict[str, dict[str, Any]] = g.pop(_PENDING, None) or {}
    if not pending:
        return
    session = db.session()
    if session.new or session.dirty or session.deleted:
        log.warning("card keys not registered: the request left uncommitted changes")
        return
    try:
        known = set(
            db.session.scalars(select(CardRender.key).where(CardRender.key.in_(list(pending))))
        )
        missing = [row for key, row in pending.items() if key not in known]
        if not missing:
            return
        session.commit()  # end the read; the writer lock comes next
        write_transaction()
        _insert_missing(missing)
        session.commit()
    except Exception:
        session.rollback()
        log.exception("could not register card keys")


# --- Serving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedCard:
    data: bytes
    kind: str
    preset: str


def _spec_for_row(row: CardRender) -> CardSpec | None:
    """The spec a registry row draws, or None when it is no longer valid."""
    if row.kind == "attending" and "registration_id" in row.spec:
        registration = db.session.get(Registration, row.spec["registration_id"])
        if registration is None or registration.is_anonymised or not registration.is_name_on_card:
            return None
        spec = attending_spec(registration)
        return spec if _key(spec, row.preset) == row.key else None
    try:
        return spec_from_json(row.kind, row.spec)
    except (KeyError, TypeError, ValueError):
        log.warning("card %s has an unreadable stored spec", row.key)
        return None


def render_png(spec: CardSpec, preset: str) -> bytes:
    """Render and encode one card."""
    return render.encode_png(render.render(spec, preset))


def personal_card(kind: str, spec: dict[str, Any]) -> bool:
    """Whether a stored card shows a registrant's name (rebuilt from the registration on
    every request, so that it stops existing when the name is withdrawn)."""
    return kind == "attending" and "registration_id" in spec


def served_card(key: str, store: CardStore | None = None) -> ServedCard | None:
    """The PNG for key (rendered once, then from instance/cards/), or None if unknown."""
    if not KEY_RE.match(key):
        return None
    store = store or card_store()
    row = db.session.get(CardRender, key)
    if row is None:
        return None
    kind, preset = row.kind, row.preset
    is_personal = personal_card(kind, row.spec)
    spec: CardSpec | None = None
    if is_personal or store.read(key) is None:
        spec = _spec_for_row(row)
        if spec is None:
            db.session.rollback()
            if is_personal:
                store.delete(key)  # the name was withdrawn: the picture goes too
            return None
    db.session.rollback()  # end the read before a possibly slow render
    if spec is None:
        data = store.read(key)
        if data is not None:
            return ServedCard(data, kind, preset)
        # deleted meanwhile (prune); fall through to render from the stored spec
        row = db.session.get(CardRender, key)
        spec = _spec_for_row(row) if row is not None else None
        db.session.rollback()
        if spec is None:
            return None
    final_spec = spec
    try:
        data = store.get_or_render(key, lambda: render_png(final_spec, preset))
    except render.TextDoesNotFit:
        log.warning("card %s no longer fits its preset; not served", key)
        return None
    return ServedCard(data, kind, preset)


# --- All current cards: pre-rendering and pruning -------------------------------------------


@dataclass(frozen=True)
class CurrentCard:
    key: str
    kind: str
    preset: str
    spec: CardSpec
    stored: dict[str, Any]


def current_cards(now: datetime) -> Iterator[CurrentCard]:
    """Every card the site currently points at (all presets), for render-all and prune."""
    from campaign.campaigns.services import current_campaign

    campaign = current_campaign()
    if campaign is None:
        return
    specs: list[tuple[CardSpec, dict[str, Any] | None]] = []
    for card in approved_facts(campaign.id):
        specs.append((fact_spec(card), None))
    countdown = countdown_spec(campaign, now)
    if countdown is not None:
        specs.append((countdown, None))
    events = db.session.scalars(
        select(Event).where(
            Event.campaign_id == campaign.id,
            Event.status.in_((STATUS_PUBLISHED, STATUS_CANCELLED)),
        )
    )
    for event in events:
        specs.append((event_spec(event), None))
        if event.status == STATUS_PUBLISHED and not event.is_past(now):
            specs.append((AttendingCard(**_attending_fields(event)), None))
    named = db.session.scalars(
        select(Registration)
        .join(Event, Registration.event_id == Event.id)
        .where(
            Event.campaign_id == campaign.id,
            Registration.is_name_on_card.is_(True),
            Registration.anonymised_at.is_(None),
        )
    )
    for registration in named:
        spec = attending_spec(registration)
        specs.append((spec, {"registration_id": registration.id} if spec.first_name else None))
    for spec, stored in specs:
        for preset in PRESET_ORDER:
            yield CurrentCard(
                _key(spec, preset),
                spec.kind,
                preset,
                spec,
                stored if stored is not None else spec_to_json(spec),
            )


def _attending_fields(event: Event) -> dict[str, Any]:
    campaign = event.campaign
    return {
        "first_name": None,
        "event_title": event.title,
        "when_text": event.starts_text,
        "place_text": event.place_text,
        "campaign_name": campaign.name,
        "hashtag": campaign.hashtag,
        "theme": campaign_theme(campaign),
        "logo": logo_bytes(campaign),
    }


def register_current(now: datetime) -> list[CurrentCard]:
    """Register every current key and mark it referenced now; returns them (caller commits)."""
    cards = list({c.key: c for c in current_cards(now)}.values())
    write_transaction()
    _insert_missing(
        [{"key": c.key, "kind": c.kind, "preset": c.preset, "spec": c.stored} for c in cards]
    )
    keys = [c.key for c in cards]
    for start in range(0, len(keys), 500):
        db.session.execute(
            update(CardRender)
            .where(CardRender.key.in_(keys[start : start + 500]))
            .values(referenced_at=now)
            .execution_options(synchronize_session=False)
        )
    return cards


def prune(now: datetime, keep_days: int = PRUNE_AFTER_DAYS) -> dict[str, int]:
    """Delete rendered files (and registry rows) no page has pointed at for keep_days.

    Current keys are never deleted; a card with a registrant's name is deleted as soon as
    it stops being current. Returns counts. The caller commits.
    """
    current = {c.key for c in register_current(now)}
    store = card_store()
    cutoff = now - timedelta(days=keep_days)
    deleted_rows = deleted_files = 0
    for row in list(db.session.scalars(select(CardRender))):
        if row.key in current:
            continue
        personal = row.kind == "attending" and "registration_id" in row.spec
        if personal or row.referenced_at < cutoff:
            deleted_files += int(store.delete(row.key))
            db.session.delete(row)
            deleted_rows += 1
    known = set(db.session.scalars(select(CardRender.key)))
    for key in store.keys() - known - current:
        deleted_files += int(store.delete(key))
    leftovers = store.sweep_leftovers()
    db.session.flush()
    return {"rows": deleted_rows, "files": deleted_files, "leftovers": leftovers}


# --- Sharing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareLink:
    network: str
    label: str
    url: str


def share_links(page_url: str, text: str, subject: str = "") -> list[ShareLink]:
    """Plain share links (no scripts, no tracking) for X, Facebook, LinkedIn, WhatsApp,
    Bluesky and email."""
    both = f"{text} {page_url}".strip()
    mail_query = urlencode({"subject": subject or text, "body": both}, quote_via=quote)
    return [
        ShareLink(
            "x", "X", "https://x.com/intent/post?" + urlencode({"text": text, "url": page_url})
        ),
        ShareLink(
            "facebook",
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": page_url}),
        ),
        ShareLink(
            "linkedin",
            "LinkedIn",
            "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": page_url}),
        ),
        ShareLink("whatsapp", "WhatsApp", "https://wa.me/?" + urlencode({"text": both})),
        ShareLink(
            "bluesky", "Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": both})
        ),
        ShareLink("email", "Email", "mailto:?" + mail_query),
    ]


def fact_share_text(card: FactCard, campaign: Campaign) -> str:
    text = f"Myth: {card.myth} Fact: {card.fact}"
    return f"{text} {campaign.hashtag}".strip()


def event_share_text(event: Event) -> str:
    hashtag = event.campaign.hashtag
    return f"{event.title}, {event.starts_text}. {hashtag}".strip()


def preview_png(campaign: Campaign, myth: str, fact: str, source_title: str, preset: str) -> bytes:
    """An unsaved pair rendered for the editor's preview (raises render.TextDoesNotFit)."""
    spec = myth_fact_spec(campaign, _clean_text(myth), _clean_text(fact), _clean_text(source_title))
    return render_png(spec, preset)
