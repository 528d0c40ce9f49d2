"""Flask commands: create-organizer, seed-demo, seed-scale, devserver, scheduler, jobs run,
mail deliver (and, from graphics, cards)."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import cast

import click
from flask import Flask, current_app
from werkzeug.local import LocalProxy

from campaign.extensions import db


def _app() -> Flask:
    """The app itself behind current_app, for code that outlives the command's app context
    (the scheduler's threads, the development server)."""
    proxy = cast("LocalProxy[Flask]", current_app)
    return proxy._get_current_object()


def init_app(app: Flask) -> None:
    """Add every command to `flask --app campaign`."""
    app.cli.add_command(create_organizer)
    app.cli.add_command(seed_demo)
    app.cli.add_command(seed_scale)
    app.cli.add_command(devserver)
    app.cli.add_command(mail_group)
    app.cli.add_command(scheduler)
    app.cli.add_command(jobs_group)
    from campaign.graphics.cli import cards_group

    app.cli.add_command(cards_group)


@click.command("create-organizer")
@click.option("--email", required=True, help="The organizer's email (their login).")
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
@click.option("--admin", is_flag=True, help="Make an admin: sees and changes everything.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_organizer(email: str, name: str, admin: bool, password_stdin: bool) -> None:
    """Create an organizer account (the first one should be an --admin)."""
    from email_validator import EmailNotValidError, validate_email

    from campaign.organizers import services

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="--email") from exc
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        organizer = services.create_organizer(email, name, password, is_admin=admin)
    except services.OrganizerError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    role = "admin" if organizer.is_admin else "organizer"
    click.echo(
        f"Created {role} {organizer.email}. "
        f"Sign in at {current_app.config['BASE_URL']}/manage/login"
    )


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when a campaign already exists.")
def seed_demo(if_empty: bool) -> None:
    """Create the demo campaign, National Ketamine Day, with events in the coming weeks."""
    from campaign.campaigns import demo
    from campaign.core.timeutil import utcnow

    if not demo.is_empty():
        if if_empty:
            click.echo("Database already has a campaign; demo not seeded.")
            return
        raise click.ClickException("A campaign already exists; the demo needs an empty database.")
    from campaign.core.timeutil import to_local

    campaign = demo.seed_demo(
        to_local(utcnow(), demo.DEMO_TIMEZONE).date(),
        int(current_app.config["DEMO_DAY_OFFSET_DAYS"]),
        current_app.config["DEFAULT_DISCLAIMER"],
    )
    db.session.commit()
    click.echo(
        f"Seeded {campaign.name} on {campaign.day:%d %B %Y} with {len(demo.DEMO_EVENTS)} events."
    )


@click.command("seed-scale")
@click.option("--events", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--registrations", default=100_000, show_default=True, type=click.IntRange(0, 10_000_000)
)
@click.option("--batch", default=5000, show_default=True, type=click.IntRange(100, 50_000))
@click.option("--seed", default=1, show_default=True, help="Random seed: same seed, same data.")
def seed_scale(events: int, registrations: int, batch: int, seed: int) -> None:
    """Fill the current campaign with many events and registrations (benchmarks, load tests).

    Creates the demo campaign first when the database has none. Each batch is one
    transaction, so a stopped run leaves whole batches behind.
    """
    from campaign.campaigns import demo, scale
    from campaign.campaigns.services import current_campaign
    from campaign.core.timeutil import to_local, utcnow

    now = utcnow()
    if demo.is_empty():
        demo.seed_demo(
            to_local(now, demo.DEMO_TIMEZONE).date(),
            int(current_app.config["DEMO_DAY_OFFSET_DAYS"]),
            current_app.config["DEFAULT_DISCLAIMER"],
        )
        db.session.commit()
        click.echo("Seeded the demo campaign first.")
    campaign = current_campaign()
    if campaign is None:
        raise click.ClickException("No active campaign to fill.")
    fill = scale.ScaleFill(
        campaign_id=campaign.id,
        campaign_day=campaign.day,
        plan=scale.ScalePlan(events, registrations, batch=batch, seed=seed),
        now=now,
        secret_key=current_app.config["SECRET_KEY"],
    )
    steps = fill.batches()
    next(steps)
    db.session.commit()
    click.echo(f"Added {len(fill.event_ids)} events to {campaign.name}.")
    with click.progressbar(length=registrations, label="Registrations") as bar:
        done = 0
        for total in steps:
            db.session.commit()
            bar.update(total - done)
            done = total
    click.echo(
        f"Added {fill.registrations} registrations and {fill.outbox} sent emails; "
        f"the largest event is #{fill.largest_event_id}."
    )


@click.group("mail")
def mail_group() -> None:
    """Outbox delivery."""


@mail_group.command("deliver")
def mail_deliver() -> None:
    """Deliver what is queued in the outbox now, once (the scheduler does it continuously)."""
    from campaign.mail.jobs import run_delivery

    with _stop_deliveries_on_signal():
        result = run_delivery()
    click.echo(f"Sent {result['sent']}, failed {result['failed']}, to retry {result['retried']}.")


@click.command("scheduler")
def scheduler() -> None:
    """Run the scheduler: deliver mail, queue reminders, housekeeping. Stop with Ctrl-C."""
    import logging

    from campaign.scheduler import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # APScheduler says "Running job" every few seconds; our jobs log what they did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        run_scheduler(_app())
    except ValueError as exc:  # a setting it cannot run with (SCHEDULER_ID)
        raise click.ClickException(str(exc)) from exc


@click.group("jobs")
def jobs_group() -> None:
    """Run one scheduler job by hand."""


@jobs_group.command("run")
@click.argument(
    "name", type=click.Choice(["deliver", "reminders", "notifications", "housekeeping"])
)
def jobs_run(name: str) -> None:
    """Run the job NAME once and print what it did."""
    from campaign.scheduler import JOBS, run_job

    job = next(j for j in JOBS if j.name == name)
    with _stop_deliveries_on_signal():
        result = run_job(_app(), job)
    if result is None:
        raise click.ClickException(f"job {name} failed; see the log")
    click.echo(", ".join(f"{k}: {v}" for k, v in result.items()))


@contextlib.contextmanager
def _stop_deliveries_on_signal() -> Iterator[None]:
    """Ctrl-C or SIGTERM during a job run by hand stops it as it stops the scheduler: a
    delivery finishes the message it is sending, records it and gives the rest of its
    batch back at once (not after the lease). A second signal stops at once."""
    from campaign.mail import delivery

    def stop(signum: int, _frame: object) -> None:
        if delivery.stop_requested():
            raise KeyboardInterrupt
        click.echo("Stopping after the message being sent (again to stop at once).", err=True)
        delivery.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("devserver")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-scheduler", is_flag=True, help="Do not start the scheduler process.")
def devserver(host: str, port: int, no_scheduler: bool) -> None:
    """Serve the app for development with one scheduler beside it (make run).

    Links in mail, calendars and cards point at this server unless BASE_URL is set.
    Not for production: there, run gunicorn and `flask --app campaign scheduler`.
    """
    from campaign.core import devserver as runner

    runner.serve(_app(), host, port, with_scheduler=not no_scheduler)
