"""The host's private link: making, finding, revoking and mailing it again."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from campaign.core.text import has_control_characters
from campaign.core.tokens import hash_token
from campaign.extensions import db
from campaign.hosting import mails
from campaign.hosting.models import (
    STATUS_DECLINED,
    STATUS_WITHDRAWN,
    HostProposal,
)
from campaign.hosting.services.history import organizer_actor, record
from campaign.hosting.services.rules import HostingError
from campaign.organizers.models import Organizer
from campaign.signups.tokens import manage_token, matching_manage_token, new_nonce

log = logging.getLogger(__name__)

LINK_PURPOSE = "host-access"


def host_token(proposal: HostProposal, keys: Sequence[str]) -> str:
    """The host's link token (keys: current first), re-made under the key that made the
    stored hash so every mail carries the same link; re-issued when that key is retired."""
    token = matching_manage_token(keys, proposal.token_nonce, proposal.token_hash, LINK_PURPOSE)
    if token is not None:
        return token
    token = manage_token(keys[0], proposal.token_nonce, LINK_PURPOSE)
    proposal.token_hash = hash_token(token)
    return token


def issue_link(proposal: HostProposal, secret_key: str) -> None:
    """A new private link for the proposal (any earlier one stops working)."""
    proposal.token_nonce = new_nonce()
    proposal.token_hash = hash_token(manage_token(secret_key, proposal.token_nonce, LINK_PURPOSE))


def find_by_token(token: str) -> HostProposal | None:
    """The proposal a host link opens, or None (unknown, revoked, or not a token at all)."""
    if not token or len(token) > 100:
        return None
    proposal = db.session.scalar(
        select(HostProposal).where(HostProposal.token_hash == hash_token(token))
    )
    if proposal is None or proposal.is_link_revoked:
        return None
    return proposal


def revoke_link(proposal: HostProposal, organizer: Organizer, now: datetime) -> None:
    """The host's link stops opening anything (until a new one is sent)."""
    if proposal.is_link_revoked:
        raise HostingError("The host's link is already revoked.")
    proposal.is_link_revoked = True
    record(proposal, organizer_actor(organizer), "revoked host link", now, "", organizer.id)
    db.session.flush()


def send_new_link(
    proposal: HostProposal, organizer: Organizer, now: datetime, secret_key: str
) -> None:
    """A new link for the host (the old one stops working), mailed to them."""
    issue_link(proposal, secret_key)
    proposal.is_link_revoked = False
    record(proposal, organizer_actor(organizer), "sent host a new link", now, "", organizer.id)
    db.session.flush()
    mails.queue_link(proposal, now, reason="new")


def resend_links(email: str, now: datetime) -> int:
    """Mail each live link this address has (none: nothing is sent, and the caller answers
    the same either way); returns how many."""
    address = (email or "").strip().lower()
    if not address or len(address) > 254 or has_control_characters(address):
        return 0
    proposals = list(
        db.session.scalars(
            select(HostProposal).where(
                HostProposal.host_email == address,
                HostProposal.is_link_revoked.is_(False),
                HostProposal.status.not_in((STATUS_WITHDRAWN, STATUS_DECLINED)),
            )
        )
    )
    for proposal in proposals:
        if not mails.mailed_recently(proposal, now, timedelta(hours=1)):
            mails.queue_link(proposal, now, reason="resend")
    return len(proposals)
