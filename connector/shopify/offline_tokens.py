"""Shopify's expiring offline tokens: got by token exchange on install, refreshed before they expire.

The calls to Shopify's token endpoint are shopify_app's (`token_exchange`, `refresh_access_token`); what it
lacks is here: storing the pair (storage.repositories.offline_tokens), and the per-store lock a refresh runs
under, because the refresh token rotates and two workers must never both spend it.

A lost answer (the connection dropped after Shopify issued the new pair) must not strand the store: the stored
pair is left as it was and the refresh is tried again later with the same refresh token, which Shopify keeps
usable until its replacement is first used ("More resilient refreshes for expiring offline access tokens").
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
from shopify_app.exchange.refresh_token import refresh_access_token
from shopify_app.exchange.token_exchange import token_exchange
from shopify_app.types import IdTokenDetails, TokenExchangeResult

from connector.adapter import TransientWriteError
from connector.shopify.admin_api import OriginOverride
from connector.shopify.app_config import ShopifyApp
from storage.db import Storage
from storage.repositories.offline_tokens import (
    OfflineToken,
    forget_offline_token,
    lock_store_tokens,
    offline_token,
    save_offline_token,
)

log = logging.getLogger("assay.shopify.tokens")
_SUFFIX = ".myshopify.com"


class TokenRefused(PermissionError):
    """Shopify refused the exchange or the refresh token (revoked, expired, app removed): a person must open the app."""


class TokenUnavailable(TransientWriteError):
    """Shopify's token endpoint could not be reached or answered nothing usable: try again later, nothing lost."""


def token_http(app: ShopifyApp) -> httpx.Client:
    transport = OriginOverride(app.api_origin) if app.api_origin else None
    return httpx.Client(timeout=app.timeout_seconds, transport=transport)


def _instant(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _pair(result: TokenExchangeResult) -> OfflineToken:
    token = result.access_token
    assert token is not None  # ok results carry it
    return OfflineToken(token.token, _instant(token.expires), token.refresh_token or None,
                        _instant(token.refresh_token_expires))


def _failed(result: TokenExchangeResult, shop: str, what: str) -> Exception:
    code = result.log.code
    log.warning("shopify.token_failed", extra={"shop": shop, "operation": what, "code": code})
    if code in ("network_error", "server_error", "rate_limit_exceeded"):
        return TokenUnavailable(f"{what} for {shop}: {code}")
    return TokenRefused(f"{what} for {shop} refused: {code}")


def exchange_offline_token(app: ShopifyApp, id_token: IdTokenDetails) -> OfflineToken:
    """Trade a verified session token for an expiring offline token and its refresh token."""
    shop = str(id_token.claims.get("dest", ""))
    with token_http(app) as http:
        result = token_exchange("offline", app.sdk_config(), id_token=id_token, expiring=True, http_client=http)
    if not result.ok or result.access_token is None:
        raise _failed(result, shop, "token exchange")
    log.info("shopify.token_exchanged", extra={"shop": shop})
    return _pair(result)


def _refresh(app: ShopifyApp, shop_domain: str, token: OfflineToken) -> OfflineToken:
    shop = shop_domain.removesuffix(_SUFFIX)
    # `expires` left empty: the decision to refresh was made under the lock, not by the SDK's own 60 s rule.
    stale = {"access_mode": "offline", "shop": shop, "refresh_token": token.refresh_token, "expires": "",
             "refresh_token_expires": token.refresh_expires_at.isoformat() if token.refresh_expires_at else ""}
    with token_http(app) as http:
        result = refresh_access_token(stale, app.sdk_config(), http_client=http)
    if not result.ok or result.access_token is None:
        raise _failed(result, shop_domain, "token refresh")
    return _pair(result)


def fresh_access_token(storage: Storage, app: ShopifyApp, store_id: int) -> str:
    """A usable access token for the store, refreshed first if it is near its end — under the store's lock.

    The lock (the store's row, FOR UPDATE) is held across the call to Shopify, so a second worker waits and then
    reads the pair the first one stored. A refused refresh forgets the pair (the next admin visit exchanges anew);
    a lost answer keeps the old pair, whose refresh token Shopify still honours, and raises TokenUnavailable.
    """
    refused: TokenRefused | None = None
    with storage.transaction() as session:
        store = lock_store_tokens(session, store_id)
        token = offline_token(store, storage.cipher)
        if token.usable():
            assert token.access_token is not None
            return token.access_token
        if not token.refreshable():
            refused = TokenRefused(f"store {store.domain} has no usable offline token; the merchant must open the app")
        else:
            try:
                fresh = _refresh(app, store.domain, token)
            except TokenRefused as error:
                refused = error
        if refused is not None:
            forget_offline_token(store)  # committed on leaving the block: raising inside would roll it back
        else:
            save_offline_token(store, storage.cipher, fresh)
            log.info("shopify.token_refreshed", extra={"store_id": store_id})
    if refused is not None:
        raise refused
    assert fresh.access_token is not None
    return fresh.access_token
