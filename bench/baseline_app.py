"""The baseline for bench/registration.py: a bare Flask-SQLAlchemy insert route.

Same database settings as the app (SQLite WAL, busy timeout, synchronous=NORMAL).
"""

from __future__ import annotations

import contextlib
import os

from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Row(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BASELINE_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    db.init_app(app)
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        # Another worker may create the table at the same moment.
        with contextlib.suppress(OperationalError):
            db.create_all()

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.post("/insert")
    def insert():  # type: ignore[no-untyped-def]
        db.session.add(Row(name=request.form["name"], email=request.form["email"]))
        db.session.commit()
        return redirect("/done", 303)

    return app
