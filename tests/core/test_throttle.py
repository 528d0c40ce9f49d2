"""The store behind hand-checked limits and one-time form tokens: shared by every worker
when Redis is configured, and a store that fails never locks a person out."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from campaign import create_app
from campaign.core.throttle import Check, Limited, Once
from campaign.extensions import db, throttle
from campaign.signups import guard
from campaign.signups.models import Registration
from tests.signups.conftest import count, is_second_step
from tests.support.client import IsolatedClient

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the test Redis database; its keys are removed after."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    prefix = f"campaign-test-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def _form(email: str, started: str) -> dict[str, str]:
    return {"name": "Sam Jones", "email": email, "started": started, "website": "", "ref": ""}


def test_with_redis_every_worker_sees_used_tokens_and_counts(
    app_config: dict[str, Any], redis_prefix: str, make_organizer, make_event, app: Flask
) -> None:
    shared = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "SIGNUP_MIN_SECONDS": 0,
        "SIGNUP_RATE_LIMIT": "3 per minute",
    }
    # Two workers of one site: same database, same settings, separate processes' memory.
    one = create_app({**app_config, **shared})
    two = create_app({**app_config, **shared})
    for worker in (one, two):
        worker.test_client_class = IsolatedClient
    event = make_event(make_organizer())
    path = f"/events/{event.slug}/register"
    with one.app_context():
        token = guard.form_token(one.config["SECRET_KEY"], event.slug)

    first = one.test_client().post(path, data=_form("a@example.org", token))
    assert first.status_code == 303
    # The same token on the other worker is known as used.
    replay = two.test_client().post(path, data=_form("b@example.org", token))
    assert is_second_step(replay)
    # Both workers count the same per-address limit: 3 a minute in all.
    with two.app_context():
        fresh = guard.form_token(two.config["SECRET_KEY"], event.slug)
    assert two.test_client().post(path, data=_form("c@example.org", fresh)).status_code == 303
    with one.app_context():
        fresh = guard.form_token(one.config["SECRET_KEY"], event.slug)
    limited = one.test_client().post(path, data=_form("d@example.org", fresh))
    assert limited.status_code == 429
    assert count(Registration) == 2
    for worker in (one, two):
        with worker.app_context():
            db.engine.dispose()


def test_a_failing_store_lets_people_through(
    app_config: dict[str, Any], make_organizer, make_event, app: Flask, caplog
) -> None:
    # Nothing listens on this port of this helper's range: every store call fails.
    broken = create_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:5139/0",
            "SIGNUP_MIN_SECONDS": 0,
        }
    )
    broken.test_client_class = IsolatedClient
    event = make_event(make_organizer())
    with broken.app_context():
        token = guard.form_token(broken.config["SECRET_KEY"], event.slug)
        assert throttle.hit(Check("x", "1 per hour", ("x",))) is None
        assert throttle.first_use("x", "id", 60) is True
    with caplog.at_level(logging.WARNING, logger="campaign.core.throttle"):
        response = broken.test_client().post(
            f"/events/{event.slug}/register", data=_form("sam@example.org", token)
        )
    assert response.status_code == 303
    assert count(Registration) == 1
    assert "store failed" in caplog.text
    with broken.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "60 seconds"),
        (61, "about 2 minutes"),
        (900, "about 15 minutes"),
    ],
)
def test_the_wait_is_said_in_words(seconds: int, words: str) -> None:
    assert Limited("address", seconds).wait_text == words


def test_with_redis_a_spent_window_uses_up_no_other_in_one_round_trip(
    app_config: dict[str, Any], redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = create_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": redis_prefix,
        }
    )
    tight = Check("tight", "2 per minute", ("tight",))
    loose = Check("loose", "5 per minute; 10 per hour", ("loose",))
    with worker.app_context():
        store = worker.extensions["campaign_throttle"]
        calls: list[str] = []
        real_script = throttle._chain_script(store)

        def counting(**kwargs: Any) -> Any:
            calls.append("script")
            return real_script(**kwargs)

        monkeypatch.setattr(throttle, "_chain_script", lambda _store: counting)
        assert throttle.hit(tight, loose) is None
        assert throttle.hit(tight, loose) is None
        assert calls == ["script", "script"], "one round trip a hit"
        limited = throttle.hit(loose, tight)
        assert limited is not None and limited.name == "tight"
        assert 1 <= limited.retry_after <= 60
        # The refused request was not counted in the loose windows: 3 more fit, not 2.
        assert throttle.hit(loose) is None
        assert throttle.hit(loose) is None
        assert throttle.hit(loose) is None
        spent = throttle.hit(loose)
        assert spent is not None and spent.name == "loose"
        # The lists are the limits library's moving windows: its reads agree.
        key = f"{redis_prefix}/loose/5/60"
        assert store.get_moving_window(key, 5, 60)[1] == 5


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_a_chain_stops_where_separate_calls_would_in_one_round_trip(
    app_config: dict[str, Any], store: str, request: pytest.FixtureRequest
) -> None:
    settings: dict[str, Any] = {"RATELIMIT_ENABLED": True}
    if store == "redis":
        settings |= {
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": request.getfixturevalue("redis_prefix"),
        }
    worker = create_app({**app_config, **settings})
    first = (Check("first", "2 per minute", ("first",)),)
    then = (Check("then", "1 per minute", ("then",)),)
    with worker.app_context():
        assert throttle.chain(first, Once("t", "a", 60), then) is None
        # A used id refuses at its step: "then" is not counted (it would refuse otherwise).
        refused = throttle.chain(first, Once("t", "a", 60), then)
        assert refused is not None and (refused.step, refused.limited) == (1, None)
        # "first" is spent now: nothing after it is used up, the id "b" stays fresh.
        refused = throttle.chain(first, Once("t", "b", 60), then)
        assert refused is not None and refused.step == 0
        assert refused.limited is not None and refused.limited.name == "first"
        assert throttle.first_use("t", "b", 60) is True
        # The last step refuses by itself once its window is spent.
        refused = throttle.chain(Once("t", "c", 60), then)
        assert refused is not None and refused.step == 1
        assert refused.limited is not None and refused.limited.name == "then"
        # With limits off, checks pass and ids are still used up.
        worker.config["RATELIMIT_ENABLED"] = False
        assert throttle.chain(first, Once("t", "d", 60)) is None
        refused = throttle.chain(first, Once("t", "d", 60))
        assert refused is not None and (refused.step, refused.limited) == (1, None)


def test_with_redis_a_sign_up_takes_one_store_round_trip(
    app_config: dict[str, Any],
    redis_prefix: str,
    make_organizer,
    make_event,
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = create_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": redis_prefix,
            "SIGNUP_MIN_SECONDS": 0,
        }
    )
    worker.test_client_class = IsolatedClient
    event = make_event(make_organizer())
    calls: list[int] = []
    real = throttle._chain_script

    def counting(store: Any) -> Any:
        script = real(store)
        return lambda **kwargs: calls.append(1) or script(**kwargs)

    monkeypatch.setattr(throttle, "_chain_script", counting)
    with worker.app_context():
        token = guard.form_token(worker.config["SECRET_KEY"], event.slug)
    path = f"/events/{event.slug}/register"
    assert worker.test_client().post(path, data=_form("a@example.org", token)).status_code == 303
    assert calls == [1], "address limit, one-time id and sign-up limits in one script call"
    # The id is used up all the same, and nothing else was counted for the replay.
    assert is_second_step(worker.test_client().post(path, data=_form("b@example.org", token)))
    assert count(Registration) == 1
    with worker.app_context():
        db.engine.dispose()
