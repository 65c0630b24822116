"""`assay shopify config` (the app's shopify.app.toml for this deployment) and `assay stores login-link`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from cli.stores import one_store, reports_storage_errors, stores_group
from connector.shopify.install import ALL_DOCUMENTS, app_toml
from storage.db import storage_of
from storage.repositories.admin_access import issue_login_link
from storage.settings import settings_of

shopify_group = AppGroup("shopify", help="The Shopify app's own configuration.")


@shopify_group.command("config")
def shopify_config() -> None:
    """Print shopify.app.toml filled in from SHOPIFY_API_KEY and ASSAY_PUBLIC_URL."""
    settings = settings_of(current_app)
    client_id, url = settings.shopify_api_key, settings.public_url
    missing = [name for name, value in (("SHOPIFY_API_KEY", client_id), ("ASSAY_PUBLIC_URL", url)) if not value]
    if not url.startswith("https://") and url:
        missing.append("ASSAY_PUBLIC_URL (an https:// URL)")
    if missing:
        raise click.ClickException(f"set {' and '.join(missing)} to make this deployment's shopify.app.toml")
    if not settings.shopify_api_secret:
        click.echo("warning: SHOPIFY_API_SECRET is not set; every Shopify route answers 503 until it is", err=True)
    click.echo(app_toml(ALL_DOCUMENTS, client_id=client_id, public_url=url), nl=False)


@stores_group.command("login-link")
@click.option("--domain", required=True, help="The store's domain (or site URL).")
@click.option("--platform", type=click.Choice(["shopify", "woocommerce"]), default=None)
@click.option("--by", "person", default="merchant", show_default=True, help="Who will sign in (kept on decisions).")
@click.option("--minutes", type=click.IntRange(1, 1440), default=15, show_default=True)
@reports_storage_errors
def stores_login_link(domain: str, platform: str | None, person: str, minutes: int) -> None:
    """Print a single-use sign-in link to the admin, valid for --minutes."""
    url = settings_of(current_app).public_url.rstrip("/")
    if not url:
        raise click.ClickException("set ASSAY_PUBLIC_URL (where merchants reach Assay) to make a login link")
    with storage_of(current_app).transaction() as session:
        store = one_store(session, domain, platform)
        if store.status != "active":
            raise click.ClickException(f"store {store.domain} is {store.status}")
        secret = issue_login_link(session, store.id, person, lifetime=timedelta(minutes=minutes))
    click.echo(f"{url}/admin/login/{secret}")
