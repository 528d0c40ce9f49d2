"""The demo campaign: National Ketamine Day with events dated relative to today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_to_utc
from campaign.events.models import Event
from campaign.events.services import unique_slug
from campaign.extensions import db
from campaign.organizers.models import Organizer

TEAM_EMAIL = "team@demo.invalid"
DEMO_TIMEZONE = "America/New_York"


@dataclass(frozen=True)
class DemoEvent:
    title: str
    day_offset: int  # days relative to the campaign day
    start: time
    hours: float
    timezone: str
    format: str
    summary: str
    description: str
    venue: str = ""
    address: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    join_url: str = ""
    capacity: int | None = None
    accessibility: str = ""
    publish: bool = True
    # Where it is on the public map: (latitude, longitude) in degrees.
    position: tuple[float, float] | None = None


DEMO_EVENTS = (
    DemoEvent(
        "Understanding Ketamine for Anxiety: A Community Talk",
        0,
        time(18, 0),
        2,
        "America/New_York",
        "in_person",
        "An evening talk on what ketamine treatment is, how it is given and why stigma persists.",
        "Join us on National Ketamine Day for a plain-language talk about ketamine and anxiety.\n\n"
        "We will cover:\n\n"
        "- how ketamine differs from conventional antidepressants and anxiolytics\n"
        "- what a supervised treatment session looks like\n"
        "- why therapy matters alongside medication\n\n"
        "Questions are welcome. This is an educational event, not medical advice.",
        venue="Central Library, Auditorium",
        address="10 Grand Army Plaza",
        city="Brooklyn",
        position=(40.6782, -73.9442),
        region="New York",
        country="United States",
        capacity=80,
        accessibility="Step-free entrance on the plaza side. Live captions on the screen.",
    ),
    DemoEvent(
        "Ask a Clinician: Ketamine-Assisted Therapy Q&A",
        -2,
        time(19, 30),
        1,
        "America/Chicago",
        "online",
        "Put your questions to a panel of clinicians in a live online session.",
        "A moderated online Q&A. Send questions in advance or ask them live in the chat.\n\n"
        "The panel will talk about how treatment is supervised and monitored, and the role "
        "of therapy. They will not give individual medical advice.",
        join_url="https://meet.example.org/ketamine-day-qa",
        capacity=300,
        accessibility="Automatic captions are on. A recording with a transcript follows.",
    ),
    DemoEvent(
        "Myths and Facts Workshop",
        0,
        time(14, 0),
        2,
        "Europe/London",
        "hybrid",
        "A hands-on workshop on the most common misconceptions, with share cards to take away.",
        "Work in small groups through the myths people most often hear about ketamine and "
        "what the evidence in our source article says instead. Online participants join "
        "the groups through breakout rooms.",
        venue="The Community Hub",
        address="42 Old Street",
        city="London",
        position=(51.5072, -0.1276),
        region="England",
        country="United Kingdom",
        join_url="https://meet.example.org/myths-workshop",
        capacity=40,
        accessibility="Ground floor, accessible toilet, hearing loop in the main room.",
    ),
    DemoEvent(
        "Stigma-Free Conversations: Peer Support Evening",
        -5,
        time(18, 30),
        2,
        "America/Toronto",
        "in_person",
        "A relaxed evening to talk openly about mental health treatment and stigma.",
        "A peer-led, confidential conversation circle. Come and listen, or share if you want to. "
        "Light refreshments provided.",
        venue="Riverside Community Centre",
        address="550 Queen Street East",
        city="Toronto",
        position=(43.6532, -79.3832),
        region="Ontario",
        country="Canada",
        capacity=25,
        accessibility="Step-free access via the side entrance; quiet room available.",
    ),
    DemoEvent(
        "Panel: Therapy and Medication Together",
        1,
        time(17, 0),
        1.5,
        "Europe/Berlin",
        "hybrid",
        "Why combining treatment with therapy matters: a panel with practitioners.",
        "Practitioners discuss how therapy helps people process emotions and experiences "
        "during treatment. Streamed live for those who cannot attend in person.",
        venue="Haus der Gesundheit",
        address="Invalidenstraße 12",
        city="Berlin",
        position=(52.52, 13.405),
        region="Berlin",
        country="Germany",
        join_url="https://meet.example.org/therapy-panel",
        capacity=60,
        accessibility="Lift to all floors. German and English interpretation.",
    ),
    DemoEvent(
        "Ketamine Day Walk and Talk",
        0,
        time(9, 30),
        1.5,
        "America/Los_Angeles",
        "in_person",
        "A gentle morning walk along the bay with conversation about mental health.",
        "Meet at the pier entrance. The route is flat, about 3 km, and we stop twice "
        "for short talks.",
        venue="Pier entrance, Shoreline Park",
        address="Shoreline Drive",
        city="San Diego",
        position=(32.7157, -117.1611),
        region="California",
        country="United States",
        capacity=40,
        accessibility="Flat, paved route suitable for wheelchairs and buggies.",
    ),
    DemoEvent(
        "Healthcare Providers' Briefing",
        -7,
        time(12, 0),
        1,
        "Australia/Sydney",
        "online",
        "A short briefing for healthcare providers on the campaign and its materials.",
        "For GPs, nurses and counsellors who want to use the campaign's materials with "
        "patients. We walk through the myth-versus-fact cards and where they come from.",
        join_url="https://meet.example.org/providers-briefing",
        accessibility="Captions on; slides shared in advance.",
    ),
    DemoEvent(
        "Family and Friends Information Session",
        -1,
        time(18, 0),
        1.5,
        "Europe/London",
        "in_person",
        "For people supporting someone considering treatment: what to expect.",
        "A small, informal session for family members and friends. Bring your questions.",
        venue="Northern Quarter Library, Room 2",
        address="14 Tib Street",
        city="Manchester",
        position=(53.4808, -2.2426),
        region="England",
        country="United Kingdom",
        capacity=12,
        accessibility="Step-free access; induction loop.",
    ),
    DemoEvent(
        "Volunteer Training: Running a Stall",
        -10,
        time(18, 0),
        1,
        "Europe/London",
        "online",
        "Draft: training for volunteers who will run information stalls.",
        "Internal training session.",
        join_url="https://meet.example.org/volunteers",
        publish=False,
    ),
)


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Campaign))


def seed_demo(today: date, day_offset: int, disclaimer: str) -> Campaign:
    """Create the demo campaign and its events; the day falls day_offset days after today."""
    campaign = Campaign(
        slug="national-ketamine-day",
        name="National Ketamine Day",
        day=today + timedelta(days=day_offset),
        timezone=DEMO_TIMEZONE,
        tagline="Facts over fear: learn, talk and share.",
        hashtag="#NationalKetamineDay",
        disclaimer=disclaimer,
        about=(
            "National Ketamine Day raises awareness and educates the public and healthcare "
            "providers about the legitimate therapeutic uses of ketamine. Find an event near "
            "you, bring a friend, and share the facts."
        ),
    )
    db.session.add(campaign)
    team = db.session.scalar(select(Organizer).where(Organizer.email == TEAM_EMAIL))
    if team is None:
        # Owns the demo events. It has no password and is disabled: nobody can sign in as it.
        team = Organizer(email=TEAM_EMAIL, name="Campaign team", is_enabled=False)
        db.session.add(team)
    db.session.flush()
    now = datetime.now().astimezone()
    for spec in DEMO_EVENTS:
        day = campaign.day + timedelta(days=spec.day_offset)
        starts = local_to_utc(datetime.combine(day, spec.start), spec.timezone)
        event = Event(
            campaign_id=campaign.id,
            organizer_id=team.id,
            slug=unique_slug(spec.title),
            title=spec.title,
            summary=spec.summary,
            description=spec.description,
            starts_at=starts,
            ends_at=starts + timedelta(hours=spec.hours),
            timezone=spec.timezone,
            format=spec.format,
            venue=spec.venue,
            address=spec.address,
            city=spec.city,
            region=spec.region,
            country=spec.country,
            join_url=spec.join_url,
            capacity=spec.capacity,
            latitude=spec.position[0] if spec.position else None,
            longitude=spec.position[1] if spec.position else None,
            accessibility_notes=spec.accessibility,
            status="published" if spec.publish else "draft",
            published_at=now if spec.publish else None,
        )
        db.session.add(event)
        db.session.flush()
    from campaign.graphics.services.content import CONTENT_FILE, load_content
    from campaign.graphics.services.fact_translations import load_translations

    # The myth/fact pairs written from the source article, approved: the gallery is live.
    load_content(campaign, now, approve=True)
    # Their Spanish translations (translations of the English pairs), approved too.
    load_translations(campaign.id, CONTENT_FILE.with_name("myths.es.json"), now, approve=True)
    return campaign
