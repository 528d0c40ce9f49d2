"""Property-based fuzzing of every form: hostile values never get a 5xx, on SQLite and on
PostgreSQL, sent by an anonymous visitor, by the organizer who owns the event, and by an
admin.

Every POST rule of app.url_map is fuzzed. Its fields are read from the forms on the GET
pages that the same visitor can see (a POST rule with no form on any of them, such as a
script's endpoint, gets every field name seen anywhere). Each example starts from the
form's own values and replaces some of them with random text: control characters, NUL,
lone surrogates (sent as the invalid UTF-8 a hostile client can send), very long strings,
unicode; it may also drop fields and repeat keys. A form with a file field is sent as
multipart/form-data with real, truncated, garbage and decompression-bomb images.

CSRF is off for the fuzz (the shared test config): with it on, every example would stop at
the token check and none would reach the code under test.

PostgreSQL: other suites share the `test` database at the same time, so this module creates
its own scratch database (audit_<random>), lets the app fixture create the tables there, and
drops it at the end.
"""

from __future__ import annotations

import functools
import io
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from psycopg import sql

from campaign.organizers.models import Organizer
from tests.audit.conftest import (
    PUBLIC_MANAGE_ENDPOINTS,
    World,
    build_world,
    methods,
    sign_in,
    sorted_rules,
)
from tests.conftest import require_postgres

# Examples per POST route, per visitor, per database. About 35 routes x 3 visitors x 2
# databases: 8 examples each keep the module at about two minutes on CI's machine.
EXAMPLES = int(os.environ.get("AUDIT_FUZZ_EXAMPLES", "8"))
ROLES = ["anonymous", "owner", "admin"]

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202eevil",
    "\r\nBcc: victim@example.org",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "\\",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "e\u0301",
    "\ufeff",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "NaN",
    "2030-02-30T25:61",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "Europe/Nowhere",
    "../../etc/passwd",
    "y",
    "on",
]
any_char = st.characters(codec=None, categories=None)
controls = st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp"])
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(any_char, max_size=80),
    st.text(controls, max_size=20),
    st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["x", "é", "\x00", "\u202e", "𝔘", "<", '"', "\ud800", "9"]),
        st.integers(300, 20_000),
    ),
)


# --- the form fields, read from the pages ----------------------------------------------------


@dataclass
class Form:
    """One <form method="post">: where it posts and its fields with their default values."""

    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # <input type=file> names (multipart)


class FormParser(HTMLParser):
    """The post forms of a page, with each field's name and the value it would submit."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            action = urlsplit(a.get("action") or self.page_path).path or self.page_path
            self._form = Form(action)
            self.forms.append(self._form)
        elif self._form is None or ("name" not in a and tag != "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "file":
                self._form.files.append(a["name"])
                return
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind == "radio" and any(n == a["name"] for n, _ in self._form.fields):
                return  # one value per radio group
            # Check boxes are sent ticked; the fuzz drops some of them anyway.
            default = "on" if kind in ("checkbox", "radio") else ""
            self._form.fields.append((a["name"], a.get("value", default)))
        elif tag == "button" and a.get("value"):
            self._form.fields.append((a["name"], a["value"]))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []
        elif tag == "select":
            self._select, self._first_option, self._selected = a["name"], None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a and not self._selected:
                self._form.fields.append((self._select, value))
                self._selected = True

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._selected:
                self._form.fields.append((self._select, self._first_option or ""))
            self._select = None


def discover_forms(app: Flask, client: FlaskClient, world: World) -> dict[str, Form]:
    """The post forms on every GET page this client can open, by the path they post to."""
    forms: dict[str, Form] = {}
    for rule in sorted_rules(app):
        if "GET" not in methods(rule) or rule.endpoint == "static":
            continue
        path = world.path(rule)
        response = client.get(path)
        if response.mimetype != "text/html":
            continue
        parser = FormParser(path)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            known = forms.setdefault(form.action, Form(form.action))
            known.fields += [f for f in form.fields if f not in known.fields]
            known.files += [f for f in form.files if f not in known.files]
    return forms


# --- sending hostile bodies ------------------------------------------------------------------


def raw(text: str) -> bytes:
    """UTF-8, with lone surrogates as the (invalid) bytes a hostile client can send."""
    return text.encode("utf-8", "surrogatepass")


def encode(pairs: list[tuple[str, str]]) -> bytes:
    """An application/x-www-form-urlencoded body."""
    return "&".join(f"{quote(raw(k), safe='')}={quote(raw(v), safe='')}" for k, v in pairs).encode(
        "ascii"
    )


Upload = tuple[str, str, bytes]  # field name, file name, content


def encode_multipart(pairs: list[tuple[str, str]], uploads: list[Upload]) -> tuple[bytes, str]:
    """A multipart/form-data body (written by hand, so names may hold any bytes)."""
    boundary = "audit" + secrets.token_hex(12)
    parts = []
    for name, value in pairs:
        head = b'Content-Disposition: form-data; name="' + raw(name) + b'"'
        parts.append(head + b"\r\n\r\n" + raw(value))
    for name, filename, content in uploads:
        head = (
            b'Content-Disposition: form-data; name="'
            + raw(name)
            + b'"; filename="'
            + raw(filename)
            + b'"\r\nContent-Type: application/octet-stream'
        )
        parts.append(head + b"\r\n\r\n" + content)
    delimiter = b"--" + boundary.encode()
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    return body + delimiter + b"--\r\n", f"multipart/form-data; boundary={boundary}"


@functools.cache
def sample_files() -> list[bytes]:
    """Real, broken and oversized images for upload fields."""

    def image(mode: str, size: tuple[int, int], kind: str = "PNG") -> bytes:
        out = io.BytesIO()
        Image.new(mode, size).save(out, kind)
        return out.getvalue()

    png = image("RGB", (8, 8))
    return [
        png,
        image("RGB", (8, 8), "JPEG"),
        image("RGBA", (300, 120), "WEBP"),
        png[: len(png) // 2],  # truncated
        png[:16] + bytes(range(256)) * 4,  # a PNG header on garbage
        image("1", (6000, 6000)),  # 36 megapixels
        image("1", (14000, 14000)),  # 196 megapixels: a decompression bomb
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"GIF89a" + b"\x00" * 64,
        b"",
    ]


@st.composite
def uploads(draw: st.DrawFn, names: list[str]) -> list[Upload]:
    """Zero or more files for the form's file fields."""
    content = st.one_of(st.sampled_from(sample_files()), st.binary(max_size=4096))
    filename = st.one_of(st.sampled_from(["logo.png", "x.jpg", "../../x.png", ""]), hostile_text)
    one = st.tuples(st.sampled_from(names), filename, content)
    return draw(st.lists(one, max_size=2))


@st.composite
def hostile_body(draw: st.DrawFn, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The form's own values with some replaced, dropped or repeated, plus stray keys."""
    names = sorted({n for n, _ in fields})
    pairs = []
    for name, value in fields:
        choice = draw(st.sampled_from(["keep", "keep", "replace", "drop"]))
        if choice == "keep":
            pairs.append((name, value))
        elif choice == "replace":
            pairs.append((name, draw(hostile_text)))
    if names:
        extra = st.tuples(st.sampled_from(names), hostile_text)
        pairs += draw(st.lists(extra, max_size=3))  # repeated keys
    pairs += draw(st.lists(st.tuples(hostile_text, hostile_text), max_size=1))
    return draw(st.permutations(pairs))


# --- the databases ---------------------------------------------------------------------------


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database of this module's own, dropped afterwards."""
    base = require_postgres()  # skips outside CI when no server answers
    base = base.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"audit_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(base)._replace(path="/" + name))
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """This module's database, whatever TEST_DATABASE_URL says: a SQLite file, then a
    scratch PostgreSQL database (the shared app fixture creates the tables in it)."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.sqlite3")
        return
    with scratch_postgres() as url:
        yield url


# --- the test --------------------------------------------------------------------------------


def fuzz_route(
    client: FlaskClient,
    path: str,
    form: Form,
    after: Callable[[], None] = lambda: None,
    statuses: Counter[int] | None = None,
) -> None:
    """Post hostile bodies built from the form to path; fail on any 5xx."""
    files = uploads(form.files) if form.files else st.just([])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )
    @given(hostile_body(form.fields), files)
    def post(pairs: list[tuple[str, str]], sent: list[Upload]) -> None:
        if form.files:
            body, content_type = encode_multipart(pairs, sent)
        else:
            body, content_type = encode(pairs), "application/x-www-form-urlencoded"
        try:
            response = client.post(path, data=body, content_type=content_type)
            if statuses is not None:
                statuses[response.status_code] += 1
            assert response.status_code < 500, f"HTTP {response.status_code}"
        finally:
            after()

    post()


# Werkzeug 3.1 drops (without closing) the uploads it has already buffered when a multipart
# body turns out malformed part-way through; the request still gets its 400, and CPython
# frees the in-memory buffer at once, but the ResourceWarning would fail the test.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function SpooledTemporaryFile.__del__"
    ":pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("role", ROLES)
def test_no_form_answers_hostile_input_with_a_server_error(
    app: Flask, make_organizer: Callable[..., Organizer], database_url: str, role: str
) -> None:
    world = build_world(app, make_organizer)
    account = getattr(world, role, None)
    client = app.test_client()
    sign_in(client, account)
    forms = discover_forms(app, client, world)
    # For a POST rule that no page has a form for (a script's endpoint, a button that is
    # not shown in this state): every field seen anywhere.
    every_field = Form("*", sorted({f for form in forms.values() for f in form.fields}))
    rules = [r for r in sorted_rules(app) if "POST" in methods(r)]
    assert len(rules) >= 15, [r.rule for r in rules]
    if account is None:  # anonymous: /manage only answers "sign in" (test_route_crawl.py)
        rules = [
            r
            for r in rules
            if not r.rule.startswith("/manage") or r.endpoint in PUBLIC_MANAGE_ENDPOINTS
        ]

    def stay_signed_in() -> None:
        if account is not None and client.get("/manage/").status_code != 200:
            sign_in(client, account)

    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for rule in rules:
        path = world.path(rule)
        form = forms.get(path) or every_field
        after = stay_signed_in if rule.endpoint == "organizers.logout" else (lambda: None)
        try:
            fuzz_route(client, path, form, after, statuses)
        except Exception as exc:
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"POST {path} ({rule.endpoint}) as {role}: {exc!r}\n{notes}")
    print(f"{role}: {len(rules)} routes, answers {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    # Some bodies must get past validation, or the fuzz only ever tested the form checks.
    accepted = sum(n for status, n in statuses.items() if status < 400)
    assert accepted >= len(rules), f"only {accepted} of {statuses.total()} bodies accepted"


def test_the_fuzz_finds_a_planted_server_error() -> None:
    """The machinery works: a route that fails on anything but its form's own values."""
    planted = Flask(__name__)

    @planted.post("/form")
    def form() -> tuple[str, int]:
        broken = sorted(request.form.items(multi=True)) != [("email", ""), ("name", "S")]
        return ("broken", 500) if broken else ("fine", 200)

    with pytest.raises(AssertionError, match="HTTP 500"):
        fuzz_route(planted.test_client(), "/form", Form("/form", [("name", "S"), ("email", "")]))
