"""Wiring used by create_app: extensions, blueprints, handlers, template helpers."""

from __future__ import annotations

import logging
import os

from flask import Flask, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from campaign.core import database, errors, security, sessions
from campaign.core.text import render_markdown
from campaign.core.throttle import OWN_LIMIT_VIEWS
from campaign.core.timeutil import to_local
from campaign.core.urls import DatabaseIntConverter, LazyBuilderRule
from campaign.extensions import csrf, db, limiter, login_manager, throttle

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Bind extensions and register every feature's blueprint and commands."""
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        # Flask's documented way to add WSGI middleware; mypy sees a method replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    # Before any blueprint: every <int:...> route gets the bounded converter, and compiles
    # its URL builders when a URL is first built from it.
    app.url_map.converters["int"] = DatabaseIntConverter
    app.url_rule_class = LazyBuilderRule
    database.init_app(app)
    _init_migrations(app)
    csrf.init_app(app)
    limiter.init_app(app)
    throttle.init_app(app)
    app.before_request(_check_rate_limits)
    sessions.init_app(app)
    _init_login(app)

    from campaign.i18n import display as i18n_display
    from campaign.i18n import web as i18n_web

    i18n_web.init_app(app)  # the visitor's language (Flask-Babel), before any page renders
    i18n_display.init_app(app)  # event times, places and formats in that language
    security.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    from campaign.graphics import views as graphics_views

    graphics_views.init_app(app)  # upload size limit; logs whether Raqm is available
    from campaign.graphics import serving

    serving.init_app(app)  # stored public cards answered before the request cycle
    from campaign.core import compression, pagecache
    from campaign.events.cache_keys import CACHED_ROUTES
    from campaign.signups.page_keys import REGISTERED_ROUTE

    compression.init_app(app)  # HTML, CSS and JS compressed by the app itself
    # Stored public pages, before the request cycle.
    pagecache.init_app(app, (*CACHED_ROUTES, REGISTERED_ROUTE))
    from campaign.api import front as api_front

    api_front.init_app(app)  # stored API answers, before the request cycle
    from campaign.core import querystring

    querystring.init_app(app)  # outermost: raw non-UTF-8 query bytes escaped, never a 500
    _register_mail_renderers()
    _register_template_helpers(app)
    from campaign.core import templatecache

    templatecache.init_app(app)  # compiled templates kept on disk between starts

    from campaign import cli

    cli.init_app(app)


def _init_migrations(app: Flask) -> None:
    """`flask db ...` (Flask-Migrate) where a command can run: the flask CLI (which sets
    FLASK_RUN_FROM_CLI) and tests. Web workers never migrate, and Alembic would cost each
    of them about 10 MiB and a tenth of its start-up."""
    if not (os.environ.get("FLASK_RUN_FROM_CLI") or app.testing):
        return
    from flask_migrate import Migrate

    from campaign.config import REPO_ROOT

    Migrate(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _check_rate_limits() -> None:
    """Flask-Limiter's limits (all on forms that change something) for requests that change
    something, except on views that count their own (campaign.core.throttle)."""
    if request.method in SAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view not in OWN_LIMIT_VIEWS:
        limiter.check()


def _init_login(app: Flask) -> None:
    from campaign.organizers.services import load_organizer_for_session

    login_manager.init_app(app)
    login_manager.login_view = "organizers.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_organizer_for_session)


def _register_blueprints(app: Flask) -> None:
    from campaign.api.views import bp as api_bp
    from campaign.attendees.views import bp as attendees_bp
    from campaign.campaigns.views import bp as campaigns_bp
    from campaign.core.health import bp as health_bp
    from campaign.core.icons import bp as icons_bp
    from campaign.dashboard.views import bp as dashboard_bp
    from campaign.embed.views import bp as embed_bp
    from campaign.embed.views import manage_bp as embed_manage_bp
    from campaign.events.manage_views import manage_bp as events_manage_bp
    from campaign.events.views import bp as events_bp
    from campaign.graphics.views.flyers import bp as flyers_bp
    from campaign.graphics.views.manage import bp as graphics_manage_bp
    from campaign.graphics.views.public import bp as graphics_bp
    from campaign.hosting.views.manage import bp as hosting_manage_bp
    from campaign.hosting.views.public import bp as hosting_bp
    from campaign.mail.views import bp as mail_bp
    from campaign.organizers.views import bp as organizers_bp
    from campaign.reminders.views import bp as reminders_bp
    from campaign.signups.views import bp as signups_bp

    for blueprint in (
        health_bp,
        icons_bp,
        campaigns_bp,
        events_bp,
        events_manage_bp,
        organizers_bp,
        dashboard_bp,
        signups_bp,
        attendees_bp,
        mail_bp,
        reminders_bp,
        graphics_bp,
        graphics_manage_bp,
        api_bp,
        flyers_bp,
        embed_bp,
        embed_manage_bp,
        hosting_bp,
        hosting_manage_bp,
    ):
        app.register_blueprint(blueprint)


def _register_mail_renderers() -> None:
    from campaign.events import contact as host_contact
    from campaign.hosting import mails as hosting_mails
    from campaign.organizers import notifications
    from campaign.reminders import mails as campaign_mails
    from campaign.signups import mails as registration_mails

    registration_mails.register_renderers()
    host_contact.register_renderers()
    campaign_mails.register_renderers()
    hosting_mails.register_renderers()
    notifications.register_renderers()


def _register_template_helpers(app: Flask) -> None:
    from campaign.campaigns.services import current_campaign

    app.jinja_env.filters["markdown"] = render_markdown
    # An instant as ISO 8601 with its zone's offset, e.g. for assets/js/localtime.js.
    app.jinja_env.filters["iso_in_zone"] = lambda instant, zone: to_local(instant, zone).isoformat()
    from campaign.campaigns import site_theme

    app.jinja_env.globals["site_theme"] = site_theme

    @app.context_processor
    def inject_campaign() -> dict[str, object]:
        if "campaign" not in g:
            try:
                g.campaign = current_campaign()
            except SQLAlchemyError:
                # The error page must render even when the database is down.
                db.session.rollback()
                g.campaign = None
        return {"campaign": g.campaign}
