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


def test_a_request_has_its_own_database_session(client, make_organizer, make_event):
    """What the test changed but did not commit stays out of the request (a real server
    has no way to see it), and afterwards the test's transaction has ended."""
    event = make_event(make_organizer(), title="The committed title")
    path = f"/events/{event.slug}"
    # Changed in the test's session only: reading event.slug after the change would flush
    # it, and on SQLite the test would then hold the database's write lock through the
    # request, whose after-request writes wait out the 30 s busy timeout for it.
    event.title = "A change never committed"
    page = client.get(path).get_data(as_text=True)
    assert "The committed title" in page
    assert "A change never committed" not in page
    assert event.title == "The committed title"
