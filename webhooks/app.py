"""The application factory and Assay's one composition root: configuration, storage, the queue, and the
platforms (each adapter with its handlers and routes). No module-level globals: everything lives on the app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import Flask

from admin.api import bp as admin_api_bp
from admin.api_places import bp as admin_api_places_bp
from admin.login import bp as admin_login_bp
from admin.page import bp as admin_page_bp
from connector.guard import install as install_guard
from connector.outages import init_app as init_outages
from connector.registry import register
from connector.shopify.adapter import ADAPTER as SHOPIFY
from connector.shopify.api import init_app as init_shopify_pacing
from connector.woocommerce.adapter import ADAPTER as WOOCOMMERCE
from connector.woocommerce.install import init_app as init_install_limits
from jobs.logs import configure_logging
from jobs.queue import init_app as init_queue
from jobs.runner import init_app as init_runner
from storage.db import init_app as init_storage
from storage.secret_key import init_app as init_secret_keys
from storage.settings import EXTENSION as SETTINGS
from storage.settings import settings_from_environment, variables
from webhooks.health import bp as health_bp
from webhooks.intake import bp as intake_bp
from webhooks.production import check_production, is_production
from webhooks.unavailable import init_app as init_unavailable


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from the settings (storage/settings.py), read and checked here once; `test_config`
    overrides the environment's, and its other keys (TESTING) are Flask's own."""
    # Named for this module, Flask finds the project's instance folder (the embedded default's database and keys)
    # beside the package, wherever `assay` is started from.
    app = Flask(__name__)
    overrides = dict(test_config or {})
    settings = settings_from_environment(overrides, app.instance_path)
    check_production(settings)  # before anything runs with a guessable secret or the demo sign-in
    app.config.from_mapping({key: value for key, value in overrides.items() if key not in variables()})
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    os.makedirs(app.instance_path, exist_ok=True)
    init_secret_keys(app, settings, None if is_production(settings) else app.instance_path)
    # Once their keys are derived the root secrets are kept nowhere, so no code can use them undivided.
    app.extensions[SETTINGS] = replace(settings, secret_key=None, secret_key_previous=None)
    if not app.testing:
        configure_logging(settings.log_level)

    install_guard(app)  # every route's input checks, and errors answered as JSON
    init_storage(app, settings)  # builds nothing until first used
    init_queue(app, settings)
    init_outages(app, settings)  # the stores' outage breakers and Shopify's pacing: in Redis, or the app's own
    init_shopify_pacing(app, settings)
    init_install_limits(app, settings)
    init_runner(app)
    init_unavailable(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(admin_api_bp)  # the merchant's JSON API, signed in by session token or login link
    app.register_blueprint(admin_api_places_bp)
    app.register_blueprint(admin_login_bp)
    app.register_blueprint(admin_page_bp)  # the settings page itself, at / and /admin/
    # The platforms, one line each: adapter (handlers, planning, writing, verification) and its routes.
    register(app, SHOPIFY)
    register(app, WOOCOMMERCE)
    return app
