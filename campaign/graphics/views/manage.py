"""Share graphics for organizers: the graphics_manage blueprint and what its pages share
(the campaign, a pair by id, drawing cards in the background). The routes live beside it:
manage_content (the myth/fact content editor), manage_theme (colours, logo and photo)
and manage_sources (the sources the pairs quote). Thin: parse, call services, render."""

from __future__ import annotations

import logging
import threading

from flask import (
    Blueprint,
    abort,
    current_app,
)

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import current_campaign
from campaign.extensions import db
from campaign.graphics.models import FactCard
from campaign.graphics.services.housekeeping import prerender_facts
from campaign.organizers.access import organizers_only

log = logging.getLogger(__name__)

bp = Blueprint("graphics_manage", __name__, url_prefix="/manage")
organizers_only(bp)


def _campaign() -> Campaign:
    """The campaign being managed (404 before there is one)."""
    campaign = current_campaign()
    if campaign is None:
        abort(404)
    return campaign


def _card_or_404(card_id: int) -> FactCard:
    """The campaign's pair by id (404 for another campaign's or a deleted one)."""
    campaign = _campaign()
    card = db.session.get(FactCard, card_id)
    if card is None or card.campaign_id != campaign.id or card.deleted_at is not None:
        abort(404)
    return card


def _prerender_later(campaign_id: int) -> None:
    """Draw the public cards in the background after an approval, so visitors find them
    ready (a card not drawn yet is still drawn when first asked for). Tests call
    housekeeping.prerender_facts themselves."""
    if current_app.testing:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            try:
                prerender_facts(campaign_id)
            except Exception:
                log.exception("pre-rendering the myth/fact cards failed")
            finally:
                db.session.remove()

    threading.Thread(target=work, name="prerender-cards", daemon=True).start()


# The content, theme and sources pages are routes of this blueprint (imported to register).
from campaign.graphics.views import manage_content as _manage_content  # noqa: E402, F401
from campaign.graphics.views import manage_sources as _manage_sources  # noqa: E402, F401
from campaign.graphics.views import manage_theme as _manage_theme  # noqa: E402, F401
from campaign.graphics.views import (  # noqa: E402, F401
    manage_translations as _manage_translations,
)
