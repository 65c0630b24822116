"""Fail closed: with no Shopify secret configured nothing signed with the empty key is accepted, and every Shopify
route answers 503 `not_configured`; WooCommerce refuses what no store's own secret signed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select
from support.session_tokens import CLIENT_ID
from support.signing import sign

from storage.db import Storage, storage_of
from storage.models import CaseRecord, Event
from webhooks.app import create_app

from .fakes.server import LocalServer

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")]
SHOP = "assay-test.myshopify.com"


@pytest.fixture
def unconfigured_url(storage: Storage, storage_url: str, encryption_keys: str, redis_url: str, queue_name: str
                     ) -> Iterator[tuple[Flask, str]]:
    app = create_app({"DATABASE_URL": storage_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys, "REDIS_URL": redis_url,
                      "RQ_QUEUE": queue_name, "SHOPIFY_API_SECRET": "", "SHOPIFY_API_KEY": CLIENT_ID,
                      "TESTING": True})
    server = LocalServer(app, "assay-unconfigured")
    server.start()
    yield app, f"http://127.0.0.1:{server.port}"
    server.stop()
    storage_of(app).dispose()


def _stored(app: Flask) -> tuple[int, int]:
    with storage_of(app).sessions() as session:
        return (session.scalar(select(func.count()).select_from(Event)) or 0,
                session.scalar(select(func.count()).select_from(CaseRecord)) or 0)


def test_a_webhook_signed_with_the_empty_key_gets_503_and_nothing_is_stored(
    unconfigured_url: tuple[Flask, str],
) -> None:
    app, base_url = unconfigured_url
    body = json.dumps({"id": 1, "admin_graphql_api_id": "gid://shopify/Order/1"}).encode()
    answer = httpx.post(f"{base_url}/webhooks/shopify", content=body, headers={
        "X-Shopify-Hmac-Sha256": sign("", body), "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": "empty-key-1", "Content-Type": "application/json"})
    assert answer.status_code == 503 and answer.json()["error"] == "not_configured"
    assert _stored(app) == (0, 0)


def test_every_shopify_route_answers_503_not_configured(unconfigured_url: tuple[Flask, str]) -> None:
    app, base_url = unconfigured_url
    token = "eyJhbGciOiJIUzI1NiJ9.e30.signed-with-nothing"  # no secret exists to sign a real one with
    answers = [
        httpx.post(f"{base_url}/proxy/shopify/cancel?shop={SHOP}&signature=00", data={"order_id": "1"}),
        httpx.get(f"{base_url}/shopify/app", params={"shop": SHOP, "id_token": token}),
        httpx.get(f"{base_url}/shopify/patch-id-token", params={"shop": SHOP, "shopify-reload": "/shopify/app"}),
        httpx.get(f"{base_url}/admin/api/cases", headers={"Authorization": f"Bearer {token}"}),
    ]
    assert [(a.status_code, a.json()["error"]) for a in answers] == [(503, "not_configured")] * 4
    assert "SHOPIFY_API_SECRET" in answers[0].json()["detail"]
    assert _stored(app) == (0, 0)


def test_a_woocommerce_delivery_no_stores_secret_signed_is_refused_and_not_stored(
    unconfigured_url: tuple[Flask, str],
) -> None:
    app, base_url = unconfigured_url
    body = json.dumps({"id": 101}).encode()
    answer = httpx.post(f"{base_url}/webhooks/woocommerce", content=body, headers={
        "X-WC-Webhook-Signature": sign("", body), "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "d1", "Content-Type": "application/json"})
    assert answer.status_code == 401 and answer.json()["error"] == "unknown_store"
    assert _stored(app) == (0, 0)
