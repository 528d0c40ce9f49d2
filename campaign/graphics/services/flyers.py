"""Printable flyers: an event's flyer spec, the paper a campaign prints on by default, and
the PDF, rendered once per content and kept under instance/flyers/ like the cards."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from campaign import cardrender
from campaign.campaigns.models import Campaign
from campaign.cardrender import PAPERS, FlyerCard
from campaign.core.urls import absolute_url
from campaign.events.models import STATUS_PUBLISHED, Event
from campaign.events.translations import localized
from campaign.extensions import db
from campaign.graphics.services.cardlabels import card_labels, rendering_locale
from campaign.graphics.services.theme import campaign_theme, logo_bytes
from campaign.graphics.storage import CardStore
from campaign.i18n import display
from campaign.i18n.web import translate_stored

log = logging.getLogger(__name__)

PAPER_ORDER = ("letter", "a4")
PAPER_LABELS = {"letter": "US Letter", "a4": "A4"}
# Countries where Letter is the usual paper (the Americas that never took up A4, and the
# Philippines); everywhere else prints on A4.
LETTER_COUNTRIES = frozenset(
    {"US", "CA", "MX", "PR", "GT", "SV", "HN", "NI", "CR", "PA", "DO", "CO", "VE", "CL", "PH"}
)
ONLINE_DETAIL = "Online: register to get the link."


class UnknownPaper(ValueError):
    """A paper size the flyer does not come in."""

    def __init__(self, paper: str) -> None:
        names = " or ".join(PAPER_ORDER)
        super().__init__(f"There is no flyer in paper size {paper[:40]!r}: use {names}.")


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """Time zone name -> ISO country code, from the tz database's zone.tab."""
    text = ""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        if system.exists():
            text = system.read_text()
    countries = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not line.startswith("#"):
            countries[parts[2]] = parts[0]
    return countries


def campaign_country(campaign: Campaign) -> str:
    """The campaign's country (ISO code) as its time zone says, "" when the zone has none."""
    return _zone_countries().get(campaign.timezone, "")


def default_paper(campaign: Campaign) -> str:
    """Letter where the campaign's country prints on Letter, A4 everywhere else."""
    return "letter" if campaign_country(campaign) in LETTER_COUNTRIES else "a4"


def paper_or_default(requested: str | None, campaign: Campaign) -> str:
    """The paper asked for (any case), the campaign's default when none, or UnknownPaper."""
    if requested is None or not requested.strip():
        return default_paper(campaign)
    paper = requested.strip().lower()
    if paper not in PAPERS:
        raise UnknownPaper(requested)
    return paper


def papers_for(campaign: Campaign) -> list[tuple[str, str]]:
    """(paper, label) pairs for links, the campaign's default first."""
    first = default_paper(campaign)
    order = [first, *(p for p in PAPER_ORDER if p != first)]
    return [(paper, PAPER_LABELS[paper]) for paper in order]


def _place_detail(event: Event) -> str:
    if not event.has_venue:
        return ONLINE_DETAIL
    parts = [event.address.replace("\r", "").replace("\n", ", "), event.region, event.country]
    detail = ", ".join(part.strip() for part in parts if part.strip())
    if event.format == "hybrid":
        detail = f"{detail}. Also online: register to get the link." if detail else ONLINE_DETAIL
    return detail


def flyer_spec(event: Event) -> FlyerCard:
    """The flyer of an event: its title, time range in its zone, place, QR link and brand."""
    campaign = event.campaign
    text = localized(event, rendering_locale())
    return FlyerCard(
        title=text.title,
        when_text=event.when_text,
        place_text=display.event_place(event),
        campaign_name=campaign.name,
        hashtag=campaign.hashtag,
        url_for_qr=absolute_url("events.detail", slug=event.slug),
        disclaimer=translate_stored(campaign.disclaimer),
        summary=text.summary,
        place_detail=_place_detail(event),
        theme=campaign_theme(campaign),
        logo=logo_bytes(campaign),
        labels=card_labels(),
    )


def flyer_store() -> CardStore:
    """The rendered-flyer directory of this app: instance/flyers/."""
    return CardStore(Path(current_app.instance_path) / "flyers", suffix=".pdf")


def flyer_key(spec: FlyerCard, paper: str) -> str:
    """The content-addressed key of a flyer (changes with anything it shows)."""
    return cardrender.cache_key(spec, paper)


def flyer_pdf(spec: FlyerCard, paper: str) -> tuple[str, bytes]:
    """(key, PDF bytes) of the flyer on paper: from instance/flyers/, or rendered once."""
    key = flyer_key(spec, paper)

    def render() -> bytes:
        return cardrender.encode_pdf(cardrender.render_flyer(spec, paper), title=spec.title)

    return key, flyer_store().get_or_render(key, render)


def prune_flyers(now: datetime, keep_days: int) -> int:
    """Delete flyer files that are no published upcoming event's current flyer and were
    written more than keep_days ago (an edited event leaves its old flyers); how many."""
    events = db.session.scalars(
        select(Event).where(Event.status == STATUS_PUBLISHED, Event.ends_at > now)
    )
    current = {flyer_key(flyer_spec(event), paper) for event in events for paper in PAPERS}
    store = flyer_store()
    cutoff = time.time() - keep_days * 86400
    deleted = 0
    for key in sorted(store.keys() - current):
        try:
            old = store.path(key).stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if old and store.delete(key):
            deleted += 1
    store.sweep_leftovers()
    return deleted
