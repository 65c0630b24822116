"""Issue 21, hole 1: no stranger can take over a connected WooCommerce store through the connect flow.

The attack as reported: start an install for the victim's site with one's own plugin challenge, post made-up keys
to the unsigned callback, follow the return page to a connect code, claim the plugin's secret with one's own
verifier, then sign as the store. Now the return page carries nothing, there is no claim, and a plugin secret is
opened only when the site has accepted the install's keys, then delivered to the site's own plugin, which takes it
only for the connect it started itself.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask
from support.settings import change_settings

from storage.db import storage_of
from storage.models import PluginLink, Store
from storage.repositories import store_credentials
from storage.repositories.plugin_links import plugin_secret

from ..fakes.woocommerce import FakeWooCommerce
from .steps import run_worker, signed

pytestmark = pytest.mark.integration
PLUGIN_PAGE = "/wp-admin/admin.php?page=assay"


@pytest.fixture
def public(app: Flask, base_url: str) -> str:
    change_settings(app, ASSAY_PUBLIC_URL=base_url)
    return base_url


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def start(public: str, site: str, challenge: str) -> str:
    """The install's start as the plugin's Connect makes it; the location the browser is sent to."""
    started = httpx.get(f"{public}/woocommerce/install", params={"store_url": site, "plugin_challenge": challenge})
    assert started.status_code == 302
    return started.headers["location"]


def approve(fake: FakeWooCommerce, location: str) -> httpx.Response:
    """The site's admin approves on wc-auth; the browser follows wherever it is sent."""
    return httpx.get(location, verify=ssl.create_default_context(cafile=fake.certificate.cert_path),
                     follow_redirects=True)


def connect_through_the_plugin(app: Flask, public: str, fake: FakeWooCommerce) -> tuple[int, str]:
    """The merchant's own connect: the plugin keeps a verifier, the admin approves, Assay delivers the secret."""
    fake.plugin.waiting_challenge = challenge_of(secrets.token_urlsafe(48))
    back = approve(fake, start(public, fake.url, fake.plugin.waiting_challenge))
    assert str(back.url) == f"{fake.url}{PLUGIN_PAGE}&assay_connecting=1"
    run_worker(app)
    assert fake.plugin.held is not None
    return int(fake.plugin.held["store_id"]), str(fake.plugin.held["secret"])


def the_store(app: Flask, store_id: int) -> tuple[Store, tuple[str | None, str | None], str | None]:
    storage = storage_of(app)
    with storage.sessions() as session:
        store = session.get_one(Store, store_id)
        credentials = store_credentials(store, storage.cipher)
        return store, (credentials.consumer_key, credentials.consumer_secret), plugin_secret(
            session, storage.cipher, store_id)


def test_made_up_keys_on_the_callback_give_a_stranger_nothing_and_change_nothing(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    store_id, secret = connect_through_the_plugin(app, public, fake)
    _, keys_before, _ = the_store(app, store_id)
    assert signed(public, store_id, secret, "/woocommerce/plugin/status", method="GET").status_code == 200

    verifier = secrets.token_urlsafe(48)
    ticket = parse_qs(urlsplit(start(public, fake.url, challenge_of(verifier))).query)["user_id"][0]
    callback = httpx.post(f"{public}/woocommerce/auth/callback", json={
        "key_id": 1, "user_id": ticket, "consumer_key": "ck_made_up", "consumer_secret": "cs_made_up",
        "key_permissions": "read_write"})
    assert callback.status_code == 200, "the callback can't tell made-up keys: only the site can"
    back = httpx.get(f"{public}/woocommerce/installed", params={"success": "1", "user_id": ticket})
    assert (back.status_code, back.headers["location"]) == (303, f"{fake.url}{PLUGIN_PAGE}&assay_connecting=1")
    claim = httpx.post(f"{public}/woocommerce/plugin/claim", json={"store_url": fake.url, "code": "0" * 64,
                                                                  "verifier": verifier})
    assert claim.status_code in (404, 405), "there is nothing to claim: a secret is never handed to a caller"
    run_worker(app)  # the install's job: the site refuses the made-up keys

    store, keys_after, in_force = the_store(app, store_id)
    assert (store.status, keys_after, in_force) == ("active", keys_before, secret)
    with storage_of(app).sessions() as session:
        assert session.query(PluginLink).count() == 1, "no secret was opened for the stranger's connect"
    assert len(fake.plugin.received) == 1, "only the merchant's own connect reached the plugin"
    assert signed(public, store_id, secret, "/woocommerce/plugin/status", method="GET").status_code == 200
    disconnect = signed(public, store_id, secrets.token_urlsafe(32), "/woocommerce/plugin/disconnect")
    assert disconnect.status_code == 401
    assert the_store(app, store_id)[0].status == "active"


def test_an_install_a_stranger_started_and_the_admin_approved_still_delivers_them_nothing(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    """Phished: the admin approves an install the stranger started with the stranger's challenge. The keys are the
    site's own, but the secret goes to the site's plugin, which did not start that connect and refuses it."""
    fake = fake_woocommerce
    store_id, secret = connect_through_the_plugin(app, public, fake)
    location = start(public, fake.url, challenge_of(secrets.token_urlsafe(48)))
    back = approve(fake, location)
    trail = [str(step.url) for step in (*back.history, back)] + [step.headers.get("location", "")
                                                                 for step in back.history]
    run_worker(app)

    _, _, in_force = the_store(app, store_id)
    assert in_force == secret, "the plugin's secret stays the one it holds"
    assert fake.plugin.held == {"store_id": store_id, "secret": secret}
    assert [sent["challenge"] for sent in fake.plugin.received][-1] != fake.plugin.received[0]["challenge"]
    assert not any(sent["secret"] in url for sent in fake.plugin.received for url in trail), \
        "no secret ever travels through the browser"
    with storage_of(app).sessions() as session:
        assert session.query(PluginLink).count() == 1, "the refused secret was forgotten"


def test_a_new_site_gets_no_plugin_secret_until_its_keys_are_proven(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    ticket = parse_qs(urlsplit(start(public, fake_woocommerce.url, "b" * 43)).query)["user_id"][0]
    assert httpx.post(f"{public}/woocommerce/auth/callback", json={
        "key_id": 1, "user_id": ticket, "consumer_key": "ck_made_up", "consumer_secret": "cs_made_up",
        "key_permissions": "read_write"}).status_code == 200
    with storage_of(app).sessions() as session:
        assert session.query(PluginLink).count() == 0, "nothing opens before the site proves the keys"
    run_worker(app)
    with storage_of(app).sessions() as session:
        assert session.query(PluginLink).count() == 0
        assert [store.status for store in session.query(Store)] == ["pending"]
    assert fake_woocommerce.plugin.received == []
