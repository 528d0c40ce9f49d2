"""What a web worker that only serves public pages and sign-ups never loads: libraries that
only organizer actions need are imported on their first use, not by create_app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from campaign.config import REPO_ROOT

SCRIPT = """
import json, sys
from campaign import create_app
from campaign.core.warmup import warm_public_pages
from campaign.extensions import db
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    db.create_all()
warm_public_pages(app)
client = app.test_client(use_cookies=False)
statuses = [client.get(path).status_code for path in ("/healthz", "/events")]
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(",")))
print(json.dumps({"statuses": statuses, "loaded": loaded}))
"""

ORGANIZER_ONLY = ("argon2",)


def _public_start(tmp_path: Path, watched: tuple[str, ...]) -> dict[str, list]:  # type: ignore[type-arg]
    config = {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{tmp_path}/lazy.sqlite3",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BASE_URL": "https://campaign.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(config), ",".join(watched)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_public_pages_leave_organizer_only_libraries_unloaded(tmp_path: Path) -> None:
    outcome = _public_start(tmp_path, (*ORGANIZER_ONLY, "flask_sqlalchemy"))
    assert outcome["statuses"][0] == 200
    # The watch works: a library the app does load is reported.
    assert outcome["loaded"] == ["flask_sqlalchemy"]


def test_a_password_check_still_loads_argon2(app) -> None:  # type: ignore[no-untyped-def]
    from campaign.organizers import services

    with app.app_context():
        assert services.authenticate("nobody@example.org", "not the password") is None
    assert "argon2" in sys.modules
