"""Reaching a Shopify store: its Admin API client, and write-backs with retryable errors told apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.adapter import TransientWriteError
from connector.shopify.admin_api import AdminApi, RetryPolicy
from connector.shopify.admin_errors import ShopifyUnavailable
from connector.shopify.client import write_back
from storage.models import Store
from storage.repositories import StoreCredentials

INLINE_WAIT_SECONDS = 1.0


def shopify_api(store: Store, credentials: StoreCredentials, config: Mapping[str, Any]) -> AdminApi:
    if not credentials.access_token:
        raise PermissionError(f"store {store.domain} has no access token (uninstalled?)")
    timeout = float(config.get("SHOPIFY_TIMEOUT_SECONDS", 10))
    # A job waits at most a second in place; a longer backoff or throttle wait reschedules the job instead.
    retry = RetryPolicy(max_inline_wait_seconds=INLINE_WAIT_SECONDS)
    return AdminApi(store.domain, credentials.access_token, admin_origin=store.api_base_url, timeout_seconds=timeout,
                    retry=retry)


def write_shopify_action(store: Store, credentials: StoreCredentials, payload: dict[str, Any], key: str,
                         kind: str, config: Mapping[str, Any]) -> dict[str, Any]:
    with shopify_api(store, credentials, config) as api:
        try:
            return write_back(api, kind, payload, key)
        except ShopifyUnavailable as error:
            raise TransientWriteError(str(error), retry_after=error.retry_after) from error
