"""Before gunicorn forks its workers: the page share links land on rendered once in the
master, so what every worker needs to serve it is built once and shared.

A worker's first event page compiles the templates and the SQL statements, loads the
language data and the fonts the card descriptions are measured with, and fills the lru
caches behind them: about 25 MiB that each of the workers would otherwise build for itself,
and the first visitor of each worker would wait for. Built in the preloading master
(gunicorn.conf.py), it is one copy in pages the workers share copy-on-write, and a page
rendered here is already in each worker's page cache. The requests are a first-time
visitor's GETs, which store nothing; the master's database connection is closed before
the fork. A database that cannot be reached only leaves the workers cold.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from campaign.extensions import db

log = logging.getLogger(__name__)


def _next_event_slug() -> str | None:
    """The slug of the current campaign's next public event (None: no campaign or event)."""
    from campaign.campaigns.services import current_campaign
    from campaign.core.timeutil import utcnow
    from campaign.events.models import Event
    from campaign.events.public import ListingFilters, public_events_query

    campaign = current_campaign()
    if campaign is None:
        return None
    query = public_events_query(campaign.id, utcnow(), ListingFilters())
    return db.session.scalar(query.with_only_columns(Event.slug).limit(1))


def warm_public_pages(app: Flask) -> None:
    """GET the health check and the next event's page once, as a first-time visitor, then
    close every database connection this process opened."""
    client = app.test_client(use_cookies=False)
    try:
        with app.app_context():
            slug = _next_event_slug()
        for path in ["/healthz", *([f"/events/{slug}"] if slug else [])]:
            status = client.get(path).status_code
            if status != 200:
                log.info("warm-up: %s answered %s", path, status)
    except SQLAlchemyError as exc:
        log.warning("warm-up skipped: database error %s", type(exc).__name__)
    finally:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
