"""Reaching a Shopify store: its Admin API client, and write-backs with retryable errors told apart."""

from __future__ import annotations

from typing import Any

from flask import current_app

from connector.adapter import TransientWriteError, WriteDeferred
from connector.outages import outage_gate
from connector.shopify.admin_api import AdminApi, RetryPolicy
from connector.shopify.admin_errors import ShopifyUnavailable
from connector.shopify.app_config import WHAT_TO_SET, shopify_app
from connector.shopify.client import write_back
from connector.shopify.offline_tokens import fresh_access_token
from connector.shopify.pace_store import JobPacer, pace_store
from storage.db import storage_of
from storage.models import Store
from storage.repositories import StoreCredentials
from storage.repositories.offline_tokens import OfflineToken
from storage.settings import Settings

INLINE_WAIT_SECONDS = 1.0
# The longest a write waits in place for its slot in the store's bucket: about a write's own work. A longer wait
# is put off to the slot instead, so a backlogged store's writes never hold workers while other stores' wait.
PACE_INLINE_WAIT_SECONDS = 0.1


def shopify_api(store: Store, credentials: StoreCredentials, settings: Settings,
                pacer: JobPacer | None = None) -> AdminApi:
    token = credentials.access_token
    if store.access_token_expires_at is not None and not offline_token_usable(store, token):
        token = _refreshed(store, settings)  # an expiring offline token near its end: refreshed under the lock
    if not token:
        raise PermissionError(f"store {store.domain} has no access token (uninstalled?)")
    # A job waits at most a second in place, in all; a longer backoff or throttle wait reschedules the job
    # instead, and so does a request Shopify left unanswered or answered 5xx (a hanging shop holds a job for one
    # timeout); after that, the shop's breaker holds its calls unsent until a probe finds it answering.
    retry = RetryPolicy(max_inline_wait_seconds=INLINE_WAIT_SECONDS, inline_wait_budget_seconds=INLINE_WAIT_SECONDS,
                        retry_outages_inline=False)
    return AdminApi(store.domain, token, admin_origin=store.api_base_url,
                    timeout_seconds=settings.shopify_timeout_seconds, retry=retry,
                    on_cost=pacer.observe if pacer else None,
                    gate=outage_gate(current_app.extensions, f"shopify:{store.domain}"))


def offline_token_usable(store: Store, token: str | None) -> bool:
    return OfflineToken(token, store.access_token_expires_at, None, None).usable()


def _refreshed(store: Store, settings: Settings) -> str:
    app = shopify_app(settings)
    if app is None:
        raise PermissionError(f"store {store.domain}'s token needs a refresh, and {WHAT_TO_SET}")
    return fresh_access_token(storage_of(current_app), app, store.id)


def write_shopify_action(store: Store, credentials: StoreCredentials, payload: dict[str, Any], key: str,
                         kind: str, settings: Settings) -> dict[str, Any]:
    """The write, paced to the store's bucket: a job whose cost won't fit yet is put off to its slot unsent (before
    a client is even made, so a put-off job costs the worker next to nothing)."""
    ledger = pace_store(current_app.extensions)
    pacer = JobPacer(ledger, store.domain, key, kind) if ledger else None
    wait = pacer.admit() if pacer else 0.0
    if wait > PACE_INLINE_WAIT_SECONDS:
        raise WriteDeferred(f"{store.domain}'s Shopify bucket has room for this write in {wait:.2f}s", retry_after=wait)
    completed = False
    try:
        with shopify_api(store, credentials, settings, pacer) as api:
            if wait > 0:
                api.sleep(wait)
            result = write_back(api, kind, payload, key)
            completed = True
            return result
    except ShopifyUnavailable as error:
        raise TransientWriteError(str(error), retry_after=error.retry_after, held_for=error.held_for) from error
    finally:
        if pacer:
            pacer.release(completed=completed)
