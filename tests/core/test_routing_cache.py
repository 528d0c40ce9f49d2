"""The suite's shared URL builders (tests/support/routing.py) are the ones werkzeug compiles."""

from __future__ import annotations

from flask import Flask, url_for
from werkzeug.routing import Rule

from tests.support import routing


def test_every_builder_equals_a_fresh_compilation(app: Flask):
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 50
    for rule in rules:
        for append_unknown in (False, True):
            fresh = routing.uncached_builder(rule, append_unknown)
            shared = Rule._compile_builder(rule, append_unknown)  # what the app's rules compile
            assert shared.__code__ == fresh.__code__, rule.rule
            assert shared.__defaults__ == fresh.__defaults__, rule.rule


def test_a_second_app_builds_the_same_urls(app: Flask, app_config):
    from campaign import create_app

    other = create_app(app_config)
    assert other.url_map is not app.url_map
    with other.test_request_context():
        second = [
            url_for("events.detail", slug="a-b", lang="de", x="1 2"),
            url_for("signups.unsubscribe", registration_id=7, signature="s/g"),
            url_for("static", filename="css/site.css"),
        ]
    with app.test_request_context():
        first = [
            url_for("events.detail", slug="a-b", lang="de", x="1 2"),
            url_for("signups.unsubscribe", registration_id=7, signature="s/g"),
            url_for("static", filename="css/site.css"),
        ]
    assert first == second
    assert first[0] == "/events/a-b?lang=de&x=1+2"
    assert first[1] == "/u/7/s/g"
