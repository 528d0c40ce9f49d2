"""The baseline for bench/pages.py: a bare Flask route rendering a Jinja template.

No database, no extensions: `/page/<name>` renders bench/templates/page.html padded with
filler paragraphs to the byte size given for that name in BASELINE_PAGE_BYTES
("event=14400,events=7000"), so it sends as much HTML as the page it stands in for.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, render_template

FILLER = "Facts over fear: learn what the treatment is, how it is given, and why stigma persists. "


def _sizes(spec: str) -> dict[str, int]:
    """'event=14400,events=7000' -> {'event': 14400, 'events': 7000}."""
    sizes = {}
    for part in spec.split(","):
        name, _, size = part.partition("=")
        if name.strip():
            sizes[name.strip()] = int(size)
    return sizes


def _paragraphs(app: Flask, name: str, size: int) -> list[str]:
    """Enough filler paragraphs that the page for name renders to about size bytes."""
    with app.test_request_context(f"/page/{name}"):
        empty = len(render_template("page.html", title=name, paragraphs=[]).encode())
        one = len(render_template("page.html", title=name, paragraphs=[FILLER]).encode())
    count = max(0, round((size - empty) / max(1, one - empty)))
    return [f"{n}. {FILLER}" for n in range(count)]


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))
    pages: dict[str, list[str]] = {}

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.get("/page/<name>")
    def page(name: str) -> str:
        if name not in pages:
            abort(404)
        return render_template("page.html", title=name, paragraphs=pages[name])

    for name, size in _sizes(os.environ.get("BASELINE_PAGE_BYTES", "page=10000")).items():
        pages[name] = _paragraphs(app, name, size)
    return app
