"""Helpers shared by the core and organizer tests: config overrides, sign-in with a CSRF
token, database snapshots and URLs built from the URL map."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from campaign.extensions import db
from tests.conftest import PASSWORD, csrf_token

# A request is ignored by the walks when it is one of these (public by design).
PUBLIC_MANAGE_RULES = ("/manage/login", "/manage/invite/<token>")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def with_config(**overrides: Any) -> pytest.MarkDecorator:
    """Run a test with app_config updated by overrides (see the conftest's app_config)."""
    return pytest.mark.parametrize(
        "app_config", [overrides], indirect=True, ids=["+".join(sorted(overrides))]
    )


def csrf_login(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    """Sign in through the login form with the CSRF token taken from the page."""
    html = client.get("/manage/login", **kwargs).get_data(as_text=True)
    data = {"email": email, "password": password}
    if 'name="csrf_token"' in html:
        data["csrf_token"] = csrf_token(html)
    base = kwargs.get("base_url", "http://localhost")
    headers = {"Referer": f"{base}/manage/login", **kwargs.pop("headers", {})}
    return client.post("/manage/login", data=data, headers=headers, **kwargs)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every committed row of every table, for before/after comparisons."""
    db.session.rollback()
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order))]
    db.session.rollback()
    return rows


_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_path(rule: Rule, value_for: Callable[[str, Rule], object]) -> str:
    """The rule's path with every <variable> replaced by value_for(name, rule)."""
    return _VARIABLE.sub(lambda m: str(value_for(m.group(1), rule)), rule.rule)


def manage_rules(app: Flask) -> list[Rule]:
    """Every /manage rule except the public sign-in and invitation pages, in a stable order."""
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/manage") and r.rule not in PUBLIC_MANAGE_RULES
    ]
    return sorted(rules, key=lambda r: r.rule)


def methods(rule: Rule) -> list[str]:
    """The methods a rule answers, without HEAD and OPTIONS."""
    return sorted((rule.methods or set()) - IGNORED_METHODS)


def id_values(known: Mapping[str, object]) -> Callable[[str, Rule], object]:
    """value_for for build_path: known values, then 1 for any *_id, else fail clearly."""

    def value_for(name: str, rule: Rule) -> object:
        if name in known:
            return known[name]
        if name.endswith("_id"):
            return 1
        pytest.fail(
            f"route {rule.rule} ({rule.endpoint}) has a URL variable <{name}> the access "
            f"tests do not know how to fill; add it to the test's mapping (has {sorted(known)})"
        )

    return value_for
