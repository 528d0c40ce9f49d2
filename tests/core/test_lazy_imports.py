"""What a web worker that only serves public pages and sign-ups never loads: libraries that
only organizer actions need are imported on their first use, not by create_app, and the
card drawing libraries only by a process that draws (campaign.cardrender)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from campaign.cardrender import ALT_TEXT_VERSION
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


def _start(tmp_path: Path, script: str, *args: str) -> dict[str, Any]:
    """Run script in a new interpreter with a test config on its own SQLite file (argv[1])
    and args after it; the JSON object its last line prints."""
    config = {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{tmp_path}/lazy.sqlite3",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BASE_URL": "https://campaign.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(config), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _public_start(tmp_path: Path, watched: tuple[str, ...]) -> dict[str, Any]:
    return _start(tmp_path, SCRIPT, ",".join(watched))


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


SEEDED_START = """
import json, sys
from datetime import date
from campaign import create_app
from campaign.campaigns.demo import seed_demo
from campaign.core.warmup import _next_event_slug, warm_public_pages
from campaign.extensions import db
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    db.create_all()
    seed_demo(date.today(), 30, "Educational content, not medical advice.")
    db.session.commit()
    slug = _next_event_slug()
warm_public_pages(app)
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"PIL", "uharfbuzz", "segno"})
page = app.test_client(use_cookies=False).get(f"/events/{slug}")
print(json.dumps({"loaded": loaded, "status": page.status_code}))
"""


def _seeded_start(tmp_path: Path) -> dict[str, Any]:
    return _start(tmp_path, SEEDED_START)


def test_the_warm_up_keeps_card_texts_without_loading_the_drawing_libraries(
    tmp_path: Path,
) -> None:
    """A first start: a child works the event page's card texts out and keeps them, so the
    master that workers are forked from never loads Pillow, HarfBuzz or segno: its pages
    read the kept texts."""
    outcome = _seeded_start(tmp_path)
    assert outcome == {"loaded": [], "status": 200}
    kept = list((tmp_path / "instance" / "cards" / "alt").glob("*.txt"))
    assert len(kept) >= 4


def test_without_the_child_the_master_works_the_texts_out_itself(tmp_path: Path) -> None:
    """The check above can fail: with texts kept already but not this event's (here: one
    unrelated file), no child is forked and the master loads the renderer."""
    alt = tmp_path / "instance" / "cards" / "alt"
    alt.mkdir(parents=True)
    (alt / f"{'0' * 32}.v{ALT_TEXT_VERSION}.txt").write_text("another card")
    outcome = _seeded_start(tmp_path)
    assert outcome["status"] == 200
    assert "PIL" in outcome["loaded"]
