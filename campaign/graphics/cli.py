"""`flask cards ...`: load the default content, pre-render every card, prune old files."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from campaign.extensions import db

if TYPE_CHECKING:
    from campaign.graphics.services.housekeeping import CurrentCard


@click.group("cards")
def cards_group() -> None:
    """Share cards: content and rendered files."""


@cards_group.command("load-content")
@click.option("--approve", is_flag=True, help="Publish the added pairs at once.")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A content file like assets/content/myths.json (the default).",
)
def load_content(approve: bool, path: Path | None) -> None:
    """Add the myth/fact pairs of the content file that the campaign does not have yet."""
    from campaign.campaigns.services import current_campaign
    from campaign.core.timeutil import utcnow
    from campaign.graphics.services import content

    campaign = current_campaign()
    if campaign is None:
        raise click.ClickException("No campaign yet: run seed-demo or create one first.")
    added = content.load_content(
        campaign, utcnow(), approve=approve, path=path or content.CONTENT_FILE
    )
    db.session.commit()
    state = "approved" if approve else "waiting for an admin's approval"
    click.echo(f"Added {added} myth/fact {'pair' if added == 1 else 'pairs'} ({state}).")


@cards_group.command("render-all")
def render_all() -> None:
    """Render every card the site points at now (all presets) that is not on disk yet."""
    from campaign.core.timeutil import utcnow
    from campaign.graphics.services.cardspecs import render_png
    from campaign.graphics.services.housekeeping import register_current
    from campaign.graphics.services.registry import card_store

    cards = register_current(utcnow())
    db.session.commit()
    store = card_store()
    missing = [c for c in cards if store.read(c.key) is None]
    click.echo(f"{len(cards)} current cards, {len(missing)} to render.")
    with click.progressbar(missing, label="Rendering cards", item_show_func=_card_label) as bar:
        for card in bar:
            store.get_or_render(card.key, partial(render_png, card.spec, card.preset))
    click.echo(f"Done: cards are in {store.directory}.")


def _card_label(card: CurrentCard | None) -> str | None:
    """What the progress bar shows for the card being rendered."""
    return f"{card.kind}/{card.preset}" if card is not None else None


@cards_group.command("prune")
@click.option(
    "--keep-days",
    default=30,
    show_default=True,
    type=click.IntRange(min=0),
    help="Keep cards that stopped being current less than this many days ago.",
)
def prune(keep_days: int) -> None:
    """Delete rendered cards nothing has pointed at for a while (current ones never), and
    the flyers of past events and of earlier versions of an event."""
    from campaign.core.timeutil import utcnow
    from campaign.graphics.services import housekeeping
    from campaign.graphics.services.flyers import prune_flyers

    now = utcnow()
    result = housekeeping.prune(now, keep_days)
    db.session.commit()
    flyers = prune_flyers(now, keep_days)
    click.echo(
        f"Deleted {result['files']} files and {result['rows']} stale keys "
        f"({result['leftovers']} leftover temporary files), and {flyers} old flyers."
    )
