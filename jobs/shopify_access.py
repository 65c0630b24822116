"""Reaching a Shopify store from a job: its Admin API client, and write-backs with retryable errors told apart."""

from __future__ import annotations

from typing import Any

from flask import current_app

from connector.shopify.admin_api import AdminApi
from connector.shopify.admin_errors import ShopifyUnavailable
from jobs.actions import TransientWriteError
from storage.models import Store
from storage.repositories import StoreCredentials


def shopify_api(store: Store, credentials: StoreCredentials) -> AdminApi:
    if not credentials.access_token:
        raise PermissionError(f"store {store.domain} has no access token (uninstalled?)")
    timeout = float(current_app.config.get("SHOPIFY_TIMEOUT_SECONDS", 10))
    return AdminApi(store.domain, credentials.access_token, admin_origin=store.api_base_url, timeout_seconds=timeout)


def write_shopify_action(store: Store, credentials: StoreCredentials, payload: dict[str, Any], key: str,
                         kind: str) -> dict[str, Any]:
    from connector.shopify.client import write_back

    with shopify_api(store, credentials) as api:
        try:
            return write_back(api, kind, payload, key)
        except ShopifyUnavailable as error:
            raise TransientWriteError(str(error)) from error
