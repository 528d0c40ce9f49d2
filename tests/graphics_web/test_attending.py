"""The "I'm attending" card: from the stored registration, the first name only after opt-in."""

from __future__ import annotations

import pytest
from flask import current_app

from campaign.extensions import db
from campaign.graphics.models import CardRender
from campaign.graphics.services import refs, registry
from campaign.signups.mails import links_for
from campaign.signups.models import Registration
from campaign.signups.tokens import manage_token

from .conftest import card_keys
from .pages import parse


@pytest.fixture
def event(make_organizer, make_event):
    return make_event(make_organizer(), title="Walk and Talk")


@pytest.fixture
def registration(event, register_person) -> Registration:
    return register_person(event, "Amira Haddad", "amira@example.org")


@pytest.fixture
def token(registration) -> str:
    return manage_token(current_app.config["SECRET_KEY"], registration.token_nonce)


def _card_alt(client, token: str, query: str = "") -> tuple[str, list[str]]:
    html = client.get(f"/r/{token}{query}").get_data(as_text=True)
    (image,) = parse(html).find_all("img", **{"class": "attending-card__image"})
    return image.attrs["alt"], card_keys(html)


def _named_ref(registration_id: int, preset: str) -> refs.CardRef:
    """The registrant's named card in preset, as stored now. Only its key: outside a request
    attending_refs registers keys in the caller's transaction, which is rolled back here, so
    the registry row can only come from the page (and the test holds no write open)."""
    ref = refs.attending_refs(db.session.get(Registration, registration_id))[preset]
    db.session.rollback()
    return ref


def test_the_card_has_no_name_until_the_registrant_opts_in(client, token, registration):
    alt, keys = _card_alt(client, token)
    assert alt.startswith("I’m attending: Walk and Talk")
    assert "Amira" not in alt
    # Text in the URL never reaches the card.
    alt_q, keys_q = _card_alt(client, token, "?name=Mallory&first_name=Mallory")
    assert (alt_q, keys_q) == (alt, keys)

    response = client.post(f"/r/{token}/card-name", data={"show": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#share-card")
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).is_name_on_card is True

    named_alt, named_keys = _card_alt(client, token)
    assert named_alt.startswith("Amira is attending: Walk and Talk")
    assert not set(named_keys) & set(keys), "every preset got a new key"
    alt_q, keys_q = _card_alt(client, token, "?name=Mallory")
    assert "Mallory" not in alt_q and keys_q == named_keys


def test_a_named_card_is_stored_by_reference_and_gone_after_opting_out(
    client, anon, token, registration
):
    client.post(f"/r/{token}/card-name", data={"show": "1"})
    named = _named_ref(registration.id, "og")
    client.get(f"/r/{token}")  # registers the keys
    db.session.expire_all()
    row = db.session.get(CardRender, named.key)
    assert row is not None and row.spec == {"registration_id": registration.id}
    assert "Amira" not in str(row.spec)
    image = anon.get(f"/cards/{named.key}.png")
    assert image.status_code == 200

    client.post(f"/r/{token}/card-name", data={"show": "0"})
    assert anon.get(f"/cards/{named.key}.png").status_code == 404
    assert not (registry.card_store().path(named.key)).exists()
    alt, _ = _card_alt(client, token)
    assert "Amira" not in alt


def test_an_anonymised_registration_loses_its_named_card(client, anon, token, registration):
    client.post(f"/r/{token}/card-name", data={"show": "1"})
    named = _named_ref(registration.id, "square")
    client.get(f"/r/{token}")
    assert anon.get(f"/cards/{named.key}.png").status_code == 200
    client.post(f"/r/{token}/delete")
    assert anon.get(f"/cards/{named.key}.png").status_code == 404


def test_the_opt_in_needs_a_valid_token(client, registration):
    assert client.post("/r/not-a-token/card-name", data={"show": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).is_name_on_card is False


def test_the_name_is_not_in_the_page_when_the_fonts_cannot_draw_it(client, event, register_person):
    registration = register_person(event, "😀 Smiley", "emoji@example.org")
    token = manage_token(current_app.config["SECRET_KEY"], registration.token_nonce)
    client.post(f"/r/{token}/card-name", data={"show": "1"})
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert client.get(f"/r/{token}").status_code == 200
    assert "I’m attending" in html


def test_mail_links_point_at_the_event_card(app, registration, event, anon):
    links = links_for(registration, current_app.config["SECRET_KEY"])
    db.session.commit()
    expected = refs.event_refs(event)["square"].absolute_url
    assert links["card_url"] == expected
    assert expected.startswith("https://campaign.example.org/cards/")
    response = anon.get(expected.removeprefix("https://campaign.example.org"))
    assert response.status_code == 200
