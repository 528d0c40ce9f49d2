"""/cards/<key>.png: content-addressed, immutable, cached on disk, rendered once, no cookies."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from campaign.cardrender import MAX_PNG_BYTES
from campaign.extensions import db
from campaign.graphics import serving
from campaign.graphics.models import CardRender
from campaign.graphics.services import cardspecs, refs, registry
from campaign.graphics.storage import CardStore

from .conftest import png_size

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def event_key(app, make_organizer, make_event):
    """The key of an event's og card, registered as a page would."""
    event = make_event(make_organizer(), title="Community talk")
    ref = refs.card_ref(cardspecs.event_spec(event), "og", event.slug)
    db.session.commit()
    return ref.key


def test_a_card_is_served_with_immutable_caching_headers(app, client, event_key):
    response = client.get(f"/cards/{event_key}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["ETag"] == f'"{event_key}"'
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    assert len(body) <= MAX_PNG_BYTES
    assert png_size(body) == (1200, 630)
    stored = Path(app.instance_path) / "cards" / f"{event_key}.png"
    assert stored.read_bytes() == body
    assert not list(stored.parent.glob(".*.tmp")), "temporary files are renamed into place"


@pytest.mark.parametrize("header", ['"{key}"', 'W/"{key}"', '"other", "{key}"', "*"])
def test_if_none_match_gives_304(client, event_key, header):
    client.get(f"/cards/{event_key}.png")
    response = client.get(
        f"/cards/{event_key}.png", headers={"If-None-Match": header.format(key=event_key)}
    )
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == f'"{event_key}"'
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_another_etag_gets_the_image(client, event_key):
    response = client.get(f"/cards/{event_key}.png", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.get_data()


def test_head_has_the_headers_and_no_body(client, event_key):
    full = client.get(f"/cards/{event_key}.png")
    head = client.head(f"/cards/{event_key}.png")
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    assert head.headers["Content-Type"] == "image/png"
    assert head.headers["ETag"] == full.headers["ETag"]


def test_no_cookie_is_set_even_for_a_signed_in_organizer(client, login_as, admin, event_key):
    login_as(admin)
    page = client.get("/manage/")
    assert page.headers.getlist("Set-Cookie"), "a signed-in page refreshes the session cookie"
    response = client.get(f"/cards/{event_key}.png")
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    assert "cookie" not in response.headers.get("Vary", "").lower()
    missing = client.get("/cards/" + "0" * 32 + ".png")
    assert missing.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize(
    "key", ["0" * 32, "f" * 31, "F" * 32, "not-a-key", "../../etc/passwd", "a" * 64]
)
def test_unknown_or_malformed_keys_are_404(client, campaign, key):
    response = client.get(f"/cards/{key}.png")
    assert response.status_code == 404
    if "/" not in key:  # a slash does not even reach the card route
        assert response.mimetype == "text/plain"


def test_a_key_is_rendered_once_when_many_ask_at_once(app, event_key, monkeypatch):
    calls: list[str] = []
    real = cardspecs.render_png

    def slow_render(spec, preset):
        calls.append(preset)
        time.sleep(0.3)  # long enough for every thread to arrive while rendering
        return real(spec, preset)

    monkeypatch.setattr(serving, "render_png", slow_render)  # served_card looks it up there
    results: list[bytes] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def fetch() -> None:
        try:
            with app.app_context():  # like a separate worker: its own context and session
                client = app.test_client()
                start.wait()
                response = client.get(f"/cards/{event_key}.png")
                assert response.status_code == 200
                results.append(response.get_data())
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == 8
    assert len(set(results)) == 1
    assert calls == ["og"], "rendered exactly once"
    # And never again once it is on disk.
    assert app.test_client().get(f"/cards/{event_key}.png").status_code == 200
    assert calls == ["og"]


def test_the_store_renders_once_across_threads_and_writes_atomically(tmp_path):
    store = CardStore(tmp_path / "cards")
    key = "ab" * 16
    calls = []

    def render() -> bytes:
        calls.append(1)
        time.sleep(0.2)
        return b"\x89PNG fake"

    barrier = threading.Barrier(6)
    out: list[bytes] = []

    def worker() -> None:
        barrier.wait()
        out.append(store.get_or_render(key, render))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert calls == [1]
    assert out == [b"\x89PNG fake"] * 6
    assert sorted(p.name for p in (tmp_path / "cards").iterdir()) == [".locks", f"{key}.png"]


def test_a_failed_render_leaves_no_file(tmp_path):
    store = CardStore(tmp_path / "cards")
    key = "cd" * 16

    def broken() -> bytes:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.get_or_render(key, broken)
    assert store.read(key) is None
    assert store.get_or_render(key, lambda: b"ok") == b"ok"


def test_old_keys_keep_working_and_pages_point_at_the_current_one(
    app, client, make_organizer, make_event
):
    event = make_event(make_organizer(), title="Before the change")
    first = client.get(f"/events/{event.slug}").get_data(as_text=True)
    old = refs.event_refs(event)["og"].key
    assert f"/cards/{old}.png" in first
    event.title = "After the change"
    db.session.commit()
    second = client.get(f"/events/{event.slug}").get_data(as_text=True)
    new = refs.event_refs(event)["og"].key
    assert new != old
    assert f"/cards/{new}.png" in second and f"/cards/{old}.png" not in second
    # A link preview cached elsewhere still finds the old picture.
    assert client.get(f"/cards/{old}.png").status_code == 200


# --- Stored public cards are answered before the request cycle (campaign/graphics/serving.py)


def _view_must_not_run(app, monkeypatch):
    def fail(key: str):  # type: ignore[no-untyped-def]
        raise AssertionError("the Flask view ran for a stored public card")

    monkeypatch.setitem(app.view_functions, "graphics.card", fail)


def test_a_stored_public_card_skips_the_request_cycle(app, client, event_key, monkeypatch):
    first = client.get(f"/cards/{event_key}.png")  # rendered and stored by the view
    page = client.get("/events")
    _view_must_not_run(app, monkeypatch)
    again = client.get(f"/cards/{event_key}.png")
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert again.headers.getlist("Set-Cookie") == []
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Permissions-Policy",
    ):
        assert again.headers[name] == page.headers[name], name
    for name in ("Cache-Control", "ETag", "Content-Type", "Content-Length"):
        assert again.headers[name] == first.headers[name], name
    assert again.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    head = client.head(f"/cards/{event_key}.png")
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == first.headers["Content-Length"]
    cached = client.get(f"/cards/{event_key}.png", headers={"If-None-Match": f'"{event_key}"'})
    assert cached.status_code == 304 and cached.get_data() == b""


def test_a_key_no_longer_known_is_404_even_with_its_file_left(app, client, event_key):
    assert client.get(f"/cards/{event_key}.png").status_code == 200
    db.session.execute(db.delete(CardRender).where(CardRender.key == event_key))
    db.session.commit()
    assert registry.card_store().path(event_key).exists()
    assert client.get(f"/cards/{event_key}.png").status_code == 404


def test_a_database_error_leaves_the_answer_to_the_view(app, client, event_key, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from campaign.graphics.serving import StoredCards

    first = client.get(f"/cards/{event_key}.png")

    class DownEngine:
        def connect(self):  # type: ignore[no-untyped-def]
            raise OperationalError("SELECT", {}, Exception("database is down"))

    monkeypatch.setattr(StoredCards, "_engine_for_app", lambda self: DownEngine())
    response = client.get(f"/cards/{event_key}.png")
    assert response.status_code == 200
    assert response.get_data() == first.get_data()


def test_other_methods_and_paths_go_to_the_app(client, event_key):
    client.get(f"/cards/{event_key}.png")
    assert client.post(f"/cards/{event_key}.png").status_code in (400, 405)
    assert client.get(f"/cards/{event_key}.png/x").status_code == 404
    assert client.get(f"/cards/{event_key.upper()}.png").status_code == 404


# --- The key registry outside requests (mail rendering) -----------------------------------------


def test_a_transaction_registers_each_key_once_and_a_rollback_forgets(
    app, make_organizer, make_event
):
    from sqlalchemy import event as sa_event

    event = make_event(make_organizer(), title="Community talk")
    db.session.commit()
    inserts: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO CARD_RENDERS"):
            inserts.append(statement)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        urls = {refs.event_card_url(event) for _ in range(5)}
        assert len(urls) == 1 and len(inserts) == 1, "one insert for a batch of mails"
        key = urls.pop().rsplit("/", 1)[1].removesuffix(".png")
        db.session.rollback()
        assert db.session.get(CardRender, key) is None
        refs.event_card_url(event)  # a new transaction registers it again
        db.session.commit()
        assert len(inserts) == 2
        assert db.session.get(CardRender, key) is not None
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
