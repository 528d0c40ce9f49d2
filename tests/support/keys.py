"""A second app on the same database and instance folder, as after a secret-key rotation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from campaign import create_app
from campaign.extensions import db

NEW_KEY = "the-new-secret-key-after-rotation"


@contextmanager
def app_with_keys(
    app_config: dict[str, Any], key: str, fallbacks: list[str], like: Flask
) -> Iterator[Flask]:
    """An app like `like` (same config, database, instance, client class) whose secret key is
    `key` and whose SECRET_KEY_FALLBACKS are `fallbacks`; the database is not reset."""
    config = {**app_config, "SECRET_KEY": key, "SECRET_KEY_FALLBACKS": fallbacks}
    config.pop("WTF_CSRF_SECRET_KEY", None)
    application = create_app(config)
    application.test_client_class = like.test_client_class
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def rotated(app_config: dict[str, Any], like: Flask) -> Iterator[Flask]:
    """After the rotation: NEW_KEY in use, the test's key moved to the fallbacks."""
    with app_with_keys(app_config, NEW_KEY, [app_config["SECRET_KEY"]], like) as application:
        yield application


@contextmanager
def retired(app_config: dict[str, Any], like: Flask) -> Iterator[Flask]:
    """After the old key is removed: NEW_KEY alone."""
    with app_with_keys(app_config, NEW_KEY, [], like) as application:
        yield application


def move_cookies(source: Any, target: Any) -> None:
    """Give the target test client the source client's cookies (the same browser)."""
    for cookie in source._cookies.values():
        target.set_cookie(
            cookie.key,
            cookie.value,
            domain=cookie.domain,
            origin_only=cookie.origin_only,
            path=cookie.path,
        )
