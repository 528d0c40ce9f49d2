"""Wiring used by create_app: extensions, blueprints, handlers, template helpers."""

from __future__ import annotations

import logging

from flask import Flask, g, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from campaign.core import database, errors, security
from campaign.core.text import render_markdown
from campaign.extensions import csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Bind extensions and register every feature's blueprint and commands."""
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    database.init_app(app)
    from campaign.config import REPO_ROOT

    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(_check_rate_limits)
    _init_login(app)

    security.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    from campaign.graphics import views as graphics_views

    graphics_views.init_app(app)  # upload size limit; logs whether Raqm is available
    from campaign.graphics import serving

    serving.init_app(app)  # stored public cards answered before the request cycle
    _register_mail_renderers()
    _register_template_helpers(app)

    from campaign import cli

    cli.init_app(app)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _check_rate_limits() -> None:
    """Rate limits (all on forms that change something) for requests that change something."""
    if request.method not in SAFE_METHODS:
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
    from campaign.attendees.views import bp as attendees_bp
    from campaign.campaigns.views import bp as campaigns_bp
    from campaign.core.health import bp as health_bp
    from campaign.dashboard.views import bp as dashboard_bp
    from campaign.events.views import bp as events_bp
    from campaign.events.views import manage_bp as events_manage_bp
    from campaign.graphics.views import bp as graphics_bp
    from campaign.graphics.views import manage_bp as graphics_manage_bp
    from campaign.mail.views import bp as mail_bp
    from campaign.organizers.views import bp as organizers_bp
    from campaign.reminders.views import bp as reminders_bp
    from campaign.signups.views import bp as signups_bp

    for blueprint in (
        health_bp,
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
    ):
        app.register_blueprint(blueprint)


def _register_mail_renderers() -> None:
    from campaign.reminders import mails as campaign_mails
    from campaign.signups import mails as registration_mails

    registration_mails.register_renderers()
    campaign_mails.register_renderers()


def _register_template_helpers(app: Flask) -> None:
    from campaign.campaigns.services import current_campaign

    app.jinja_env.filters["markdown"] = render_markdown

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
