from sqlalchemy import func, select

from campaign.extensions import db
from campaign.mail.backends import FileBackend
from campaign.mail.delivery import deliver_due
from campaign.mail.models import OutboxMessage
from campaign.signups.models import Registration
from tests.signups.conftest import manage_link


def outbox(kind=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def test_register_confirms_and_queues_mail(client, make_organizer, make_event, signup, tmp_path):
    event = make_event(make_organizer(), capacity=2)
    response = signup(event, email="Sam@Example.org")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{event.slug}/registered")
    registration = db.session.scalar(select(Registration))
    assert registration.status == "confirmed"
    assert registration.email == "sam@example.org"
    [mail] = outbox()
    assert mail.kind == "registration_confirmed"
    assert mail.to_email == "sam@example.org"
    assert mail.subject is None  # rendered by the deliverer, not in the request
    deliver_due(FileBackend(str(tmp_path)), "sender@example.org")
    db.session.expire_all()
    [mail] = outbox()
    assert mail.status == "sent"
    assert "BEGIN:VCALENDAR" in mail.ics
    path = manage_link(mail.text_body)
    page = client.get(path)
    assert page.status_code == 200
    assert "You have a place" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_waitlist_and_promotion(client, make_organizer, make_event, signup, tmp_path):
    event = make_event(make_organizer(), capacity=1)
    signup(event, email="a@example.org")
    signup(event, email="b@example.org")
    statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
    assert statuses == {"a@example.org": "confirmed", "b@example.org": "waitlisted"}
    deliver_due(FileBackend(str(tmp_path)), "sender@example.org")
    db.session.expire_all()
    path = manage_link(outbox("registration_confirmed")[0].text_body)
    token_page = client.get(path).get_data(as_text=True)
    assert "Cancel my registration" in token_page
    response = client.post(path + "/cancel")
    assert response.status_code == 303
    statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
    assert statuses == {"a@example.org": "cancelled", "b@example.org": "confirmed"}
    assert [m.to_email for m in outbox("promoted")] == ["b@example.org"]


def test_duplicate_gives_same_answer_and_one_mail(client, make_organizer, make_event, signup):
    event = make_event(make_organizer())
    first = signup(event)
    second = signup(event, name="Someone Else")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    assert len(outbox()) == 1
