"""Before gunicorn forks its workers: the pages of a sign-up rendered once in the master,
so what every worker needs to serve them is built once and shared.

A worker's first event page compiles the templates and the SQL statements, loads the
language data and fills the lru caches behind them: about 25 MiB that each of the
workers would otherwise build for itself, and the first visitor of each worker would
wait for. Built in the preloading master (gunicorn.conf.py), it is one copy in pages the
workers share copy-on-write, and a page rendered here is already in each worker's page
cache. The same holds, a few MiB each, for
the page after registering (stored too: campaign.signups.page_keys) and for the address
check of the form's POST (its IDNA tables). The requests are a first-time visitor's GETs
and the check stores nothing; the master's database connection is closed before the
fork. A database that cannot be reached only leaves the workers cold.

The one thing the master should not build is the cards' alt texts. Working them out lays
each card out, which loads Pillow, HarfBuzz and the fonts (about 16 MiB the master would
keep for good, a quarter of it counted against each worker, and touched by none: the
texts are kept on disk, campaign.graphics.services.alt_memo). So on a host that keeps no
alt text yet, the pages are first fetched by a forked child that keeps their texts and
exits; the master then renders them from the kept texts. A host that already keeps texts
(every start after the first) skips the child.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
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


def _get(client: FlaskClient, paths: list[str]) -> None:
    """GET each path; log an answer other than 200."""
    for path in paths:
        status = client.get(path).status_code
        if status != 200:
            log.info("warm-up: %s answered %s", path, status)


def _in_child(work: Callable[[], None]) -> None:
    """Run work in a forked child process and wait for it; what it loads goes with it.
    A child that fails only leaves the work to the master, which does it anyway."""
    try:
        pid = os.fork()
    except OSError as exc:
        log.warning("warm-up: no child process (%s); the master keeps the card texts", exc)
        return
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            work()
            status = 0
        except BaseException:
            log.exception("warm-up: the child keeping card texts failed")
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        log.warning("warm-up: the child keeping card texts ended with status %s", status)


def _texts_kept(app: Flask) -> bool:
    from campaign.graphics.services.alt_memo import any_text_kept

    with app.app_context():
        return any_text_kept()


def warm_public_pages(app: Flask) -> None:
    """GET the health check, the next event's page and the page after registering for it
    once, as a first-time visitor (their card texts kept by a child first if this host
    keeps none), check an address as the form's POST does, then close every database
    connection this process opened."""
    from campaign.signups.services import clean_email

    clean_email("warm-up@example.org")
    client = app.test_client(use_cookies=False)
    try:
        with app.app_context():
            slug = _next_event_slug()
        pages = [f"/events/{slug}", f"/events/{slug}/registered"] if slug else []
        if pages and not _texts_kept(app):
            _in_child(lambda: _get(client, pages))
        _get(client, ["/healthz", *pages])
    except SQLAlchemyError as exc:
        log.warning("warm-up skipped: database error %s", type(exc).__name__)
    finally:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
