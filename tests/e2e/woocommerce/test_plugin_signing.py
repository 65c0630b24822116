"""Assay's side of the plugin: the claim refuses a wrong verifier or site, signed requests refuse every fault."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import pytest
from flask import Flask

from connector.woocommerce.plugin_routes import challenge_of
from connector.woocommerce.plugin_signing import sign
from storage.columns import utc_now
from storage.db import storage_of
from storage.repositories.plugin_links import open_plugin_link

from ..fakes.woocommerce import FakeWooCommerce
from .steps import install

pytestmark = pytest.mark.integration
VERIFIER = secrets.token_urlsafe(48)


def opened(app: Flask, store_id: int) -> str:
    """A connect code for the store, as the install's callback leaves it; the code is returned."""
    code = secrets.token_hex(32)
    storage = storage_of(app)
    with storage.transaction() as session:
        open_plugin_link(session, storage.cipher, store_id, code=code, challenge=challenge_of(VERIFIER), now=utc_now())
    return code


def claim(base_url: str, fake: FakeWooCommerce, code: str, verifier: str = VERIFIER) -> httpx.Response:
    return httpx.post(f"{base_url}/woocommerce/plugin/claim",
                      json={"store_url": fake.url, "code": code, "verifier": verifier})


def signed(base_url: str, store_id: int, secret: str, path: str, body: bytes = b"", *, method: str = "POST",
           at: int | None = None, nonce: str | None = None) -> httpx.Response:
    stamp, nonce = at or int(time.time()), nonce or secrets.token_urlsafe(16)
    headers = {"X-Assay-Store": str(store_id), "X-Assay-Timestamp": str(stamp), "X-Assay-Nonce": nonce,
               "X-Assay-Signature": sign(secret, method, path, stamp, nonce, body)}
    return httpx.request(method, f"{base_url}{path}", content=body, headers=headers)


@pytest.fixture
def connected(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> tuple[int, str]:
    app.config["ASSAY_PUBLIC_URL"] = base_url
    store_id = install(app, fake_woocommerce)
    answer = claim(base_url, fake_woocommerce, opened(app, store_id))
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    assert body["store_id"] == store_id
    return store_id, str(body["secret"])


def test_a_code_claimed_with_another_verifier_is_refused_and_spent(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce)
    code = opened(app, store_id)
    assert claim(base_url, fake_woocommerce, code, secrets.token_urlsafe(48)).status_code == 403
    assert claim(base_url, fake_woocommerce, code).status_code == 403, "no second guess at the same code"


def test_a_code_claimed_for_another_site_is_refused(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
                                                   ) -> None:
    code = opened(app, install(app, fake_woocommerce))
    answer = httpx.post(f"{base_url}/woocommerce/plugin/claim",
                        json={"store_url": "https://elsewhere.example", "code": code, "verifier": VERIFIER})
    assert (answer.status_code, answer.json()["error"]) == (403, "unknown_code")


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
