"""Where a public page's time goes: pyinstrument over many GETs of one page, in process.

Seeds a fresh database (SQLite by default; the production set-up with --production, which
needs BENCH_POSTGRES_URL and BENCH_REDIS_URL as bench/pages.py), warms the page cache with
one GET, then profiles `--requests` GETs of the event page (or --path) through the whole
WSGI stack as first-time visitors (no cookies), and prints pyinstrument's call tree.

    .venv/bin/python bench/profile_pages.py [--path /events] [--requests 2000] [--production]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyinstrument import Profiler

from bench._common import production_env, scratch_postgres, site_env
from bench.registration import _seed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", default="", help="default: the seeded event's page")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--production", action="store_true")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument("--register", action="store_true", help="profile the form's POST")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        if args.production:
            env = production_env(tmp, stack.enter_context(scratch_postgres("profile")))
        else:
            env = site_env(tmp)
        slug = _seed(env)
        os.environ.update(env)
        from campaign import create_app

        app = create_app()
        path = args.path or f"/events/{slug}"
        headers = dict(h.split(": ", 1) for h in args.header)
        client = app.test_client(use_cookies=False)
        assert client.get(path, headers=headers).status_code == 200
        profiler = Profiler(interval=0.0002)
        if args.register:
            from bench.registration import LIMITS
            from campaign.signups.guard import form_token

            app.config.update({name: value for name, value in LIMITS.items()})
            made = time.time() - 10
            forms = [
                {
                    "started": form_token(env["CAMPAIGN_SECRET_KEY"], slug, now=made),
                    "name": f"Person {n}",
                    "email": f"person{n}@example.org",
                    "website": "",
                    "ref": "",
                }
                for n in range(args.requests)
            ]
            with profiler:
                for form in forms:
                    client.post(f"/events/{slug}/register", data=form, headers=headers)
        else:
            with profiler:
                for _ in range(args.requests):
                    client.get(path, headers=headers)
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
