"""`flask cards ...`: load the default content, pre-render every card, prune old files."""

from __future__ import annotations

from pathlib import Path

import click

from campaign.extensions import db


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
    from campaign.graphics import services

    campaign = current_campaign()
    if campaign is None:
        raise click.ClickException("No campaign yet: run seed-demo or create one first.")
    added = services.load_content(
        campaign, utcnow(), approve=approve, path=path or services.CONTENT_FILE
    )
    db.session.commit()
    state = "approved" if approve else "waiting for an admin's approval"
    click.echo(f"Added {added} myth/fact {'pair' if added == 1 else 'pairs'} ({state}).")


@cards_group.command("render-all")
def render_all() -> None:
    """Render every card the site points at now (all presets) that is not on disk yet."""
    from campaign.core.timeutil import utcnow
    from campaign.graphics import services

    cards = services.register_current(utcnow())
    db.session.commit()
    store = services.card_store()
    missing = [c for c in cards if store.read(c.key) is None]
    click.echo(f"{len(cards)} current cards, {len(missing)} to render.")
    with click.progressbar(
        missing, label="Rendering cards", item_show_func=lambda c: c and f"{c.kind}/{c.preset}"
    ) as bar:
        for card in bar:
            spec, preset = card.spec, card.preset
            store.get_or_render(card.key, lambda s=spec, p=preset: services.render_png(s, p))
    click.echo(f"Done: cards are in {store.directory}.")


@cards_group.command("prune")
@click.option(
    "--keep-days",
    default=30,
    show_default=True,
    type=click.IntRange(min=0),
    help="Keep cards that stopped being current less than this many days ago.",
)
def prune(keep_days: int) -> None:
    """Delete rendered cards nothing has pointed at for a while (current ones never)."""
    from campaign.core.timeutil import utcnow
    from campaign.graphics import services

    result = services.prune(utcnow(), keep_days)
    db.session.commit()
    click.echo(
        f"Deleted {result['files']} files and {result['rows']} stale keys "
        f"({result['leftovers']} leftover temporary files)."
    )
