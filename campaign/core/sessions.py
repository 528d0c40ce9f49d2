"""Flask's signed session cookie, opened only for a request that carries one."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a request without the cookie (every
    public visitor's) gets an empty session at once: Flask builds the signing serializer
    (key derivation included) on every request before it looks for the cookie, a few
    percent of a sign-up's CPU."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieOnlySessionInterface()
