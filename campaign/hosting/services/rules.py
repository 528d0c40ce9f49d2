"""The campaign's hosting rules: its settings, who may review, and the errors hosting
raises."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select

from campaign.core.forms import FieldErrors
from campaign.events import services as event_services
from campaign.extensions import db
from campaign.hosting.models import (
    DEFAULT_CAPACITY_CEILING,
    STATUS_WAITING,
    HostingSettings,
    HostProposal,
    ProposalReviewer,
)
from campaign.organizers.models import Organizer


class HostingError(ValueError):
    """A rule about hosting was broken; the message is safe to show."""


class ProposalInvalid(FieldErrors):
    """What is wrong with a proposal, one message per form field."""


def settings_for(campaign_id: int) -> HostingSettings:
    """The campaign's hosting settings (defaults when never saved; not added)."""
    found = db.session.get(HostingSettings, campaign_id)
    return found or HostingSettings(
        campaign_id=campaign_id, capacity_ceiling=DEFAULT_CAPACITY_CEILING
    )


def save_settings(campaign_id: int, capacity_ceiling: int) -> None:
    """Set the most places a hosted event may offer."""
    if not 1 <= capacity_ceiling <= event_services.CAPACITY_MAX:
        raise HostingError(f"Enter a number from 1 to {event_services.CAPACITY_MAX}.")
    row = db.session.get(HostingSettings, campaign_id)
    if row is None:
        row = HostingSettings(campaign_id=campaign_id)
        db.session.add(row)
    row.capacity_ceiling = capacity_ceiling
    db.session.flush()


def may_review(organizer: Organizer) -> bool:
    """Admins, and the organizers an admin allowed, review proposals."""
    if organizer.is_admin:
        return True
    return db.session.get(ProposalReviewer, organizer.id) is not None


def reviewer_ids() -> set[int]:
    return set(db.session.scalars(select(ProposalReviewer.organizer_id)))


def set_reviewers(organizer_ids: Sequence[int], now: datetime) -> None:
    """Exactly these (non-admin) organizers may review proposals."""
    wanted = set(organizer_ids)
    current = reviewer_ids()
    if current - wanted:
        db.session.execute(
            delete(ProposalReviewer).where(ProposalReviewer.organizer_id.in_(current - wanted))
        )
    for organizer_id in sorted(wanted - current):
        db.session.add(ProposalReviewer(organizer_id=organizer_id, granted_at=now))
    db.session.flush()


def waiting_count(campaign_id: int) -> int:
    """How many proposals wait for a decision."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(HostProposal)
            .where(HostProposal.campaign_id == campaign_id, HostProposal.status == STATUS_WAITING)
        )
        or 0
    )
