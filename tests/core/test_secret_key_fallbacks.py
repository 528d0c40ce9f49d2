"""CAMPAIGN_SECRET_KEY_FALLBACKS from the environment: one old key as a plain string or
several as a JSON list; the session and form tokens signed under an old key verify."""

from __future__ import annotations

import pytest
from flask_wtf.csrf import generate_csrf, validate_csrf

from campaign.config import secret_key_fallbacks
from campaign.core.tokens import secret_keys, serializer_keys
from tests.core.test_config import build, clean_env  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("old-key", ["old-key"]),
        ('["older", "old"]', ["older", "old"]),
        ("", []),
        ("12345678901234567890", ["12345678901234567890"]),  # parsed as JSON: a number
    ],
)
def test_fallbacks_from_the_environment(clean_env, build, monkeypatch, value, expected):  # noqa: F811
    monkeypatch.setenv("CAMPAIGN_BASE_URL", "https://campaign.example.org")
    monkeypatch.setenv("CAMPAIGN_SECRET_KEY", "the-new-key")
    monkeypatch.setenv("CAMPAIGN_SECRET_KEY_FALLBACKS", value)
    app = build()
    assert app.config["SECRET_KEY_FALLBACKS"] == expected
    with app.app_context():
        assert secret_keys() == ["the-new-key", *expected]
        assert serializer_keys()[-1] == "the-new-key"  # itsdangerous signs with the last


def test_a_session_and_a_csrf_token_from_the_old_key_verify(clean_env, build, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CAMPAIGN_BASE_URL", "https://campaign.example.org")
    monkeypatch.setenv("CAMPAIGN_SECRET_KEY", "the-old-key")
    old = build()
    cookie = old.session_interface.get_signing_serializer(old).dumps({"csrf_token": "raw"})
    with old.test_request_context():
        from flask import session

        session["csrf_token"] = "raw"
        token = generate_csrf()

    monkeypatch.setenv("CAMPAIGN_SECRET_KEY", "the-new-key")
    monkeypatch.setenv("CAMPAIGN_SECRET_KEY_FALLBACKS", "the-old-key")
    new = build()
    serializer = new.session_interface.get_signing_serializer(new)
    assert serializer.loads(cookie) == {"csrf_token": "raw"}
    with new.test_request_context():
        from flask import session

        session["csrf_token"] = "raw"
        validate_csrf(token)  # raises ValidationError when it does not verify
        assert generate_csrf() != token  # new tokens are signed with the new key


def test_the_helper_accepts_lists_and_drops_empties():
    assert secret_key_fallbacks(None) == []
    assert secret_key_fallbacks(["a", "", "b"]) == ["a", "b"]
    assert secret_key_fallbacks(("a",)) == ["a"]
