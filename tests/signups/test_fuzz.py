"""Hostile input on every public form never gets a 5xx: random text, control characters,
NUL, lone surrogates (sent as the invalid UTF-8 a hostile client can send), very long values,
duplicated and missing fields. Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.signups.conftest import sign_started, token_of

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

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
    "_",
    "\\",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "e\u0301",
    "\ufeff",
    "sam@example.org",
    "SAM@EXAMPLE.ORG",
    "y",
    "1",
]

# Every kind of code point, surrogates included (category Cs).
any_char = st.characters(codec=None, categories=None)
controls = st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp"])


def _long(unit: str, n: int) -> str:
    return unit * n


hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(any_char, max_size=120),
    st.text(controls, max_size=40),
    st.builds(
        _long,
        st.sampled_from(["x", "é", "\x00", "\u202e", "𝔘", "<", '"', "\ud800"]),
        st.integers(1000, 100_000),
    ),
)


@st.composite
def spliced(draw: st.DrawFn, value: str) -> str:
    """A valid value with hostile text put in at some position."""
    at = draw(st.integers(0, len(value)))
    return (
        value[:at]
        + draw(st.one_of(st.sampled_from(NASTY), st.text(controls, max_size=3)))
        + value[at:]
    )


@st.composite
def form_pairs(draw: st.DrawFn, names: list[str], valid: dict[str, str]) -> list[tuple[str, str]]:
    """A form body: known field names (some missing, some twice) and a few random ones."""
    pairs: list[tuple[str, str]] = []
    for name in names:
        repeat = draw(st.sampled_from([0, 1, 1, 1, 2]))
        for _ in range(repeat):
            choice = draw(st.sampled_from(["valid", "spliced", "hostile"]))
            if name in valid and choice == "valid":
                pairs.append((name, valid[name]))
            elif name in valid and choice == "spliced":
                pairs.append((name, draw(spliced(valid[name]))))
            else:
                pairs.append((name, draw(hostile_text)))
    for _ in range(draw(st.integers(0, 2))):
        pairs.append((draw(st.text(any_char, max_size=20)), draw(hostile_text)))
    return draw(st.permutations(pairs))


def with_examples(valid: dict[str, str], **fixed: object):  # type: ignore[no-untyped-def]
    """Explicit examples that hypothesis always runs: each field in turn holding NUL, a lone
    surrogate, a bidi override or 100,000 characters, the others valid; each field twice;
    and an empty body."""

    def decorate(test):  # type: ignore[no-untyped-def]
        bodies: list[list[tuple[str, str]]] = [[]]
        for name in valid:
            for bad in ("a\x00b", "\x00", "\ud800", "\u202e" + valid[name], "x" * 100_000):
                bodies.append([(k, bad if k == name else v) for k, v in valid.items()])
            bodies.append([*valid.items(), (name, "second value")])
        for body in bodies:
            test = example(pairs=body, **fixed)(test)
        return test

    return decorate


def _body(pairs: list[tuple[str, str]]) -> str:
    """application/x-www-form-urlencoded; lone surrogates become invalid UTF-8 bytes."""
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


def _post(client, path: str, pairs: list[tuple[str, str]]):
    return client.post(path, data=_body(pairs), content_type="application/x-www-form-urlencoded")


def _check(response, what: str) -> None:
    assert 200 <= response.status_code < 500, (
        f"{what}: {response.status_code}\n{response.get_data(as_text=True)[:2000]}"
    )


@pytest.fixture
def event(make_organizer, make_event):
    return make_event(make_organizer(), capacity=3)


def test_the_registration_form_survives_hostile_input(client, event):
    valid = {
        "name": "Sam Jones",
        "email": "sam@example.org",
        "started": sign_started(event),
        "website": "",
        "ref": "",
        "keep_informed": "y",
    }
    names = [*valid, "csrf_token"]

    @SETTINGS
    @given(pairs=form_pairs(names, valid), ref=st.one_of(st.none(), hostile_text))
    @with_examples(valid, ref=None)
    def run(pairs: list[tuple[str, str]], ref: str | None) -> None:
        path = f"/events/{event.slug}/register"
        _check(_post(client, path, pairs), f"POST {path} {pairs!r:.300}")
        query = "" if ref is None else "?ref=" + quote(ref.encode("utf-8", "surrogatepass"))
        _check(client.get(f"/events/{event.slug}{query}"), f"GET event page ref={ref!r:.100}")

    run()


def test_the_manage_page_buttons_survive_hostile_input(client, event, signup):
    assert signup(event, email="holder@example.org").status_code == 303
    token = token_of("holder@example.org")
    token_choices = st.one_of(
        st.just(token),
        st.just(token[:-1] + ("A" if token[-1] != "A" else "B")),
        hostile_text.filter(lambda t: len(t) < 3000),
    )

    @SETTINGS
    @given(
        path_token=token_choices,
        action=st.sampled_from(["cancel", "delete", ""]),
        pairs=form_pairs(["confirm", "csrf_token"], {"confirm": "y"}),
    )
    @example(path_token="\x00", action="cancel", pairs=[])
    @example(path_token="\ud800", action="delete", pairs=[])
    @example(path_token="x" * 2000, action="", pairs=[])
    def run(path_token: str, action: str, pairs: list[tuple[str, str]]) -> None:
        segment = quote(path_token.encode("utf-8", "surrogatepass"), safe="")
        path = f"/r/{segment}" + (f"/{action}" if action else "")
        _check(_post(client, path, pairs), f"POST {path[:200]}")
        _check(client.get(f"/r/{segment}"), f"GET /r/{segment[:200]}")
        _check(client.get(f"/r/{segment}/export.json"), "GET export")

    run()


def test_the_login_form_survives_hostile_input(client, make_organizer):
    organizer = make_organizer(email="owner@example.org")
    valid = {"email": organizer.email, "password": "wrong password, long enough"}

    @SETTINGS
    @given(
        pairs=form_pairs(["email", "password", "csrf_token"], valid),
        next_url=st.one_of(st.none(), hostile_text.filter(lambda t: len(t) < 5000)),
    )
    @with_examples(valid, next_url=None)
    @example(pairs=list(valid.items()), next_url="\x00")
    @example(pairs=list(valid.items()), next_url="//evil.example/\ud800")
    def run(pairs: list[tuple[str, str]], next_url: str | None) -> None:
        path = "/manage/login"
        if next_url is not None:
            path += "?next=" + quote(next_url.encode("utf-8", "surrogatepass"), safe="")
        _check(_post(client, path, pairs), f"POST {path[:200]} {pairs!r:.300}")

    run()
