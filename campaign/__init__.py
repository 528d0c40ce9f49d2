"""The campaign toolkit: create_app assembles the application and does nothing else."""

from __future__ import annotations

from typing import Any

from flask import Flask

from campaign.config import REPO_ROOT, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build a configured app: extensions, blueprints, handlers. No side effects beyond that."""
    import os

    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "CAMPAIGN_INSTANCE_PATH", str(REPO_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=str(instance),
        instance_relative_config=True,
        static_folder=str(REPO_ROOT / "assets"),
        static_url_path="/assets",
        template_folder=str(REPO_ROOT / "templates"),
    )
    load_config(app, test_config)

    from campaign.core import setup as core_setup

    core_setup.init_app(app)
    return app
