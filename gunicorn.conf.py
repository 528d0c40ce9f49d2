"""gunicorn settings, read by gunicorn from the directory it starts in (the repository root,
as the README's commands run it).

preload_app: the master builds the app once and forks the workers from it, so the code,
templates and tables every worker holds are one copy shared by all (copy-on-write), and
the workers answer as soon as they are forked instead of each importing the app on a
2-core machine at once. Building the app opens no connection (database and Redis pools
connect on first use, in each worker; campaign.core.database empties a pool a forked
process inherits).

Before forking, the master renders the next event's page and the page after registering
once (campaign.core.warmup): the compiled templates and statements, language data and
the stored page it leaves behind are then shared by the workers too, instead of each
worker building its own copy on its first visitor (the cards' alt texts are worked out
by a short-lived child, so the master never loads the fonts). It closes its database
connections before the fork.

The garbage collector follows the pattern Python's gc.freeze() documentation gives for
forking servers: off in the master while the app is built (collections leave freed holes
in the pages the workers would share, and new objects in a worker fill them, copying the
pages), frozen before forking (a worker's collections then never write to the master's
objects) and on again in each worker.
"""

from __future__ import annotations

import gc
from typing import Any

preload_app = True

gc.disable()  # this file is read before the app is loaded


def when_ready(server: Any) -> None:
    """The app is loaded and no worker is forked yet."""
    app = server.app.wsgi() if server.cfg.preload_app else None
    if getattr(app, "import_name", None) == "campaign":  # not another app run with this file
        from campaign.core.warmup import warm_public_pages

        warm_public_pages(app)
    gc.freeze()


def post_fork(_server: Any, _worker: Any) -> None:
    gc.enable()
