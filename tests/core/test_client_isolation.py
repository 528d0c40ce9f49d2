"""The test client must not leak the signed-in user between requests or clients."""

from tests.conftest import login


def test_a_fresh_client_is_not_signed_in(app, client, make_organizer):
    organizer = make_organizer()
    assert login(client, organizer.email).status_code == 302
    assert client.get("/manage/").status_code == 200
    other = app.test_client()
    response = other.get("/manage/")
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]
