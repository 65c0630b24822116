"""Fixtures and steps for the embedded app: the app configured with a client id, the fake shop origin (token
endpoint + Admin API), and a document load that installs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from flask import Flask
from support import shop_routes
from support.session_tokens import APP_SECRET, CLIENT_ID, session_token
from support.signing import sign

from storage.columns import utc_now
from storage.db import Storage, storage_of
from storage.models import Store
from webhooks.app import create_app

from .fakes.server import LocalServer
from .fakes.shopify import FakeShopify
from .fakes.shopify_oauth import FakeShopifyOrigin


@pytest.fixture
def shop_origin(fake_shopify: FakeShopify) -> Iterator[FakeShopifyOrigin]:
    origin = FakeShopifyOrigin(fake_shopify, CLIENT_ID, APP_SECRET).start()
    with shop_routes.routed(fake_shopify.shop_domain, origin.origin):  # its token endpoint, then the Admin API
        yield origin
    origin.stop()


@pytest.fixture
def embedded_app(storage: Storage, storage_url: str, encryption_keys: str, redis_url: str, queue_name: str,
                 shop_origin: FakeShopifyOrigin) -> Iterator[Flask]:
    made = create_app({"DATABASE_URL": storage_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys, "REDIS_URL": redis_url,
                       "RQ_QUEUE": queue_name, "SHOPIFY_API_SECRET": APP_SECRET, "SHOPIFY_API_KEY": CLIENT_ID,
                       "SHOPIFY_TIMEOUT_SECONDS": 0.5,
                       "WOOCOMMERCE_TIMEOUT_SECONDS": 0.5, "TESTING": True})
    yield made
    storage_of(made).dispose()


@pytest.fixture
def embedded_url(embedded_app: Flask) -> Iterator[str]:
    server = LocalServer(embedded_app, "assay-embedded")
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def open_app(base_url: str, shop: str, **token: object) -> httpx.Response:
    """The merchant opens Assay in the Shopify admin: the app home document with its id_token."""
    params = {"shop": shop, "host": "YWRtaW4uc2hvcGlmeS5jb20", "embedded": "1",
              "id_token": session_token(APP_SECRET, shop, **token)}  # type: ignore[arg-type]
    return httpx.get(f"{base_url}/shopify/app", params=params)


def shop_store(app: Flask, domain: str) -> Store:
    with storage_of(app).sessions() as session:
        from sqlalchemy import select

        return session.scalars(select(Store).where(Store.domain == domain)).one()


def expire_soon(app: Flask, store_id: int, minutes: float = 1) -> None:
    """The stored access token is `minutes` from its end: inside the refresh margin."""
    with storage_of(app).transaction() as session:
        session.get_one(Store, store_id).access_token_expires_at = utc_now() + timedelta(minutes=minutes)


def post_signed_webhook(base_url: str, shop: str, topic: str, payload: dict[str, object], delivery: str
                        ) -> httpx.Response:
    import json

    body = json.dumps(payload).encode()
    return httpx.post(f"{base_url}/webhooks/shopify", content=body, headers={
        "X-Shopify-Hmac-Sha256": sign(APP_SECRET, body), "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": delivery, "Content-Type": "application/json"})
