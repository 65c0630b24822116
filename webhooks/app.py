"""The application factory: configuration and blueprints, no module-level globals."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def default_config(instance_path: str) -> dict[str, Any]:
    """Configuration from the environment, with the embedded defaults (SQLite, in-process jobs)."""
    return {
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "assay.sqlite3")
        ),
        # Unset: jobs run in-process, which is the embedded default.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
    }


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; `test_config` overrides anything read from the environment."""
    app = Flask("assay", instance_relative_config=True)
    app.config.from_mapping(default_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from storage.db import init_app as init_storage  # builds nothing until first used: `assay decide` stays fast

    init_storage(app)

    from webhooks.health import bp as health_bp

    app.register_blueprint(health_bp)
    return app
