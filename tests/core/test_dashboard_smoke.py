from tests.conftest import login


def test_dashboard_chart_and_totals(client, make_organizer, make_event):
    admin = make_organizer(admin=True)
    make_event(admin, title="Talk One", capacity=10)
    login(client, admin.email)
    page = client.get("/manage/").get_data(as_text=True)
    assert '<svg class="chart"' in page
    assert "Talk One" in page
    assert "Sign-ups per event" in page
