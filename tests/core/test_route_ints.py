"""Integer route values: every <int:...> uses the bounded converter, and a number too large
for an id column answers 404 on every such route (public and organizer), never 500."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from campaign.core.urls import MAX_ROUTE_INT, DatabaseIntConverter

TOO_LARGE = [MAX_ROUTE_INT + 1, 2**63, 10**25, 10**400]


def _int_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]


def test_every_int_route_uses_the_bounded_converter(app):
    rules = _int_rules(app)
    assert len(rules) >= 20, [r.rule for r in rules]  # the app's id routes are all found
    plain = [
        (rule.rule, name)
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter)
        and not isinstance(converter, DatabaseIntConverter)
    ]
    assert plain == []


def _url(rule, value: int) -> str:
    values = {
        name: value if isinstance(converter, IntegerConverter) else "x"
        for name, converter in rule._converters.items()
    }
    path = rule.rule
    for name, converter in rule._converters.items():
        kind = "int" if isinstance(converter, IntegerConverter) else None
        token = f"<{kind}:{name}>" if kind else f"<{name}>"
        path = path.replace(token, str(values[name]))
    return path


@pytest.mark.parametrize("value", TOO_LARGE, ids=["int4+1", "int8+1", "25-digits", "400-digits"])
def test_out_of_range_ids_answer_404_everywhere(app, client, make_organizer, login_as, value):
    login_as(make_organizer(admin=True))
    checked = 0
    for rule in _int_rules(app):
        url = _url(rule, value)
        assert "<" not in url, url
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked >= 20
    # The unsubscribe link is public: no sign-in needed to reach it.
    anonymous = app.test_client()
    assert anonymous.get(f"/u/{10**24}/x").status_code == 404
    assert anonymous.post(f"/u/{10**24}/x").status_code == 404


def test_the_bound_is_the_id_columns_range(app):
    from werkzeug.routing import ValidationError

    converter = DatabaseIntConverter(app.url_map)
    assert converter.to_python(str(MAX_ROUTE_INT)) == MAX_ROUTE_INT
    assert converter.to_python("0042") == 42
    with pytest.raises(ValidationError):
        converter.to_python(str(MAX_ROUTE_INT + 1))


def test_an_existing_id_still_routes(client, make_organizer, make_event, login_as):
    owner = make_organizer()
    event = make_event(owner)
    login_as(owner)
    assert client.get(f"/manage/events/{event.id}").status_code == 200
