"""Flask extensions, created unbound; create_app binds them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from campaign.core.throttle import Throttle

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_address() -> str:
    """The client address (ProxyFix has already applied the trusted proxy count)."""
    return get_remote_address() or request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # Models subclass db.Model, which Flask-SQLAlchemy builds from Base at run time; mypy
    # cannot take a base class from an attribute, so to it the models derive from Base.
    Model = Base
else:
    Model = db.Model
login_manager = LoginManager()
csrf = CSRFProtect()
# Translations and locale-aware dates and numbers; campaign.i18n.web binds it.
babel = Babel()
# Every limit is on a state-changing route; core.setup checks them for those requests only
# (the extension's automatic check costs every page view, cached pages included, ~0.1 ms).
limiter = Limiter(key_func=client_address, default_limits=[], auto_check=False)
# Limits that views check themselves (sign-up and sign-in answer with their own page, the
# person's input kept) and the store of used one-time form ids; same store as the limiter.
throttle = Throttle()
