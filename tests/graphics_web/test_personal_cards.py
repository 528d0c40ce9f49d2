"""A personal "I'm attending" card (with the registrant's first name) is never cached by a
proxy (`private, no-store`), and its key is an HMAC with the server's secret over the
registration and the picture: not derivable from public data plus a guessed name, and
different for two people of the same name. After a key rotation the page points at the
key made with the new secret, which serves; a key made with the old one still serves while
it is a fallback."""

from __future__ import annotations

import pytest
from flask import current_app

from campaign import cardrender as render
from campaign.extensions import db
from campaign.graphics.services import cardspecs, registry
from campaign.graphics.services.cardspecs import attending_spec
from campaign.graphics.services.refs import attending_refs
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token
from tests.support.keys import retired, rotated

from .conftest import card_keys

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def event(make_organizer, make_event):
    return make_event(make_organizer(), title="Walk and Talk")


@pytest.fixture
def make_named(event, register_person):
    """Factory: make_named(name, email) -> (registration, manage token), opted in."""

    def make(name: str, email: str) -> tuple[Registration, str]:
        registration = register_person(event, name, email)
        registry.set_name_on_card(registration, True)
        db.session.commit()
        return registration, manage_token(
            current_app.config["SECRET_KEY"], registration.token_nonce
        )

    return make


def _page_keys(client, token: str) -> list[str]:
    response = client.get(f"/r/{token}")
    assert response.status_code == 200
    return card_keys(response.get_data(as_text=True))


def _named_keys(client, token: str, registration: Registration) -> list[str]:
    """The page's card keys that belong to the personal card (checked by its refs)."""
    db.session.expire_all()
    refs = attending_refs(db.session.get(Registration, registration.id))
    db.session.commit()  # outside a request the keys are registered in our transaction
    keys = [ref.key for ref in refs.values()]
    on_page = _page_keys(client, token)
    assert set(keys) <= set(on_page)
    return keys


def test_a_named_card_is_private_and_never_stored_by_a_proxy(client, anon, make_named):
    registration, token = make_named("Amira Haddad", "amira@example.org")
    keys = _named_keys(client, token, registration)
    for key in keys:
        response = anon.get(f"/cards/{key}.png")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in response.headers
        assert "Set-Cookie" not in response.headers
        assert response.mimetype == "image/png"
    # A conditional request gets the image again, never a 304 a cache could keep.
    again = anon.get(f"/cards/{keys[0]}.png", headers={"If-None-Match": f'"{keys[0]}"'})
    assert again.status_code == 200
    assert again.headers["Cache-Control"] == "private, no-store"


def test_a_card_without_a_name_stays_public(client, anon, event, make_named):
    registration, _token = make_named("Amira Haddad", "amira@example.org")
    registry.set_name_on_card(registration, False)
    db.session.commit()
    db.session.expire_all()
    refs = attending_refs(db.session.get(Registration, registration.id))
    db.session.commit()
    response = anon.get(f"/cards/{refs['og'].key}.png")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_the_key_has_a_secret_in_it(app, app_config, client, make_named):
    registration, token = make_named("Amira Haddad", "amira@example.org")
    spec = attending_spec(registration)
    keys = _named_keys(client, token, registration)
    public_hashes = {render.cache_key(spec, preset) for preset in cardspecs.PRESET_ORDER}
    assert not set(keys) & public_hashes, "the key must not be a hash of public data alone"
    # Read before the other app's context: loading an attribute of this test's (expired)
    # row in there would borrow a connection of the other app's engine.
    registration_id = registration.id
    with rotated(app_config, app) as new_app, new_app.app_context():
        row = db.session.get(Registration, registration_id)
        other = [ref.key for ref in attending_refs(row).values()]
        db.session.rollback()
    assert not set(other) & set(keys), "another secret gives other keys"


def test_two_people_of_the_same_name_have_their_own_cards(client, anon, make_named):
    first, first_token = make_named("Sam Jones", "sam1@example.org")
    second, second_token = make_named("Sam Jones", "sam2@example.org")
    first_keys = _named_keys(client, first_token, first)
    second_keys = _named_keys(client, second_token, second)
    assert not set(first_keys) & set(second_keys)
    # The first withdraws the name: their card is gone, the second's still serves.
    client.post(f"/r/{first_token}/card-name", data={"show": "0"})
    assert anon.get(f"/cards/{first_keys[0]}.png").status_code == 404
    assert anon.get(f"/cards/{second_keys[0]}.png").status_code == 200


def test_a_rotation_does_not_break_the_page(app, app_config, client, make_named):
    registration, token = make_named("Amira Haddad", "amira@example.org")
    old_keys = _named_keys(client, token, registration)
    with rotated(app_config, app) as new_app:
        browser = new_app.test_client()
        page = browser.get(f"/r/{token}")
        assert page.status_code == 200
        new_keys = card_keys(page.get_data(as_text=True))
        assert not set(old_keys) & set(new_keys), "the page points at the current keys"
        named = [k for k in new_keys if browser.get(f"/cards/{k}.png").headers.get(
            "Cache-Control") == "private, no-store"]  # fmt: skip
        assert len(named) == len(old_keys)
        for key in named:
            response = browser.get(f"/cards/{key}.png")
            assert response.status_code == 200 and response.mimetype == "image/png"
        # A key made with the old secret still serves while it is a fallback.
        assert browser.get(f"/cards/{old_keys[0]}.png").status_code == 200
        # Withdrawing the name removes both.
        browser.post(f"/r/{token}/card-name", data={"show": "0"})
        assert browser.get(f"/cards/{named[0]}.png").status_code == 404
        assert browser.get(f"/cards/{old_keys[0]}.png").status_code == 404


def test_a_key_made_with_a_retired_secret_stops(app, app_config, client, make_named):
    registration, token = make_named("Amira Haddad", "amira@example.org")
    old_keys = _named_keys(client, token, registration)
    with retired(app_config, app) as newest:
        browser = newest.test_client()
        assert browser.get(f"/cards/{old_keys[0]}.png").status_code == 404
        keys = card_keys(browser.get(f"/r/{token}").get_data(as_text=True))
        assert all(browser.get(f"/cards/{k}.png").status_code == 200 for k in keys)
