"""Routes compile their URL builders on first use (campaign.core.urls.LazyBuilderRule) and
build exactly the URLs werkzeug's own rules build."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Map, Rule

from campaign.core.urls import LazyBuilderRule

SAMPLES = {"IntegerConverter": 7, "DatabaseIntConverter": 7, "PathConverter": "a b/c"}


def _values(rule: Rule) -> dict[str, Any]:
    """A value for each of the rule's variables, of the kind its converter takes."""
    return {
        name: SAMPLES.get(type(converter).__name__, "x y/é")
        for name, converter in rule._converters.items()
    }


def _eager_copy(rule: Rule, app: Flask) -> Rule:
    """The same route as werkzeug's own Rule, compiled when added."""
    copy = Rule(rule.rule, **rule.get_empty_kwargs())
    Map([copy], converters=app.url_map.converters)
    return copy


def test_every_route_builds_what_werkzeug_builds(app: Flask) -> None:
    rules = list(app.url_map.iter_rules())
    # All but Flask's static route, added before the app's setup chooses the rule class.
    lazy = [r for r in rules if isinstance(r, LazyBuilderRule)]
    assert len(lazy) == len(rules) - 1 > 100
    for rule in rules:
        eager = _eager_copy(rule, app)
        values = _values(rule)
        for extra in ({}, {"lang": "es", "q": "a&b"}):
            for append_unknown in (False, True):
                wanted = eager.build({**values, **extra}, append_unknown)
                assert rule.build({**values, **extra}, append_unknown) == wanted, rule.rule
                # The second build uses the compiled builder put in the first's place.
                assert rule.build({**values, **extra}, append_unknown) == wanted, rule.rule


def test_the_first_build_puts_werkzeugs_builder_in_place(app: Flask) -> None:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "events.detail")
    assert rule._build_unknown.__func__.__name__ == "build_first"  # type: ignore[attr-defined]
    assert rule.build({"slug": "walk"}) == ("", "/events/walk")
    builder = rule._build_unknown.__func__  # type: ignore[attr-defined]
    assert builder.__name__ == f"<builder:{rule.rule!r}>"
    assert rule._build.__func__.__name__ == "build_first"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["rule", "self", "values", "append_unknown"])
def test_a_variable_may_have_any_name(name: str) -> None:
    url_map = Map([LazyBuilderRule(f"/x/<{name}>", endpoint="x")])
    adapter = url_map.bind("example.org")
    assert adapter.build("x", {name: "a b"}) == "/x/a%20b"
    assert adapter.build("x", {name: "a", "more": "1"}) == "/x/a?more=1"


def test_a_missing_value_is_still_a_build_error(app: Flask) -> None:
    from werkzeug.routing import BuildError

    with app.test_request_context(), pytest.raises(BuildError):
        app.url_map.bind("example.org").build("events.detail", {})
