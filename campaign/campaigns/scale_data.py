"""What the scale data is made of: places, topics and names, and the codes made from ids."""

from __future__ import annotations

import secrets
import string
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A city the scale data holds events in, with its time zone and a venue."""

    city: str
    region: str
    country: str
    timezone: str
    venue: str


PLACES = (
    Place("Brooklyn", "New York", "United States", "America/New_York", "Central Library"),
    Place("Boston", "Massachusetts", "United States", "America/New_York", "Harbor Hall"),
    Place("Chicago", "Illinois", "United States", "America/Chicago", "Lakeside Centre"),
    Place("Austin", "Texas", "United States", "America/Chicago", "East Side Commons"),
    Place("Denver", "Colorado", "United States", "America/Denver", "Union Station Room"),
    Place("Phoenix", "Arizona", "United States", "America/Phoenix", "Desert Library"),
    Place("San Diego", "California", "United States", "America/Los_Angeles", "Shoreline Hub"),
    Place("Seattle", "Washington", "United States", "America/Los_Angeles", "Pike Hall"),
    Place("Anchorage", "Alaska", "United States", "America/Anchorage", "Midtown Library"),
    Place("Honolulu", "Hawaii", "United States", "Pacific/Honolulu", "Makai Centre"),
    Place("Toronto", "Ontario", "Canada", "America/Toronto", "Riverside Centre"),
    Place("Vancouver", "British Columbia", "Canada", "America/Vancouver", "Granville Room"),
    Place("Halifax", "Nova Scotia", "Canada", "America/Halifax", "Waterfront Hall"),
    Place("Mexico City", "CDMX", "Mexico", "America/Mexico_City", "Casa de Salud"),
    Place("São Paulo", "São Paulo", "Brazil", "America/Sao_Paulo", "Centro Cultural"),
    Place("London", "England", "United Kingdom", "Europe/London", "The Community Hub"),
    Place("Manchester", "England", "United Kingdom", "Europe/London", "Northern Quarter Library"),
    Place("Edinburgh", "Scotland", "United Kingdom", "Europe/London", "Old Town Rooms"),
    Place("Dublin", "Leinster", "Ireland", "Europe/Dublin", "Liberties Hall"),
    Place("Berlin", "Berlin", "Germany", "Europe/Berlin", "Haus der Gesundheit"),
    Place("München", "Bayern", "Germany", "Europe/Berlin", "Stadtbibliothek"),
    Place("Paris", "Île-de-France", "France", "Europe/Paris", "Maison des Associations"),
    Place("Lisbon", "Lisboa", "Portugal", "Europe/Lisbon", "Casa do Bairro"),
    Place("Amsterdam", "Noord-Holland", "Netherlands", "Europe/Amsterdam", "OBA Centrale"),
    Place("Stockholm", "Stockholm", "Sweden", "Europe/Stockholm", "Kulturhuset"),
    Place("Athens", "Attica", "Greece", "Europe/Athens", "Plaka Hall"),
    Place("Cape Town", "Western Cape", "South Africa", "Africa/Johannesburg", "Harbour Room"),
    Place("Mumbai", "Maharashtra", "India", "Asia/Kolkata", "Bandra Centre"),
    Place("Kathmandu", "Bagmati", "Nepal", "Asia/Kathmandu", "Thamel Hall"),
    Place("Singapore", "Singapore", "Singapore", "Asia/Singapore", "Civic Library"),
    Place("Tokyo", "Tokyo", "Japan", "Asia/Tokyo", "Shibuya Room"),
    Place("Sydney", "New South Wales", "Australia", "Australia/Sydney", "Harbour Library"),
    Place("Adelaide", "South Australia", "Australia", "Australia/Adelaide", "Rundle Hall"),
    Place("Auckland", "Auckland", "New Zealand", "Pacific/Auckland", "Waterfront Centre"),
    Place("Chatham", "Chatham Islands", "New Zealand", "Pacific/Chatham", "Waitangi Hall"),
)


TOPICS = (
    ("Understanding Ketamine for Anxiety", "A plain-language talk on treatment and stigma."),
    ("Ask a Clinician", "Put your questions to a panel of clinicians."),
    ("Myths and Facts Workshop", "Work through common misconceptions, with share cards."),
    ("Peer Support Evening", "A relaxed evening to talk openly about mental health."),
    ("Therapy and Medication Together", "Practitioners on why therapy matters alongside care."),
    ("Walk and Talk", "A gentle walk with conversation about mental health."),
    ("Healthcare Providers' Briefing", "The campaign materials, for GPs, nurses and counsellors."),
    ("Family and Friends Session", "For people supporting someone considering treatment."),
    ("Film and Discussion", "A short documentary, then an open conversation."),
    ("Information Stall", "Leaflets, share cards and volunteers to talk to."),
)


FIRST_NAMES = (
    "Ada", "Ben", "Chloé", "Dev", "Élodie", "Farah", "Gus", "Hana", "Ines", "Jon", "Kofi",
    "Lena", "Mateo", "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sam", "Tomás", "Uma",
    "Vik", "Wen", "Xavi", "Yara", "Zoë", "Aroha", "Björn", "Chidi", "Dana",
)  # fmt: skip


LAST_NAMES = (
    "Adeyemi", "Brown", "Chen", "Dubois", "Evans", "Fischer", "García", "Haddad", "Ito",
    "Jensen", "Kaur", "López", "Murphy", "Nakamura", "O'Brien", "Patel", "Quispe", "Rossi",
    "Silva", "Tanaka", "Úlfsson", "Varga", "Walker", "Xu", "Yilmaz", "Zhang",
)  # fmt: skip


_CODE_ALPHABET = string.ascii_lowercase + string.digits


_TAIL = 36**5  # ids below 36**5 (60 million) give distinct codes


def referral_code(registration_id: int) -> str:
    """10 characters: the id in base 36 (fixed width, so unique) and 5 random ones."""
    n = registration_id % _TAIL * _TAIL + secrets.randbelow(_TAIL)
    digits = []
    for _ in range(10):
        n, r = divmod(n, 36)
        digits.append(_CODE_ALPHABET[r])
    return "".join(digits)


def ascii_name(name: str) -> str:
    """name lower-cased with its accents dropped, for made-up email addresses."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
