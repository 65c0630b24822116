"""The application factory and Assay's one composition root: configuration, storage, the queue, and the
platforms (each adapter with its handlers and routes). No module-level globals: everything lives on the app."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from admin.api import bp as admin_api_bp
from admin.api_places import bp as admin_api_places_bp
from admin.login import bp as admin_login_bp
from admin.page import bp as admin_page_bp
from connector import shopify, woocommerce
from connector.demo import DemoWrites
from connector.guard import install as install_guard
from connector.registry import register
from jobs.logs import configure_logging
from jobs.queue import init_app as init_queue
from jobs.runner import init_app as init_runner
from storage.db import init_app as init_storage
from storage.secret_key import init_app as init_secret_keys
from webhooks import DEFAULT_MAX_CONTENT_LENGTH
from webhooks.health import bp as health_bp
from webhooks.intake import bp as intake_bp
from webhooks.production import check_production, is_production
from webhooks.unavailable import init_app as init_unavailable


def default_config(instance_path: str) -> dict[str, Any]:
    """Configuration from the environment, with the embedded defaults (SQLite, in-process jobs)."""
    return {
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "assay.sqlite3")
        ),
        # Unset: jobs run in-process, which is the embedded default.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE": os.environ.get("RQ_QUEUE", "assay"),
        # Unset: the embedded default makes one in the instance folder; production refuses to start without it.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        # Older secrets, newest first, still accepted while a rotation settles (storage/secret_key.py).
        "SECRET_KEY_PREVIOUS": os.environ.get("SECRET_KEY_PREVIOUS") or None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH)),
        # The app's client secret signs webhooks and app-proxy requests; the previous one during a rotation.
        "SHOPIFY_API_SECRET": os.environ.get("SHOPIFY_API_SECRET", ""),
        "SHOPIFY_API_SECRET_PREVIOUS": os.environ.get("SHOPIFY_API_SECRET_PREVIOUS") or None,
        # The app's client id: the session tokens' audience, and who asks Shopify's token endpoint.
        "SHOPIFY_API_KEY": os.environ.get("SHOPIFY_API_KEY", ""),
        # Where shops' endpoints are reached instead of https://<shop>.myshopify.com: a local fake (tests) only.
        "SHOPIFY_API_ORIGIN": os.environ.get("SHOPIFY_API_ORIGIN", ""),
        "SHOPIFY_TIMEOUT_SECONDS": float(os.environ.get("SHOPIFY_TIMEOUT_SECONDS", 10)),
        # Off: Shopify writes go at once and its THROTTLED answers slow them (connector/shopify/pace_store.py).
        "SHOPIFY_PACING": os.environ.get("SHOPIFY_PACING", "on"),
        "WOOCOMMERCE_TIMEOUT_SECONDS": float(os.environ.get("WOOCOMMERCE_TIMEOUT_SECONDS", 10)),
        # Unset: the job timeout plus a margin (jobs/settings.py), so a write is never taken over while it may run.
        "ACTION_LEASE_SECONDS": os.environ.get("ACTION_LEASE_SECONDS") or None,
        # Work and retries (jobs/settings.py and jobs/schedule.py hold the defaults).
        **{name: os.environ.get(name) or None for name in (
            "ASSAY_JOB_TIMEOUT_SECONDS", "ASSAY_RELAY_GRACE_SECONDS", "ASSAY_MAX_ATTEMPTS", "ASSAY_RETRY_BASE_SECONDS",
            "ASSAY_RELAY_INTERVAL_SECONDS", "ASSAY_RECONCILE_INTERVAL_SECONDS", "ASSAY_POLL_INTERVAL_SECONDS",
            "ASSAY_PRUNE_INTERVAL_SECONDS", "ASSAY_STORE_SLOTS")},
        "ASSAY_ENCRYPTION_KEYS": os.environ.get("ASSAY_ENCRYPTION_KEYS") or None,
        # Where platforms reach Assay (https): WooCommerce's install callback and webhook deliveries go here.
        "ASSAY_PUBLIC_URL": os.environ.get("ASSAY_PUBLIC_URL", ""),
        # Handled inbox payloads are emptied after this many days (`assay inbox prune`); cases keep their own.
        "INBOX_PAYLOAD_DAYS": float(os.environ.get("INBOX_PAYLOAD_DAYS", 30)),
        # Install starts allowed per source address and per site, each per hour (unauthenticated: bounded).
        "INSTALL_STARTS_PER_HOUR": int(os.environ.get("INSTALL_STARTS_PER_HOUR", 20)),
        # The demo (`make run` sets it): a visitor of /admin/ without a session is signed in to the demo store.
        # Production refuses to start with it (webhooks/production.py).
        "ASSAY_DEMO": os.environ.get("ASSAY_DEMO", "") in {"1", "true", "yes"},
    }


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; `test_config` overrides anything read from the environment."""
    app = Flask("assay", instance_relative_config=True)
    app.config.from_mapping(default_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    check_production(app.config)  # before anything runs with a guessable secret or the demo sign-in
    os.makedirs(app.instance_path, exist_ok=True)
    init_secret_keys(app, None if is_production(app.config) else app.instance_path)
    if not app.testing:
        configure_logging()

    install_guard(app)  # every route's input checks, and errors answered as JSON
    init_storage(app)  # builds nothing until first used
    init_queue(app)
    init_runner(app)
    init_unavailable(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(admin_api_bp)  # the merchant's JSON API, signed in by session token or login link
    app.register_blueprint(admin_api_places_bp)
    app.register_blueprint(admin_login_bp)
    app.register_blueprint(admin_page_bp)  # the settings page itself, at / and /admin/
    # The platforms, one line each: adapter (handlers, planning, writing, verification) and its routes.
    # A demo store's (a domain under .invalid) writes are recorded, never sent; every other store's go through.
    register(app, DemoWrites(shopify.ADAPTER))
    register(app, DemoWrites(woocommerce.ADAPTER))
    return app
