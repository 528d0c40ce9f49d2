"""Flask commands: create-organizer, seed-demo."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from campaign.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(create_organizer)
    app.cli.add_command(seed_demo)
    app.cli.add_command(devserver)
    app.cli.add_command(mail_group)


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
        f"Created {role} {organizer.email}. Sign in at {current_app.config['BASE_URL']}/manage/login"
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
    campaign = demo.seed_demo(
        utcnow().date(),
        int(current_app.config["DEMO_DAY_OFFSET_DAYS"]),
        current_app.config["DEFAULT_DISCLAIMER"],
    )
    db.session.commit()
    click.echo(
        f"Seeded {campaign.name} on {campaign.day:%d %B %Y} with {len(demo.DEMO_EVENTS)} events."
    )


@click.group("mail")
def mail_group() -> None:
    """Outbox delivery."""


@mail_group.command("deliver")
@click.option("--watch", is_flag=True, help="Keep delivering every few seconds until stopped.")
@click.option("--interval", default=3.0, show_default=True, help="Seconds between rounds.")
def mail_deliver(watch: bool, interval: float) -> None:
    """Deliver what is queued in the outbox (once, or continuously with --watch)."""
    import time

    from campaign.mail import delivery

    config = current_app.config
    while True:
        backend = delivery.backend_from_config(config, current_app.instance_path)
        total = delivery.DeliveryReport()
        while True:
            report = delivery.deliver_due(backend, config["MAIL_SENDER"])
            total.sent += report.sent
            total.failed += report.failed
            total.retried += report.retried
            if report.claimed == 0:
                break
        if not watch:
            click.echo(f"Sent {total.sent}, failed {total.failed}, to retry {total.retried}.")
            return
        time.sleep(interval)


@click.command("devserver")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def devserver(host: str, port: int) -> None:
    """Serve the app for development (make run). Not for production: use gunicorn."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = f"http://{host}:{port}"
    click.echo(
        f"\n  Campaign site:   {url}/\n"
        f"  Organizer side:  {url}/manage/\n"
        "  No organizer yet? Create the first admin in another terminal:\n"
        "    .venv/bin/flask --app campaign create-organizer --email you@example.org --admin\n"
        "  Press Ctrl-C to stop.\n"
    )
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
