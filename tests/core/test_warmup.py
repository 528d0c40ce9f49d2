"""What a preloading gunicorn master does before it forks (gunicorn.conf.py): the next
event's page rendered once (campaign.core.warmup), and compiled templates kept on disk
between starts (campaign.core.templatecache)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_wtf.i18n import translations as flask_wtf_translations
from wtforms import StringField
from wtforms.validators import InputRequired

from campaign import create_app
from campaign.core import templatecache
from campaign.core.forms import Form
from campaign.core.pagecache import cache
from campaign.core.warmup import warm_public_pages
from campaign.events.models import Event
from campaign.extensions import db
from campaign.organizers.models import Organizer


def test_the_warm_up_stores_the_next_event_pages_and_keeps_no_connection(
    app: Flask,
    make_organizer: Callable[..., Organizer],
    make_event: Callable[..., Event],
) -> None:
    slug = make_event(make_organizer()).slug
    db.session.remove()
    warm_public_pages(app)
    assert len(cache()) == 2  # the event page and the page after registering for it
    pool = db.engine.pool
    if hasattr(pool, "checkedin"):
        assert pool.checkedin() == 0 and pool.checkedout() == 0
    # The stored pages are those a first-time visitor is given.
    for path in (f"/events/{slug}", f"/events/{slug}/registered"):
        page = app.test_client(use_cookies=False).get(path)
        assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert len(cache()) == 2


def test_without_a_campaign_the_warm_up_does_nothing(app: Flask) -> None:
    warm_public_pages(app)
    assert len(cache()) == 0


def test_compiled_templates_are_reused_by_the_next_start(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(app_config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    # As outside the suite: no bytecode cache in the Jinja options (tests/support/templates.py).
    options = {k: v for k, v in Flask.jinja_options.items() if k != "bytecode_cache"}
    monkeypatch.setattr(Flask, "jinja_options", options)
    first = create_app(app_config)
    code = first.jinja_env.get_template("errors/error.html").root_render_func.__code__
    assert any((Path(first.instance_path) / templatecache.FOLDER).iterdir())

    def compile_again(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("compiled again")

    second = create_app(app_config)
    monkeypatch.setattr(second.jinja_env, "compile", compile_again)
    again = second.jinja_env.get_template("errors/error.html").root_render_func.__code__
    assert again.co_code == code.co_code and again.co_consts == code.co_consts


def test_an_unwritable_template_cache_only_means_compiling(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = templatecache.TemplateCodeCache(str(blocked / "cache"))
    assert app.jinja_env.get_template("errors/error.html") is not None


class RequiredForm(Form):
    class Meta:
        csrf = False

    name = StringField(validators=[InputRequired()])


def test_form_messages_are_wtforms_own_in_the_visitors_language(app: Flask) -> None:
    for language in ("es", "en"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            form = RequiredForm(data={})
            assert not form.validate()
            # What Flask-WTF gives, read from the catalog afresh.
            assert form.name.errors == [flask_wtf_translations.gettext("This field is required.")]
            if language == "es":
                assert form.name.errors != ["This field is required."]
