"""The public forms other than sign-up (send the mail again, contact the host, propose an
event, ask for host links again) keep no session either: no public page sets a cookie,
a POST needs none, and the one-time form token and the browser's word on where the POST
came from stand in for the CSRF cookie, with a one-click second step for a person."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from campaign.core.timeutil import utcnow
from campaign.extensions import db
from campaign.hosting.models import HostProposal
from campaign.mail.models import OutboxMessage
from campaign.signups import guard
from tests.core.support import with_config
from tests.hosting.conftest import proposal_form

OTHER_SITE = "https://elsewhere.example"


def _count(model: Any) -> int:
    db.session.rollback()
    return int(db.session.scalar(db.select(db.func.count()).select_from(model)) or 0)


@with_config(WTF_CSRF_ENABLED=True)
def test_no_public_page_sets_a_cookie(app: Flask, make_organizer: Any, make_event: Any) -> None:
    """Every public page a link can lead to (all but /manage and the private links),
    fetched as a first-time visitor, answers without a Set-Cookie."""
    event = make_event(make_organizer())
    client = app.test_client(use_cookies=False)
    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/manage"):
            continue
        if set(rule.arguments) - {"slug"}:
            continue  # a private link, a card key, a file: pages of their own tests
        path = rule.rule.replace("<slug>", event.slug)
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, f"{path} set a cookie"
        checked.append(path)
    for path in (
        f"/events/{event.slug}/registered",
        f"/events/{event.slug}/contact",
        "/host",
        "/host/resend",
    ):
        assert path in checked  # a renamed route must not drop out of this check


@dataclass(frozen=True)
class PublicForm:
    """One public form: where it posts, its token's slot, its fields, the answer to a
    POST that did what the form is for, and the words of its second step."""

    name: str
    path: str
    slot: str
    fields: dict[str, str]
    done: int  # the status of that answer
    done_mark: str  # in its Location (a redirect) or its page
    notice: str
    mails: bool = True  # whether doing it queues mail (asking for links nobody has does not)

    def post_data(self, started: str) -> dict[str, str]:
        return {**self.fields, "website": "", "started": started}

    def passed(self, response: Any) -> bool:
        where = response.headers.get("Location", "") or response.get_data(as_text=True)
        return response.status_code == self.done and self.done_mark in where


def _forms(slug: str) -> list[PublicForm]:
    host = {k: str(v) for k, v in proposal_form().items() if k not in ("started", "website")}
    return [
        PublicForm(
            "resend",
            f"/events/{slug}/registered/resend",
            "resend:" + slug,
            {"email": "sam@example.org"},
            303,
            "sent=1",
            "press <strong>Send the mail again</strong>",
        ),
        PublicForm(
            "contact",
            f"/events/{slug}/contact",
            "contact:" + slug,
            {"name": "Sam Jones", "email": "sam@example.org", "message": "Step-free access?"},
            303,
            "sent=1",
            "press <strong>Send message</strong>",
        ),
        PublicForm(
            "propose", "/host", "host:proposal", host, 303, "/host/sent", "Confirm your proposal"
        ),
        PublicForm(
            "host-resend",
            "/host/resend",
            "host:resend",
            {"email": "ana.host@example.org"},
            200,
            "Check your inbox",
            "press <strong>Email my link</strong>",
            mails=False,
        ),
    ]


FORM_NAMES = ["resend", "contact", "propose", "host-resend"]


def _effects() -> tuple[int, int]:
    """What the forms cause: mail queued, proposals stored."""
    return _count(OutboxMessage), _count(HostProposal)


@pytest.fixture
def public_form(
    request: pytest.FixtureRequest, make_organizer: Any, make_event: Any, register: Any
) -> Any:
    """The form named by the test's parameter, for a published event whose host takes
    messages, with a registration whose mail may be sent again (it is 11 minutes old)."""
    event = make_event(make_organizer())
    register(event, "Sam", "sam@example.org", now=utcnow() - timedelta(minutes=11))
    return {f.name: f for f in _forms(event.slug)}[request.param]


def _did(form: PublicForm, response: Any, before: tuple[int, int]) -> bool:
    """Whether the POST did what the form is for: its answer, and its mail or proposal."""
    return form.passed(response) and (_effects() != before or not form.mails)


def _aged_token(form: PublicForm, seconds: float = 60) -> str:
    return guard.form_token(guard.form_keys(), form.slot, now=time.time() - seconds)


def _answer_token(html: str) -> str:
    match = re.search(r'name="started" type="hidden" value="([^"]+)"', html)
    assert match, "the answer carries no fresh form token"
    return match.group(1)


@pytest.mark.parametrize("public_form", FORM_NAMES, indirect=True)
@with_config(WTF_CSRF_ENABLED=True, SIGNUP_MIN_SECONDS=3)
def test_a_post_without_any_session_does_what_the_form_is_for(
    app: Flask, public_form: PublicForm
) -> None:
    client = app.test_client(use_cookies=False)
    before = _effects()
    response = client.post(public_form.path, data=public_form.post_data(_aged_token(public_form)))
    assert _did(public_form, response, before)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("public_form", FORM_NAMES, indirect=True)
@pytest.mark.parametrize(
    "headers",
    [{"Origin": OTHER_SITE}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["origin", "null-origin", "fetch-site"],
)
@with_config(WTF_CSRF_ENABLED=True)
def test_a_post_from_another_site_changes_nothing_and_one_click_passes(
    app: Flask, public_form: PublicForm, headers: dict[str, str]
) -> None:
    client = app.test_client(use_cookies=False)
    before = _effects()
    data = public_form.post_data(_aged_token(public_form))
    refused = client.post(public_form.path, data=data, headers=headers)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert public_form.notice in html
    assert _effects() == before
    # What was typed is kept, and the second step's own token passes at once.
    confirmed = client.post(
        public_form.path,
        data={**data, "started": _answer_token(html)},
        headers={"Origin": "https://campaign.example.org", "Sec-Fetch-Site": "same-origin"},
    )
    assert _did(public_form, confirmed, before)


@pytest.mark.parametrize("public_form", FORM_NAMES, indirect=True)
@pytest.mark.parametrize("token", ["", "forged", "too-fast", "other-form"])
@with_config(SIGNUP_MIN_SECONDS=3)
def test_an_automatic_looking_post_gets_a_second_step_not_a_loss(
    app: Flask, public_form: PublicForm, token: str
) -> None:
    started = {
        "": "",
        "forged": _aged_token(public_form)[:-3] + "abc",
        "too-fast": _aged_token(public_form, seconds=0),
        "other-form": guard.form_token(guard.form_keys(), "another-event", now=time.time() - 60),
    }[token]
    client = app.test_client(use_cookies=False)
    before = _effects()
    answer = client.post(public_form.path, data=public_form.post_data(started))
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert public_form.notice in html
    assert _effects() == before
    again = client.post(public_form.path, data=public_form.post_data(_answer_token(html)))
    assert _did(public_form, again, before)


@pytest.mark.parametrize("public_form", FORM_NAMES, indirect=True)
def test_a_replayed_token_gets_a_second_step(app: Flask, public_form: PublicForm) -> None:
    client = app.test_client(use_cookies=False)
    data = public_form.post_data(_aged_token(public_form))
    before = _effects()
    assert _did(public_form, client.post(public_form.path, data=data), before)
    after_first = _effects()
    replay = client.post(public_form.path, data=data)
    assert replay.status_code == 200
    assert public_form.notice in replay.get_data(as_text=True)
    assert _effects() == after_first


@pytest.mark.parametrize("public_form", FORM_NAMES, indirect=True)
@with_config(SIGNUP_MIN_SECONDS=3)
def test_the_second_step_speaks_the_visitors_language(app: Flask, public_form: PublicForm) -> None:
    client = app.test_client(use_cookies=False)
    answer = client.post(
        public_form.path,
        data=public_form.post_data(_aged_token(public_form, seconds=0)),
        headers={"Accept-Language": "es"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Lo pedimos cuando un formulario llega" in html
    assert "We ask this" not in html
