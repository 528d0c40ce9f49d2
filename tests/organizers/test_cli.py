"""flask create-organizer and the promise that there is no default account."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.organizers.models import Organizer
from campaign.organizers.services import find_by_email
from tests.conftest import login

GOOD_PASSWORD = "a perfectly long password"


def _count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Organizer)) or 0


def test_create_admin_with_password_stdin(app, runner, client):
    result = runner.invoke(
        args=["create-organizer", "--email", "Ada@Example.org", "--admin", "--password-stdin"],
        input=GOOD_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ada@example.org" in result.output
    assert "https://campaign.example.org/manage/login" in result.output
    assert GOOD_PASSWORD not in result.output
    organizer = find_by_email("ada@example.org")
    assert organizer is not None
    assert organizer.is_admin
    assert organizer.name == "ada"  # the local part, when no --name is given
    assert organizer.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in organizer.password_hash
    # The account works on the site.
    response = login(client, "ada@example.org", GOOD_PASSWORD)
    assert response.status_code == 302
    assert client.get("/manage/organizers").status_code == 200


def test_create_organizer_with_prompt(app, runner):
    result = runner.invoke(
        args=["create-organizer", "--email", "bo@example.org", "--name", "Bo Lind"],
        input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert GOOD_PASSWORD not in result.output  # hidden input
    organizer = find_by_email("bo@example.org")
    assert organizer is not None
    assert organizer.name == "Bo Lind"
    assert not organizer.is_admin
    assert organizer.role == "organizer"


def test_prompt_confirmation_mismatch_creates_nothing(app, runner):
    result = runner.invoke(
        args=["create-organizer", "--email", "cy@example.org"],
        input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}x\n",
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert _count() == 0


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.org", "a b@example.org", ""])
def test_bad_email_is_refused(app, runner, email):
    result = runner.invoke(
        args=["create-organizer", "--email", email, "--password-stdin"],
        input=GOOD_PASSWORD + "\n",
    )
    assert result.exit_code == 2, result.output
    assert "--email" in result.output
    assert _count() == 0


@pytest.mark.parametrize("email", ["dup@example.org", "DUP@example.org", "dup@EXAMPLE.ORG"])
def test_duplicate_email_is_refused(app, runner, make_organizer, email):
    make_organizer(email="dup@example.org")
    result = runner.invoke(
        args=["create-organizer", "--email", email, "--admin", "--password-stdin"],
        input=GOOD_PASSWORD + "\n",
    )
    assert result.exit_code == 1, result.output
    assert "already exists" in result.output
    assert _count() == 1
    assert not find_by_email("dup@example.org").is_admin


@pytest.mark.parametrize("password", ["", "short", "123456789"])
def test_too_short_password_is_refused(app, runner, password):
    result = runner.invoke(
        args=["create-organizer", "--email", "dee@example.org", "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code == 1, result.output
    assert "at least 10 characters" in result.output
    assert _count() == 0


def test_too_long_password_is_refused(app, runner):
    result = runner.invoke(
        args=["create-organizer", "--email", "dee@example.org", "--password-stdin"],
        input="x" * 257 + "\n",
    )
    assert result.exit_code == 1
    assert "at most" in result.output
    assert _count() == 0


def test_no_default_account_after_seed_demo(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    organizers = list(db.session.scalars(select(Organizer)))
    # Demo events need an owner, but that row can never sign in.
    assert all(o.password_hash is None for o in organizers), organizers
    assert not any(o.is_admin for o in organizers)
    assert not any(o.is_active for o in organizers)
    for email in [o.email for o in organizers] + ["admin@example.org", "admin"]:
        for password in ("admin", "password", "demo", "changeme", GOOD_PASSWORD):
            assert login(client, email, password).status_code == 400
    assert client.get("/manage/").status_code == 302
    # The first admin still comes from the CLI.
    result = runner.invoke(
        args=["create-organizer", "--email", "first@example.org", "--admin", "--password-stdin"],
        input=GOOD_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output


def test_an_account_is_created_while_another_process_writes(app, runner, monkeypatch):
    """Hashing the password takes a while; a scheduler or the web server may commit a
    write meanwhile. On SQLite that made the command's read transaction unable to write
    ("database is locked" at once, whatever the busy timeout): a flaky `make run` step."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from campaign.organizers import services

    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    real_hash = services.hash_password

    def hash_while_another_process_writes(password: str) -> str:
        hashed = real_hash(password)
        with Session(other) as session:  # another process's commit, mid-command
            session.add(Organizer(email="other@example.org", name="Other", role="organizer"))
            session.commit()
        return hashed

    monkeypatch.setattr(services, "hash_password", hash_while_another_process_writes)
    try:
        result = runner.invoke(
            args=["create-organizer", "--email", "dee@example.org", "--password-stdin"],
            input=GOOD_PASSWORD + "\n",
        )
    finally:
        other.dispose()
    assert result.exit_code == 0, result.output
    assert find_by_email("dee@example.org") is not None
    assert find_by_email("other@example.org") is not None
