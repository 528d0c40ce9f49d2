"""Crawl every rule of app.url_map: each HTML response carries the security headers, and each
/manage route turns away anonymous visitors (to sign in) and foreign organizers (404).

CSRF is off in these tests (the shared test config), so a POST that is refused here is
refused by the access check itself, not by a missing token.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.datastructures import Headers
from werkzeug.routing import Rule

from tests.audit.conftest import (
    OWNED_VARIABLES,
    SHARED_VARIABLES,
    World,
    manage_rules,
    methods,
    sign_in,
    sorted_rules,
)
from tests.core.support import snapshot

REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
# A POST that would change something if the access check were missing.
FORM = {
    "title": "Changed by someone else",
    "summary": "Changed",
    "description": "Changed",
    "timezone": "Europe/London",
    "starts_local": "2030-01-10T18:00",
    "ends_local": "2030-01-10T20:00",
    "format": "in_person",
    "venue": "Elsewhere",
    "city": "York",
    "name": "Someone Else",
    "email": "someone.else@example.org",
    "subject": "Hello",
    "body": "Changed",
    "myth": "A myth",
    "fact": "A fact",
    "confirm": "y",
    "checked_in": "y",
}


def csp_directives(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


# The one page made to be framed by partner sites (issue 18): its frame-ancestors is the
# allow-list or *, and tests/embed checks it; every other page must refuse frames.
FRAMABLE_PATHS = frozenset({"/embed/events"})


def header_problems(headers: Headers, path: str = "") -> list[str]:
    """What is missing or too weak in an HTML response's security headers."""
    get = headers.get
    problems = []
    csp = csp_directives(get("Content-Security-Policy", ""))
    if not csp:
        return ["no Content-Security-Policy"]
    script_src = csp.get("script-src", csp.get("default-src"))
    if script_src is None:
        problems.append("CSP has neither script-src nor default-src")
    elif "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"CSP script-src allows inline or eval: {script_src}")
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        if directive == "frame-ancestors" and path in FRAMABLE_PATHS and csp.get(directive):
            continue
        if csp.get(directive) != ["'none'"]:
            problems.append(f"CSP {directive} is {csp.get(directive)}, not 'none'")
    if get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {get('Referrer-Policy')!r}")
    return problems


@pytest.mark.parametrize("role", ["anonymous", "owner", "admin"])
def test_every_html_response_has_the_security_headers(app: Flask, world: World, role: str) -> None:
    client = app.test_client()
    sign_in(client, getattr(world, role, None))
    requests = [("GET", world.path(r)) for r in sorted_rules(app) if "GET" in methods(r)]
    requests += [("GET", "/no-such-page"), ("POST", "/events"), ("GET", "/assets/nope.css")]
    problems, html_pages = [], 0
    for method, path in requests:
        response = client.open(path, method=method)
        where = f"{role} {method} {path} -> {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"{where}: server error")
        if response.mimetype == "text/html":
            html_pages += 1
            problems += [f"{where}: {p}" for p in header_problems(response.headers, path)]
        elif response.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{where} ({response.mimetype}): no X-Content-Type-Options: nosniff")
        response.close()
    assert not problems, "\n".join(problems)
    assert html_pages >= 10, f"only {html_pages} HTML pages crawled as {role}"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_manage_route_sends_anonymous_visitors_to_sign_in(
    app: Flask, world: World, method: str
) -> None:
    client = app.test_client()
    rules = [r for r in manage_rules(app) if method in methods(r)]
    assert len(rules) >= 8, [r.rule for r in rules]
    before = snapshot()
    problems = []
    for rule in rules:
        path = world.path(rule)
        response = client.open(path, method=method, data=FORM if method == "POST" else None)
        where = f"anonymous {method} {path} ({rule.endpoint})"
        location = urlsplit(response.headers.get("Location", ""))
        if response.status_code != 302 or location.path != "/manage/login":
            problems.append(f"{where}: {response.status_code} {location.path!r}")
        elif snapshot() != before:
            problems.append(f"{where} changed the database")
            before = snapshot()
    assert not problems, "\n".join(problems)


def _owned_variables(rule: Rule) -> set[str]:
    names = set(rule.arguments)
    unknown = {n for n in names if n.endswith("_id")} - OWNED_VARIABLES - SHARED_VARIABLES
    if unknown:
        pytest.fail(
            f"route {rule.rule} ({rule.endpoint}) has {sorted(unknown)}: say in "
            "tests/audit/conftest.py whether it names something an organizer owns "
            "(OWNED_VARIABLES) or campaign-wide content (SHARED_VARIABLES)"
        )
    return names & OWNED_VARIABLES


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_manage_route_hides_an_organizers_objects_from_another(
    app: Flask, world: World, method: str
) -> None:
    """The stranger owns nothing: every route naming the owner's objects answers 404, and no
    other /manage page shows the owner's event or registrant."""
    client = app.test_client()
    sign_in(client, world.stranger)
    object_rules = [r for r in manage_rules(app) if method in methods(r) and _owned_variables(r)]
    assert len(object_rules) >= 5, [r.rule for r in object_rules]
    before = snapshot()
    problems = []
    for rule in object_rules:
        path = world.path(rule)
        response = client.open(path, method=method, data=FORM if method == "POST" else None)
        where = f"stranger {method} {path} ({rule.endpoint})"
        body = response.get_data(as_text=True)
        if response.status_code != 404:
            problems.append(f"{where}: {response.status_code}, not 404")
        problems += [f"{where}: shows {s!r}" for s in world.private if s in body]
        if snapshot() != before:
            problems.append(f"{where} changed the database")
            before = snapshot()
    if method == "GET":
        for rule in manage_rules(app):
            if rule.arguments or "GET" not in methods(rule):
                continue
            response = client.get(rule.rule)
            body = response.get_data(as_text=True)
            where = f"stranger GET {rule.rule} -> {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{where}: server error")
            problems += [f"{where}: shows {s!r}" for s in world.private if s in body]
    assert not problems, "\n".join(problems)


def test_an_unknown_url_variable_fails_the_walk_clearly(app: Flask, world: World) -> None:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "events.detail")
    odd = type(rule)("/audit/<widget>", endpoint="events.detail")
    with pytest.raises(pytest.fail.Exception, match=r"<widget>.*tests/audit/conftest.py"):
        world.path(odd)
