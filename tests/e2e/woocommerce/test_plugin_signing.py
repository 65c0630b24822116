"""Assay's side of the plugin: a secret reaches only the plugin whose connect it is, signed requests refuse every
fault."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import pytest
from flask import Flask
from support.settings import change_settings

from connector.woocommerce.install import deliver_plugin_secret
from connector.woocommerce.verify import sign
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import PluginLink
from storage.repositories.plugin_links import open_plugin_link, plugin_secret

from ..fakes.woocommerce import FakeWooCommerce
from ..fakes.woocommerce_plugin import FakeAssayPlugin
from .steps import install, signed

pytestmark = pytest.mark.integration
CHALLENGE = "c" * 43  # base64url(SHA-256(the verifier the site's plugin kept at Connect))


def delivered(app: Flask, store_id: int, challenge: str = CHALLENGE) -> bool:
    """A secret opened for the plugin with `challenge`, as a proven install leaves it, then delivered to the site."""
    storage = storage_of(app)
    with storage.transaction() as session:
        open_plugin_link(session, storage.cipher, store_id, challenge=challenge, now=utc_now())
    with app.app_context():
        return deliver_plugin_secret(store_id)


@pytest.fixture
def connected(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> tuple[int, str]:
    change_settings(app, ASSAY_PUBLIC_URL=base_url)
    store_id = install(app, fake_woocommerce)
    fake_woocommerce.plugin.waiting_challenge = CHALLENGE
    assert delivered(app, store_id)
    held: dict[str, Any] | None = fake_woocommerce.plugin.held
    assert held is not None and held["store_id"] == store_id
    return store_id, str(held["secret"])


def secret_in_force(app: Flask, store_id: int) -> str | None:
    storage = storage_of(app)
    with storage.sessions() as session:
        return plugin_secret(session, storage.cipher, store_id)


def test_a_secret_for_a_connect_the_sites_plugin_did_not_start_is_refused_there_and_dropped(
    app: Flask, connected: tuple[int, str], fake_woocommerce: FakeWooCommerce
) -> None:
    store_id, secret = connected
    assert not delivered(app, store_id, challenge="a" * 43), "the plugin is not waiting on this challenge: 409"
    assert secret_in_force(app, store_id) == secret, "the delivered secret stays in force"
    with storage_of(app).sessions() as session:
        assert session.query(PluginLink).count() == 1, "the refused secret is forgotten"


def test_a_secret_for_a_site_without_the_plugin_is_dropped(app: Flask, fake_woocommerce: FakeWooCommerce) -> None:
    store_id = install(app, fake_woocommerce)
    fake_woocommerce.plugin = FakeAssayPlugin(installed=False)
    assert not delivered(app, store_id)
    assert secret_in_force(app, store_id) is None


def test_a_secret_delivered_twice_is_one_secret(app: Flask, connected: tuple[int, str],
                                                fake_woocommerce: FakeWooCommerce) -> None:
    store_id, secret = connected
    with app.app_context():
        assert not deliver_plugin_secret(store_id), "nothing is pending once delivered"
    assert secret_in_force(app, store_id) == secret and len(fake_woocommerce.plugin.received) == 1


def test_a_login_link_is_minted_once_per_signed_request(base_url: str, connected: tuple[int, str]) -> None:
    store_id, secret = connected
    body = json.dumps({"person": "anna@shop.example"}).encode()
    nonce = secrets.token_urlsafe(16)
    first = signed(base_url, store_id, secret, "/woocommerce/plugin/login-link", body, nonce=nonce)
    again = signed(base_url, store_id, secret, "/woocommerce/plugin/login-link", body, nonce=nonce)
    assert first.status_code == 200 and first.json()["url"].startswith(f"{base_url}/admin/login/")
    assert (again.status_code, again.json()["error"]) == (401, "replayed_request")


@pytest.mark.parametrize(("fault", "reason"), [("stale", "stale_request"), ("secret", "invalid_signature"),
                                               ("body", "invalid_signature"), ("path", "invalid_signature")])
def test_a_stale_or_badly_signed_request_is_refused(base_url: str, connected: tuple[int, str], fault: str,
                                                    reason: str) -> None:
    store_id, secret = connected
    path, body = "/woocommerce/plugin/login-link", b'{"person": "anna@shop.example"}'
    stamp = int(time.time()) - 3600 if fault == "stale" else int(time.time())
    nonce = secrets.token_urlsafe(16)
    signature = sign("another-secret" if fault == "secret" else secret, "POST",
                     "/woocommerce/plugin/disconnect" if fault == "path" else path, stamp, nonce, body)
    answer = httpx.post(f"{base_url}{path}", content=b"{}" if fault == "body" else body, headers={
        "X-Assay-Store": str(store_id), "X-Assay-Timestamp": str(stamp), "X-Assay-Nonce": nonce,
        "X-Assay-Signature": signature})
    assert (answer.status_code, answer.json()["error"]) == (401, reason)


def test_an_unsigned_request_names_every_missing_header(base_url: str) -> None:
    answer = httpx.get(f"{base_url}/woocommerce/plugin/status")
    assert answer.status_code == 400
    for header in ("X-Assay-Store", "X-Assay-Timestamp", "X-Assay-Nonce", "X-Assay-Signature"):
        assert header in answer.json()["detail"]
