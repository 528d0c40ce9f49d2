"""The outbox: queue a message cheaply, render it later, find what was sent.

enqueue() adds a row with a fixed Message-ID in the caller's transaction (the caller
commits). The deliverer renders it on first pick-up with the renderer its feature
registered for the row's kind. Nothing here talks to a mail server.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import Select, exists, func, insert, select, update

from campaign.core.database import changed_rows
from campaign.extensions import db
from campaign.mail.models import (
    STATUS_CANCELLED,
    STATUS_FAILED,
    STATUS_QUEUED,
    STATUS_SENT,
    OutboxMessage,
)

log = logging.getLogger(__name__)


@dataclass
class Rendered:
    """A message's content: what a renderer returns for one outbox row."""

    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    ics: str | None = None


Renderer = Callable[[OutboxMessage], Rendered]


def new_message_id(domain: str) -> str:
    """A Message-ID no other message has: 128 bits from the OS, never from `random`,
    whose state a library (or a test's seeded generator) may have fixed."""
    return f"<{secrets.token_hex(16)}@{domain}>"


def _mail_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def next_message_id() -> str:
    """A new Message-ID on this site's mail domain, as enqueue() gives each row (for a
    statement that inserts an outbox row itself)."""
    return new_message_id(_mail_domain())


_renderers: dict[str, Renderer] = {}


class CannotRender(Exception):
    """The row can no longer be rendered (its registration or event is gone)."""


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Features declare how their kinds of mail are rendered."""
    _renderers[kind] = renderer


def renderer_for(kind: str) -> Renderer:
    if kind not in _renderers:
        raise CannotRender(f"no renderer for mail kind {kind!r}")
    return _renderers[kind]


_T = TypeVar("_T")
# What the renderers of one batch share (rendering_batch): None outside a batch.
_batch: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("mail_batch", default=None)


@contextmanager
def rendering_batch() -> Iterator[None]:
    """Render the rows of one batch (one transaction, each event loaded once): a part of
    a message that depends only on its event and the language (links, the event's words,
    its calendar file) is worked out once for the batch (shared()), not once per row."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def shared(key: tuple[Any, ...], make: Callable[[], _T]) -> _T:
    """make(), once per key within a rendering_batch(); every call outside one. The key
    names everything the value depends on besides the batch's rows (which do not change
    during it): the event's id, the locale, ..."""
    memo = _batch.get()
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    value: _T = memo[key]
    return value


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) from templates/mail/<template>.txt and .html.

    The text template starts with a 'Subject: ...' line and a blank line. Both see what
    Flask's render_template would give them (the context processors' values), the
    catalog's gettext and ngettext and the HTML helpers (link, button, strong, struck,
    mono: MARKUP_HELPERS): worked out once per language in a rendering_batch().
    """
    values = shared(("template values", str(get_locale())), _template_values)
    context = {**values, **context}
    env = current_app.jinja_env
    text = env.get_template(f"mail/{template}.txt").render(context)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"mail/{template}.txt must start with a Subject: line")
    subject = " ".join(head[len("Subject:") :].split())
    html = env.get_template(f"mail/{template}.html").render({**context, "subject": subject})
    return subject, body.strip() + "\n", html


def _template_values() -> dict[str, Any]:
    """What every mail template sees besides its own context: the app's context
    processors (as render_template adds them), the catalog's callables and the HTML
    helpers."""
    values: dict[str, Any] = {}
    current_app.update_template_context(values)
    return {**values, **catalog_callables(), **MARKUP_HELPERS}


def catalog_callables() -> dict[str, Any]:
    """gettext, `_` and ngettext for the templates (`_()` and {% trans %} look them up in
    the context first), bound to the catalog of the locale being rendered. They answer as the
    ones Flask-Babel installs in Jinja (new-style: escaped under autoescape, always
    %-formatted), which look the catalog up again on every string: a mail has dozens."""
    catalog = get_translations()

    @pass_context
    def gettext(context: Context, string: str, /, **variables: Any) -> str:
        text = catalog.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  # nosec B704  # the catalog, as Jinja trusts it
        return text % variables

    @pass_context
    def ngettext(
        context: Context, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        text = catalog.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  # nosec B704  # the catalog, as Jinja trusts it
        return text % variables

    # `_` too: Jinja's own `_` looks `gettext` up in the context and calls it through a
    # second Context.call, on each of a mail's few dozen sentences.
    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


def enqueue(
    kind: str,
    to_email: str,
    now: datetime,
    *,
    event_id: int | None = None,
    registration_id: int | None = None,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Add a message to the outbox in the caller's transaction; it is rendered on delivery."""
    db.session.connection().execute(
        _INSERT_OUTBOX,
        dict(
            kind=kind,
            event_id=event_id,
            registration_id=registration_id,
            to_email=to_email,
            params=params or {},
            headers={},
            message_id=new_message_id(_mail_domain()),
            dedupe_key=dedupe_key,
            status=STATUS_QUEUED,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        ),
    )


_INSERT_OUTBOX = insert(OutboxMessage)


def enqueue_many(
    kind: str, now: datetime, messages: list[dict[str, Any]], *, withdrawn: str | None = None
) -> int:
    """enqueue() for many messages of one kind, in one executemany; returns how many.

    Each dict has to_email and, as enqueue() takes them, event_id, registration_id,
    params and dedupe_key. `withdrawn` records them as decided against, never to be sent
    (cancelled, with that reason), so that their dedupe keys are taken once and for all.
    """
    if not messages:
        return 0
    domain = _mail_domain()
    rows = [
        dict(
            kind=kind,
            event_id=m.get("event_id"),
            registration_id=m.get("registration_id"),
            to_email=m["to_email"],
            params=m.get("params") or {},
            headers={},
            message_id=new_message_id(domain),
            dedupe_key=m.get("dedupe_key"),
            status=STATUS_QUEUED if withdrawn is None else STATUS_CANCELLED,
            last_error=withdrawn,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for m in messages
    ]
    db.session.connection().execute(_INSERT_OUTBOX, rows)
    return len(rows)


def mailed_recently(event_id: int, to_email: str, now: datetime, window: timedelta) -> bool:
    """True when a message about event_id went (or is going) to to_email within window;
    a withdrawn message was never mailed."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OutboxMessage.event_id == event_id,
                    OutboxMessage.to_email == to_email,
                    OutboxMessage.created_at > now - window,
                    OutboxMessage.status != STATUS_CANCELLED,
                )
            )
        )
    )


def withdraw_queued(reason: str, *conditions: Any) -> int:
    """Withdraw the queued mail matching `conditions` in the caller's transaction, with
    `reason` as its note; returns how many.

    Once this commits, none of it is sent. A message a deliverer already has on its way
    is withdrawn too, and the deliverer records it as sent before the withdrawal. The
    rows are locked in id order (PostgreSQL), the order every deliverer keeps, so the
    two never deadlock; a deliverer's step in progress is waited for.
    """
    ids = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == STATUS_QUEUED, *conditions)
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == STATUS_QUEUED)
        .values(status=STATUS_CANCELLED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return changed_rows(result)


def cancel_queued_for_registration(registration_id: int) -> int:
    """Withdraw queued mail for a registration (cancelled or deleted); returns how many."""
    return withdraw_queued(
        "withdrawn: registration ended", OutboxMessage.registration_id == registration_id
    )


def scrub_for_registration(registration_id: int, placeholder_email: str) -> None:
    """Remove personal data from every stored message of a registration."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id)
        .values(
            to_email=placeholder_email, text_body="", html_body="", ics=None, headers={}, params={}
        )
    )


def outbox_query(
    event_ids: list[int] | None, status: str = "", event_id: int | None = None
) -> Select[tuple[OutboxMessage]]:
    """Outbox rows, newest first; limited to event_ids unless None (admins)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if event_ids is not None:
        query = query.where(OutboxMessage.event_id.in_(event_ids))
    if event_id is not None:
        query = query.where(OutboxMessage.event_id == event_id)
    if status in (STATUS_QUEUED, STATUS_SENT, STATUS_FAILED, STATUS_CANCELLED):
        query = query.where(OutboxMessage.status == status)
    return query


def outbox_counts(event_ids: list[int] | None, event_id: int | None = None) -> dict[str, int]:
    """How many of those rows are queued, sent, failed and cancelled."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if event_ids is not None:
        query = query.where(OutboxMessage.event_id.in_(event_ids))
    if event_id is not None:
        query = query.where(OutboxMessage.event_id == event_id)
    counts = {"queued": 0, "sent": 0, "failed": 0, "cancelled": 0}
    counts.update({status: n for status, n in db.session.execute(query)})
    return counts


def retry_failed(row_ids: list[int], now: datetime) -> int:
    """Queue failed messages again (organizer's retry); returns how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == STATUS_FAILED)
        .values(
            status=STATUS_QUEUED, next_attempt_at=now, attempts=0, claimed_by=None, lease_until=None
        )
        .execution_options(synchronize_session=False)
    )
    return changed_rows(result)


# A registrant's own links in a message (manage page, one-click unsubscribe): whoever
# holds one acts as that person, so organizers reading a message see them hidden.
_PERSONAL_LINK = re.compile(r"(/r/|/u/\d+/)[A-Za-z0-9_-]{8,}")


def hide_personal_links(text: str) -> str:
    """text with every manage and unsubscribe link's secret part replaced."""
    return _PERSONAL_LINK.sub(lambda m: m.group(1) + "[personal link hidden]", text or "")


def draft_of(row: OutboxMessage) -> Rendered | None:
    """What a queued message not yet written would say if written now (None when it
    cannot be rendered). The caller rolls back: rendering may touch the session."""
    try:
        return renderer_for(row.kind)(row)
    except (CannotRender, KeyError):
        return None


# The markup of the HTML mails' links and emphasis, so a translated sentence carries only
# %(name)s. Python rather than Jinja macros: a macro call, and the import of the macros in
# every template, cost more than the rest of a sentence. Markup's % escapes each value
# (unless it is Markup itself), as {{ value }} does under autoescape.
_LINK = Markup('<a href="%s" style="color:#0a5a73;">%s</a>')
_BUTTON = Markup(
    '<a href="%s" style="display:inline-block;background:#0b5563;color:#ffffff;'
    'padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:bold;">%s</a>'
)
_STRONG = Markup("<strong>%s</strong>")
_STRUCK = Markup("<s>%s</s>")
_MONO = Markup('<strong style="font-family:monospace;">%s</strong>')

MARKUP_HELPERS: dict[str, Callable[..., Markup]] = {
    "link": lambda url, text: _LINK % (url, text),
    "button": lambda url, text: _BUTTON % (url, text),
    "strong": lambda text: _STRONG % (text,),
    "struck": lambda text: _STRUCK % (text,),
    "mono": lambda text: _MONO % (text,),
}
