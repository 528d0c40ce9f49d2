"""The baseline for bench/registration.py: a bare Flask-SQLAlchemy insert route.

Same database settings as the app (SQLite WAL, busy timeout, synchronous=NORMAL; or the
same PostgreSQL server). For the full visit, `/page/form` renders a page of BASELINE_FORM_BYTES
(bench/templates/page.html) and `/done` a short one. `/read/<name>` renders the same page
with the rows it reads from the database first (bench/pages.py's cold start: a page of a
database-backed app, answered by a bare one).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from flask import Flask, redirect, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Row(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))
    url = os.environ["BASELINE_DATABASE_URL"]
    is_sqlite = url.startswith("sqlite")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if is_sqlite:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    db.init_app(app)
    with app.app_context():
        engine = db.engine

        if is_sqlite:

            @event.listens_for(engine, "connect")
            def pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

        # Another worker may create the table at the same moment.
        with contextlib.suppress(DBAPIError):
            db.create_all()
        # No connection kept from here: a preloading gunicorn forks its workers after this.
        engine.dispose()

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    size = int(os.environ.get("BASELINE_FORM_BYTES", "14000"))

    @app.get("/page/<name>")
    def page(name: str) -> str:
        return render_template("page.html", title=name, paragraphs=paragraphs)

    with app.test_request_context("/page/form"):
        empty = len(render_template("page.html", title="form", paragraphs=[]))
        one = len(render_template("page.html", title="form", paragraphs=["x" * 80]))
    paragraphs = ["x" * 80] * max(0, (size - empty) // max(1, one - empty))

    @app.get("/read/<name>")
    def read(name: str) -> str:
        names = db.session.scalars(db.select(Row.name).order_by(Row.id).limit(10)).all()
        return render_template("page.html", title=name, paragraphs=[*names, *paragraphs])

    @app.get("/done")
    def done() -> str:
        return render_template("page.html", title="done", paragraphs=paragraphs[:10])

    @app.post("/insert")
    def insert():  # type: ignore[no-untyped-def]
        db.session.add(Row(name=request.form["name"], email=request.form["email"]))
        db.session.commit()
        return redirect("/done", 303)

    return app
