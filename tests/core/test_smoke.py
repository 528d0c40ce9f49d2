from tests.conftest import login


def test_home_lists_published_events(client, make_organizer, make_event):
    organizer = make_organizer()
    make_event(organizer, title="Community Talk")
    make_event(organizer, title="Secret Draft", status="draft", published_at=None)
    page = client.get("/").get_data(as_text=True)
    assert "Community Talk" in page
    assert "Secret Draft" not in page
    assert "not medical advice" in page


def test_login_and_dashboard(client, make_organizer):
    organizer = make_organizer(admin=True)
    assert login(client, organizer.email).status_code == 302
    assert client.get("/manage/").status_code == 200
