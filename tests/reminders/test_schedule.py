"""What is due when: reminders at each offset once, moved by a reschedule, stopped by a
cancellation, skipped for offsets that passed before the person registered or that are
more than their grace period late, exact across a DST change; who never gets one; the
thank-you after its delay; anonymisation after the retention period. Time is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from campaign import scheduler
from campaign.core.timeutil import format_range
from campaign.events.models import Event
from campaign.extensions import db
from campaign.reminders import services as reminder_services
from campaign.signups import privacy
from campaign.signups import seats as signup_seats
from campaign.signups.models import Registration
from tests.core.support import with_config
from tests.reminders.conftest import (
    base_time,
    calendar_of,
    cancel_event,
    deliver,
    delivered,
    register,
    reminder_offsets_queued,
    reschedule,
    rows,
    text_of,
    tick,
)

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
WEEK_MIN, DAY_MIN, TWO_HOURS_MIN = 7 * 24 * 60, 24 * 60, 120


def test_each_offset_goes_out_once_at_its_time(app, smtp, event_at):
    start = base_time()
    event = event_at(start, format="online", join_url="https://meet.example.org/abc")
    reg = register(event, "sam@example.org", start - 10 * DAY)

    assert tick(start - 7 * DAY - MINUTE)["reminders"] == 0
    assert tick(start - 7 * DAY)["reminders"] == 1
    assert tick(start - 7 * DAY + 5 * MINUTE)["reminders"] == 0  # once per (person, offset)
    assert tick(start - DAY)["reminders"] == 1
    assert tick(start - 2 * HOUR + 10 * MINUTE)["reminders"] == 1
    assert tick(start - HOUR)["reminders"] == 0
    assert reminder_offsets_queued(reg) == [WEEK_MIN, DAY_MIN, TWO_HOURS_MIN]
    keys = {r.dedupe_key for r in rows("reminder")}
    assert keys == {f"reminder:{reg}:{o}" for o in (WEEK_MIN, DAY_MIN, TWO_HOURS_MIN)}

    assert deliver(start - HOUR)["sent"] == 4  # the confirmation and three reminders
    reminders = [m for m in smtp.to("sam@example.org") if "Reminder" in str(m["Subject"])]
    assert len(reminders) == 3
    body = text_of(reminders[-1])
    assert format_range(start, event.ends_at, event.timezone) in body  # local time + zone
    assert "GMT" in body
    assert "https://meet.example.org/abc" in body  # join link for the online event
    assert "https://campaign.example.org/r/" in body  # manage link
    assert "calendar.google.com" in body
    assert f"/events/{event.slug}?ref=" in body  # share prompt with the personal link
    calendar = calendar_of(reminders[-1])
    assert calendar is not None


def test_reschedule_moves_pending_reminders_and_sends_the_change(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    reg = register(event, "sam@example.org", start - 10 * DAY)
    assert tick(start - 7 * DAY)["reminders"] == 1
    deliver(start - 7 * DAY)
    first = calendar_of(smtp.to("sam@example.org")[0])  # the confirmation's calendar entry

    new_start = start + 3 * DAY
    assert reschedule(event.id, new_start, start - 6 * DAY) == 1
    assert tick(start - DAY)["reminders"] == 0  # the old day-before is not due any more
    assert tick(start - 2 * HOUR)["reminders"] == 0
    assert tick(new_start - DAY)["reminders"] == 1
    assert tick(new_start - 2 * HOUR)["reminders"] == 1
    assert reminder_offsets_queued(reg) == [WEEK_MIN, DAY_MIN, TWO_HOURS_MIN]

    deliver(new_start - HOUR)
    [change] = delivered(smtp, "event_changed")
    updated = calendar_of(change)
    assert first is not None and updated is not None
    [before], [after] = first.walk("VEVENT"), updated.walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART").astimezone(UTC) == new_start
    last = smtp.to("sam@example.org")[-1]
    assert "Reminder" in str(last["Subject"])
    assert format_range(new_start, new_start + 2 * HOUR, event.timezone) in text_of(last)


def test_cancelling_the_event_stops_reminders_even_queued_ones(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    reg = register(event, "sam@example.org", start - 10 * DAY)
    deliver(start - 10 * DAY)  # the confirmation, with the calendar entry
    assert tick(start - 7 * DAY)["reminders"] == 1  # queued, not delivered yet

    cancel_event(event.id, start - 7 * DAY + MINUTE)
    [queued] = rows("reminder")
    assert queued.status == "cancelled"
    assert tick(start - DAY)["reminders"] == 0
    assert tick(start - 2 * HOUR)["reminders"] == 0
    assert reminder_offsets_queued(reg) == [WEEK_MIN]

    deliver(start - 2 * HOUR)
    subjects = [str(m["Subject"]) for m in smtp.to("sam@example.org")]
    assert len(subjects) == 2 and not any("Reminder" in s for s in subjects), subjects
    confirmation, cancellation = smtp.to("sam@example.org")
    before, after = calendar_of(confirmation), calendar_of(cancellation)
    assert before is not None and after is not None
    assert str(after["METHOD"]) == "CANCEL"
    [b], [a] = before.walk("VEVENT"), after.walk("VEVENT")
    assert str(a["UID"]) == str(b["UID"])
    assert str(a["STATUS"]) == "CANCELLED"
    assert int(a["SEQUENCE"]) > int(b["SEQUENCE"])


def test_offsets_passed_before_registering_are_not_sent(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    # Registered 30 minutes after the week-before point: within that offset's grace,
    # but the reminder was never due for this person.
    reg = register(event, "late@example.org", start - 7 * DAY + 30 * MINUTE)
    early = register(event, "early@example.org", start - 8 * DAY)
    assert tick(start - 7 * DAY + 31 * MINUTE)["reminders"] == 1
    assert reminder_offsets_queued(early) == [WEEK_MIN]
    assert reminder_offsets_queued(reg) == []
    assert tick(start - DAY)["reminders"] == 2
    assert reminder_offsets_queued(reg) == [DAY_MIN]


def test_downtime_longer_than_the_grace_skips_instead_of_sending_late(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    reg = register(event, "sam@example.org", start - 10 * DAY)
    # Down from before the week-before point until 6 hours and a minute after it.
    report = tick(start - 7 * DAY + 6 * HOUR + MINUTE)
    assert report == {"reminders": 0, "skipped_late": 1, "thank_yous": 0}
    # The day-before reminder is 5h59 late: within its 6-hour grace, still useful.
    assert tick(start - DAY + 5 * HOUR + 59 * MINUTE)["reminders"] == 1
    # The two-hours-before one is 61 minutes late: over its 1-hour grace.
    report = tick(start - 2 * HOUR + 61 * MINUTE)
    assert report["reminders"] == 0 and report["skipped_late"] >= 1
    assert reminder_offsets_queued(reg) == [DAY_MIN]


def test_a_skipped_reminder_is_decided_once_and_never_sent(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    reg = register(event, "sam@example.org", start - 10 * DAY)
    late = start - 7 * DAY + 6 * HOUR + MINUTE
    assert tick(late)["skipped_late"] == 1
    assert tick(late + MINUTE)["skipped_late"] == 0, "reported once, not every tick"
    skipped = rows("reminder", registration_id=reg)
    assert [r.status for r in skipped] == ["cancelled"]
    assert skipped[0].last_error.startswith("skipped: due ")
    assert "more than 6 hours late" in skipped[0].last_error
    deliver(late + 2 * MINUTE)
    assert delivered(smtp, "reminder") == []
    assert tick(start - DAY)["reminders"] == 1, "the next reminder is not affected"


@with_config(REMINDER_GRACE_SHORT_MINUTES=90, REMINDER_GRACE_LONG_MINUTES=30)
def test_grace_periods_are_configurable(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    reg = register(event, "sam@example.org", start - 10 * DAY)
    assert tick(start - 7 * DAY + 31 * MINUTE)["skipped_late"] == 1
    assert tick(start - 2 * HOUR + 89 * MINUTE)["reminders"] == 1
    assert reminder_offsets_queued(reg) == [TWO_HOURS_MIN]


def test_a_dst_change_between_registration_and_reminder_shifts_nothing(app, smtp, event_at):
    # New York springs forward on 14 March 2027. The person registers in EST, the event
    # is in EDT: 18:00 local is 22:00 UTC, and a week before it is 22:00 UTC too.
    start = datetime(2027, 3, 18, 22, 0, tzinfo=UTC)
    event = event_at(start, timezone="America/New_York")
    reg = register(event, "sam@example.org", datetime(2027, 3, 5, 17, 0, tzinfo=UTC))
    week_before = datetime(2027, 3, 11, 22, 0, tzinfo=UTC)
    assert tick(week_before - MINUTE)["reminders"] == 0
    assert tick(week_before)["reminders"] == 1
    assert tick(datetime(2027, 3, 17, 21, 59, tzinfo=UTC))["reminders"] == 0
    assert tick(datetime(2027, 3, 17, 22, 0, tzinfo=UTC))["reminders"] == 1
    assert tick(datetime(2027, 3, 18, 20, 0, tzinfo=UTC))["reminders"] == 1
    assert reminder_offsets_queued(reg) == [WEEK_MIN, DAY_MIN, TWO_HOURS_MIN]

    db.session.rollback()
    stored = db.session.get(Event, event.id)
    assert stored is not None and stored.starts_at == start
    deliver(datetime(2027, 3, 18, 20, 5, tzinfo=UTC))
    [confirmation, *reminders] = smtp.to("sam@example.org")
    assert len(reminders) == 3
    for message in [confirmation, *reminders]:
        assert "Thu 18 Mar 2027, 18:00–20:00 EDT" in text_of(message), text_of(message)
    calendar = calendar_of(reminders[0])
    assert calendar is not None
    [vevent] = calendar.walk("VEVENT")
    assert vevent.decoded("DTSTART").astimezone(UTC) == start


def test_nobody_gets_a_reminder_who_should_not(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    ann = register(event, "ann@example.org", start - 10 * DAY)
    ben = register(event, "ben@example.org", start - 10 * DAY)
    dan = register(event, "dan@example.org", start - 10 * DAY)
    registration = db.session.get(Registration, ben)
    assert registration is not None
    signup_seats.cancel(registration, start - 9 * DAY)
    db.session.commit()
    registration = db.session.get(Registration, dan)
    assert registration is not None
    privacy.unsubscribe(registration)
    db.session.commit()
    db.session.execute(update(Event).where(Event.id == event.id).values(capacity=2))
    db.session.commit()
    cat = register(event, "cat@example.org", start - 9 * DAY)
    assert db.session.get(Registration, cat).status == "waitlisted"  # type: ignore[union-attr]

    draft = event_at(start)
    register(draft, "draft@example.org", start - 10 * DAY)
    db.session.execute(update(Event).where(Event.id == draft.id).values(status="draft"))
    cancelled = event_at(start)
    register(cancelled, "gone@example.org", start - 10 * DAY)
    cancel_event(cancelled.id, start - 9 * DAY)
    switched_off = event_at(start)
    register(switched_off, "off@example.org", start - 10 * DAY)
    db.session.execute(
        update(Event).where(Event.id == switched_off.id).values(is_reminders_enabled=False)
    )
    db.session.commit()

    for now in (start - 7 * DAY, start - DAY, start - 2 * HOUR):
        tick(now)
    assert {r.registration_id for r in rows("reminder")} == {ann}
    # Once the event has started, even a generous grace sends nothing more.
    generous = reminder_services.ReminderPolicy(grace_short=5 * HOUR, grace_long=5 * DAY)
    db.session.execute(update(Event).values(reminder_offsets=[60]))
    db.session.commit()
    report = reminder_services.enqueue_due_reminders(start + MINUTE, generous)
    assert report.reminders == 0
    assert {r.registration_id for r in rows("reminder")} == {ann}


def test_thank_you_goes_out_after_the_configured_delay(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    end = event.ends_at
    register(event, "ann@example.org", start - 10 * DAY)
    register(event, "ben@example.org", start - 10 * DAY)
    db.session.execute(update(Event).where(Event.id == event.id).values(capacity=2))
    db.session.commit()
    register(event, "cat@example.org", start - 9 * DAY)  # waitlisted: no thank-you
    delay = timedelta(minutes=app.config["THANK_YOU_DELAY_MINUTES"])
    assert delay == 2 * HOUR

    assert tick(end + delay - MINUTE)["thank_yous"] == 0
    assert tick(end + delay)["thank_yous"] == 2
    assert tick(end + delay + HOUR)["thank_yous"] == 0
    assert sorted(r.to_email for r in rows("thank_you")) == ["ann@example.org", "ben@example.org"]
    deliver(end + delay + HOUR)
    [thanks] = [m for m in smtp.to("ann@example.org") if "Thank you" in str(m["Subject"])]
    assert thanks["List-Unsubscribe"] and thanks["List-Unsubscribe-Post"]


@with_config(THANK_YOU_DELAY_MINUTES=30)
def test_thank_you_delay_is_configurable(app, smtp, event_at):
    start = base_time()
    event = event_at(start)
    register(event, "ann@example.org", start - 10 * DAY)
    assert tick(event.ends_at + 29 * MINUTE)["thank_yous"] == 0
    assert tick(event.ends_at + 30 * MINUTE)["thank_yous"] == 1


def test_housekeeping_anonymises_past_the_retention_period(app, smtp, event_at):
    start = base_time()
    old = event_at(start)
    recent = event_at(start + 60 * DAY)
    gone = register(old, "old@example.org", start - 10 * DAY)
    kept = register(recent, "recent@example.org", start - 10 * DAY)
    deliver(start - 10 * DAY)
    days = app.config["RETENTION_DAYS"]

    assert scheduler.run_housekeeping(old.ends_at + days * DAY - MINUTE)["anonymised"] == 0
    assert scheduler.run_housekeeping(old.ends_at + days * DAY + MINUTE)["anonymised"] == 1
    db.session.rollback()
    anonymised = db.session.get(Registration, gone)
    assert anonymised is not None and anonymised.anonymised_at is not None
    assert "old@example.org" not in anonymised.email and anonymised.name == "Deleted"
    [message] = rows(registration_id=gone)
    assert message.to_email == anonymised.email and not message.text_body
    still = db.session.get(Registration, kept)
    assert still is not None and still.email == "recent@example.org"
    emails = set(db.session.scalars(select(Registration.email)))
    assert "old@example.org" not in emails
