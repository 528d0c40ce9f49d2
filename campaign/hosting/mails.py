"""Mail to hosts: confirm your email, a decision on your proposal, your private link.

Queued in the caller's transaction, rendered by the deliverer. The host's link is made
when the mail is rendered, from the proposal's nonce (never stored in the outbox params).
Each row's dedupe key starts with the proposal's prefix, so a proposal's queued mail can
be withdrawn at once (housekeeping does when it removes an unconfirmed proposal).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select, update

from campaign.core.urls import absolute_url
from campaign.extensions import db
from campaign.i18n.web import in_locale
from campaign.mail import services as mail
from campaign.mail.models import STATUS_CANCELLED, OutboxMessage

if TYPE_CHECKING:
    from campaign.hosting.models import HostProposal

KIND_CONFIRM = "host_confirm"
KIND_DECISION = "host_decision"
KIND_LINK = "host_link"
DECISIONS = ("approved", "changes", "declined")


def dedupe_prefix(proposal: HostProposal) -> str:
    """The start of every dedupe key of this proposal's mail. A deleted proposal's mail
    gives its keys up (forget_mail), so an id used again starts afresh."""
    return f"host:{proposal.id}:"


def forget_mail(proposal: HostProposal) -> None:
    """Before the proposal is deleted: withdraw its queued mail and free its dedupe keys."""
    condition = OutboxMessage.dedupe_key.like(dedupe_prefix(proposal) + "%")
    mail.withdraw_queued("withdrawn: proposal never confirmed", condition)
    db.session.execute(
        update(OutboxMessage)
        .where(condition)
        .values(dedupe_key=None)
        .execution_options(synchronize_session=False)
    )


def _queue(kind: str, proposal: HostProposal, now: datetime, key: str, **params: Any) -> None:
    mail.enqueue(
        kind,
        proposal.host_email,
        now,
        event_id=proposal.event_id,
        params={"proposal_id": proposal.id, **params},
        dedupe_key=dedupe_prefix(proposal) + key,
    )


def queue_confirm(proposal: HostProposal, now: datetime) -> None:
    """'Confirm your email to send your proposal'."""
    _queue(KIND_CONFIRM, proposal, now, "confirm")


def queue_decision(proposal: HostProposal, decision: str, now: datetime) -> None:
    """Approved, changes asked for, or declined (with the reviewer's message)."""
    _queue(KIND_DECISION, proposal, now, f"{decision}:{now.timestamp():.6f}", decision=decision)


def queue_link(proposal: HostProposal, now: datetime, reason: str) -> None:
    """The host's link again: asked for by the host ("resend") or a new one ("new")."""
    _queue(KIND_LINK, proposal, now, f"link:{now.timestamp():.6f}", reason=reason)


def mailed_recently(proposal: HostProposal, now: datetime, window: timedelta) -> bool:
    """Whether any mail about this proposal went (or is going) out within window."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OutboxMessage.dedupe_key.like(dedupe_prefix(proposal) + "%"),
                    OutboxMessage.created_at > now - window,
                    OutboxMessage.status != STATUS_CANCELLED,
                )
            )
        )
    )


def mail_for(proposal: HostProposal) -> list[OutboxMessage]:
    """Every message to the host about this proposal, newest first (for its reviewers,
    who may not see it in the outbox before there is an event)."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(dedupe_prefix(proposal) + "%"))
            .order_by(OutboxMessage.id.desc())
        )
    )


# --- rendering (in the deliverer) -----------------------------------------------------------


def _proposal_of(row: OutboxMessage) -> HostProposal:
    from campaign.hosting.models import HostProposal

    proposal = db.session.get(HostProposal, (row.params or {}).get("proposal_id"))
    if proposal is None:
        raise mail.CannotRender("the proposal no longer exists")
    return proposal


def _renderer(template: str) -> mail.Renderer:
    def render(row: OutboxMessage) -> mail.Rendered:
        from campaign.campaigns.models import Campaign
        from campaign.core.tokens import secret_keys
        from campaign.hosting.services.links import host_token

        proposal = _proposal_of(row)
        campaign = db.session.get(Campaign, proposal.campaign_id)
        if campaign is None:
            raise mail.CannotRender("the campaign no longer exists")
        host_url = None
        if not proposal.is_link_revoked:
            host_url = absolute_url("hosting.home", token=host_token(proposal, secret_keys()))
        event_url = (
            absolute_url("events.detail", slug=proposal.event.slug) if proposal.event else None
        )
        context = {
            "proposal": proposal,
            "campaign": campaign,
            "host_url": host_url,
            "event_url": event_url,
            "host_page_url": absolute_url("hosting.propose"),
            **(row.params or {}),
        }
        with in_locale(proposal.language):  # a language no longer offered: the default
            subject, text, html = mail.render(template, context)
        reply_to = campaign.contact_email or None
        return mail.Rendered(
            subject, text, html, headers={"Reply-To": reply_to} if reply_to else {}
        )

    return render


def register_renderers() -> None:
    """Tell the mail feature how to render the kinds this module queues."""
    for kind, template in (
        (KIND_CONFIRM, "host_confirm"),
        (KIND_DECISION, "host_decision"),
        (KIND_LINK, "host_link"),
    ):
        mail.register_renderer(kind, _renderer(template))
