"""Managed install and Shopify's expiring offline tokens, against a local fake of the shop's token endpoint,
with real HS256 session tokens."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import text
from support.session_tokens import APP_SECRET, CLIENT_ID, bearer
from support.settings import change_settings

from connector.shopify.api import TokenUnavailable, fresh_access_token, shopify_api
from connector.shopify.payloads import SHOP_FACTS
from connector.shopify.verify import shopify_app
from storage.db import storage_of
from storage.models import StoreStatus
from storage.repositories import add_shopify_store, store_credentials
from storage.repositories.offline_tokens import offline_token
from storage.settings import settings_of

from .fakes.shopify import FakeShopify
from .fakes.shopify_oauth import FakeShopifyOrigin
from .shopify_app import run_worker
from .shopify_app_install import (
    embedded_app,
    embedded_url,
    expire_soon,
    open_app,
    post_signed_webhook,
    shop_origin,
    shop_store,
)

__all__ = ["embedded_app", "embedded_url", "shop_origin"]  # fixtures, used by name

pytestmark = pytest.mark.integration


def test_the_first_document_load_installs_the_shop_by_token_exchange(
    embedded_app: Flask, embedded_url: str, fake_shopify: FakeShopify, shop_origin: FakeShopifyOrigin,
) -> None:
    fake_shopify.state.shop.update(ianaTimezone="Europe/Berlin", shopAddress={"countryCodeV2": "DE"},
                                   currencyCode="EUR")
    answer = open_app(embedded_url, fake_shopify.shop_domain)

    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{fake_shopify.shop_domain} https://admin.shopify.com;")
    # App Bridge as Shopify's app-home docs set it up: the api-key meta tag and app-bridge.js, first in <head>.
    head = answer.text.split("<head>", 1)[1].split("</head>", 1)[0].split()
    assert head[:4] == ["<meta", 'name="shopify-api-key"', f'content="{CLIENT_ID}">',
                        '<script'] and 'src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in head[4]
    store = shop_store(embedded_app, fake_shopify.shop_domain)
    assert (store.status, store.country, store.timezone, store.currency) == ("active", "DE", "Europe/Berlin", "EUR")
    token = offline_token(store, storage_of(embedded_app).cipher)
    assert token.access_token == shop_origin.state.issued[-1] and token.refresh_token
    assert token.expires_at is not None and token.refresh_expires_at is not None
    with storage_of(embedded_app).sessions() as session:  # at rest the pair is Fernet tokens, never plain text
        row = session.execute(text("SELECT access_token_encrypted, refresh_token_encrypted FROM stores")).one()
    assert token.access_token not in row[0] and token.refresh_token not in row[1]
    assert shop_origin.state.exchanges == 1

    assert open_app(embedded_url, fake_shopify.shop_domain).status_code == 200
    assert shop_origin.state.exchanges == 1  # a usable token is kept, not exchanged again


def test_a_document_load_without_a_token_gets_the_bounce_page(embedded_url: str, fake_shopify: FakeShopify) -> None:
    answer = httpx.get(f"{embedded_url}/shopify/app", params={"shop": fake_shopify.shop_domain, "embedded": "1"})
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert "/shopify/patch-id-token?" in location and "shopify-reload=%2Fshopify%2Fapp" in location
    bounce = httpx.get(location)
    assert bounce.status_code == 200
    assert f'data-api-key="{CLIENT_ID}"' in bounce.text and "app-bridge.js" in bounce.text
    assert "frame-ancestors" in bounce.headers["Content-Security-Policy"]


SHOP = "assay-test.myshopify.com"
OTHER_SECRET = "shpss_not_the_apps_secret_0123456789abcdef"
BAD_TOKENS: dict[str, tuple[dict[str, Any], str]] = {
    "expired": ({"expires_in": -60}, "expired_id_token"),
    "not yet valid": ({"not_before_in": 60}, "invalid_id_token"),
    "wrong aud": ({"aud": "someone-elses-app"}, "invalid_aud"),
    "other shop's admin": ({"iss": "https://elsewhere.myshopify.com/admin"}, "iss_not_dest"),
}


@pytest.mark.parametrize("case", BAD_TOKENS, ids=list(BAD_TOKENS))
def test_an_invalid_session_token_gets_401_with_the_reason(embedded_url: str, shop_origin: FakeShopifyOrigin,
                                                           case: str) -> None:
    options, reason = BAD_TOKENS[case]
    answer = httpx.get(f"{embedded_url}/admin/api/session", headers=bearer(APP_SECRET, SHOP, **options))
    assert answer.status_code == 401 and answer.json()["error"] == reason
    assert answer.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert shop_origin.state.exchanges == 0


def test_a_token_signed_with_another_secret_gets_401(embedded_url: str) -> None:
    answer = httpx.get(f"{embedded_url}/admin/api/session", headers=bearer(OTHER_SECRET, SHOP))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_id_token"


def test_a_token_of_another_shop_on_this_shops_page_gets_401(embedded_url: str) -> None:
    answer = httpx.get(f"{embedded_url}/admin/api/session", params={"shop": "elsewhere.myshopify.com"},
                       headers=bearer(APP_SECRET, SHOP))
    assert answer.status_code == 401 and answer.json()["error"] == "other_shop"


def test_a_token_signed_with_the_previous_secret_is_accepted_during_a_rotation(
    embedded_app: Flask, embedded_url: str, fake_shopify: FakeShopify,
) -> None:
    change_settings(embedded_app, SHOPIFY_API_SECRET=OTHER_SECRET, SHOPIFY_API_SECRET_PREVIOUS=APP_SECRET)
    answer = httpx.get(f"{embedded_url}/admin/api/session", headers=bearer(APP_SECRET, fake_shopify.shop_domain))
    # the token exchange is signed with the new secret, which the fake doesn't know: refused, never a 500
    assert answer.status_code == 401 and answer.json()["error"] == "token_exchange_refused"


def _installed(app: Flask, base_url: str, fake: FakeShopify) -> int:
    assert open_app(base_url, fake.shop_domain).status_code == 200
    return shop_store(app, fake.shop_domain).id


def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(
    embedded_app: Flask, embedded_url: str, fake_shopify: FakeShopify, shop_origin: FakeShopifyOrigin,
) -> None:
    store_id = _installed(embedded_app, embedded_url, fake_shopify)
    first_refresh = offline_token(shop_store(embedded_app, fake_shopify.shop_domain),
                                  storage_of(embedded_app).cipher).refresh_token
    expire_soon(embedded_app, store_id)
    shop_origin.state.delay_seconds = 0.3
    app_config = shopify_app(settings_of(embedded_app))
    assert app_config is not None
    got: list[str] = []
    start = threading.Barrier(2)

    def worker() -> None:
        with embedded_app.app_context():
            start.wait()
            got.append(fresh_access_token(storage_of(embedded_app), app_config, store_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert first_refresh is not None and shop_origin.state.uses[first_refresh] == 1
    assert sum(shop_origin.state.uses.values()) == 1
    assert got == [shop_origin.state.issued[-1]] * 2
    stored = offline_token(shop_store(embedded_app, fake_shopify.shop_domain), storage_of(embedded_app).cipher)
    assert stored.refresh_token != first_refresh and stored.usable()


def test_a_lost_refresh_answer_keeps_the_old_pair_and_the_next_try_recovers(
    embedded_app: Flask, embedded_url: str, fake_shopify: FakeShopify, shop_origin: FakeShopifyOrigin,
) -> None:
    store_id = _installed(embedded_app, embedded_url, fake_shopify)
    cipher = storage_of(embedded_app).cipher
    before = offline_token(shop_store(embedded_app, fake_shopify.shop_domain), cipher)
    expire_soon(embedded_app, store_id)
    shop_origin.lose_next_answers(1)
    app_config = shopify_app(settings_of(embedded_app))
    assert app_config is not None
    with embedded_app.app_context(), pytest.raises(TokenUnavailable):
        fresh_access_token(storage_of(embedded_app), app_config, store_id)
    kept = offline_token(shop_store(embedded_app, fake_shopify.shop_domain), cipher)
    assert kept.refresh_token == before.refresh_token  # not stranded: the old refresh token is still held

    with embedded_app.app_context():
        token = fresh_access_token(storage_of(embedded_app), app_config, store_id)
    assert before.refresh_token is not None and shop_origin.state.uses[before.refresh_token] == 2
    assert token == shop_origin.state.issued[-1] == fake_shopify.access_token


def test_an_expiring_token_is_refreshed_before_an_admin_api_call(
    embedded_app: Flask, embedded_url: str, fake_shopify: FakeShopify, shop_origin: FakeShopifyOrigin,
) -> None:
    store_id = _installed(embedded_app, embedded_url, fake_shopify)
    expire_soon(embedded_app, store_id)
    store = shop_store(embedded_app, fake_shopify.shop_domain)
    with embedded_app.app_context():
        credentials = store_credentials(store, storage_of(embedded_app).cipher)
        with shopify_api(store, credentials, settings_of(embedded_app)) as api:
            assert api.execute(SHOP_FACTS)["shop"]["currencyCode"]
    assert sum(shop_origin.state.uses.values()) == 1


def test_a_store_added_with_a_non_expiring_token_keeps_working(
    embedded_app: Flask, embedded_url: str, fake_shopify: FakeShopify, shop_origin: FakeShopifyOrigin,
) -> None:
    storage = storage_of(embedded_app)
    with storage.transaction() as session:
        add_shopify_store(session, storage.cipher, domain=fake_shopify.shop_domain,
                          access_token=fake_shopify.access_token)
    store = shop_store(embedded_app, fake_shopify.shop_domain)
    with embedded_app.app_context(), shopify_api(store, store_credentials(store, storage.cipher),
                                                 settings_of(embedded_app)) as api:
        assert api.execute(SHOP_FACTS)["shop"]
    answer = httpx.get(f"{embedded_url}/admin/api/session", headers=bearer(APP_SECRET, fake_shopify.shop_domain))
    assert answer.status_code == 200 and answer.json()["store"]["domain"] == fake_shopify.shop_domain
    assert shop_origin.state.exchanges == 0 and not shop_origin.state.uses


def test_uninstalling_deletes_the_tokens_and_a_reinstall_exchanges_anew(
    embedded_app: Flask, embedded_url: str, fake_shopify: FakeShopify, shop_origin: FakeShopifyOrigin,
) -> None:
    _installed(embedded_app, embedded_url, fake_shopify)
    payload = {"id": 1, "myshopify_domain": fake_shopify.shop_domain}  # the shop names itself, as Shopify's does
    answer = post_signed_webhook(embedded_url, fake_shopify.shop_domain, "app/uninstalled", payload, "uninstall-1")
    assert answer.status_code == 200
    run_worker(embedded_app)
    store = shop_store(embedded_app, fake_shopify.shop_domain)
    assert store.status == StoreStatus.UNINSTALLED.value
    assert (store.access_token_encrypted, store.refresh_token_encrypted, store.access_token_expires_at) == (
        None, None, None)

    assert open_app(embedded_url, fake_shopify.shop_domain).status_code == 200
    assert shop_origin.state.exchanges == 2
    assert shop_store(embedded_app, fake_shopify.shop_domain).status == StoreStatus.ACTIVE.value
