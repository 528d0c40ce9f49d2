"""The baseline for bench/api.py: a bare Flask route answering JSON of a given size.

No database, no extensions: `/json` serialises, on every request, a list of event-like
dicts padded so the body is about BASELINE_JSON_BYTES long (the size of the API answer
it stands in for, measured first).
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response

FILLER = "Facts over fear: learn what the treatment is and why stigma persists. "


def _items(size: int) -> list[dict[str, str]]:
    """Event-like dicts whose JSON list is about size bytes."""
    item = {"slug": "community-talk", "title": "Community talk", "summary": FILLER}
    one = len(json.dumps(item))
    return [dict(item, slug=f"event-{n}") for n in range(max(1, size // (one + 1)))]


def create_app() -> Flask:
    app = Flask(__name__)
    items = _items(int(os.environ.get("BASELINE_JSON_BYTES", "4000")))

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.get("/json")
    def payload() -> Response:
        body = json.dumps({"events": items, "page": 1, "total": len(items)})
        return Response(body, mimetype="application/json")

    return app
