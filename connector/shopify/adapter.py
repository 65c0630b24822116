"""Shopify, as the rest of Assay sees it: the one object `connector.registry` holds for the platform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from flask import Blueprint

from connector.adapter import Handler, HeaderSource, WebhookVerdict
from connector.planning import PlannedAction
from connector.shopify import payloads, privacy, write_back
from connector.shopify.api import AdminApi, shopify_api
from connector.shopify.payloads import HANDLED_TOPICS, PRIVACY_TOPICS
from connector.shopify.reconcile import reconcile_shopify
from connector.shopify.routes import app_bp, proxy_bp
from connector.shopify.verify import (
    NOT_CONFIGURED,
    own_webhook_secret,
    shop_named_elsewhere,
    signing_secrets,
    verify_webhook,
)
from connector.shopify.write_back import write_shopify_action
from storage.db import Storage
from storage.models import CaseRecord, Platform, Store
from storage.repositories import StoreCredentials
from storage.settings import Settings


class ShopifyAdapter:
    name = Platform.SHOPIFY.value
    topics: frozenset[str] = HANDLED_TOPICS
    handlers: Mapping[str, Handler] = {**payloads.HANDLERS, **privacy.HANDLERS}
    blueprints: Sequence[Blueprint] = (proxy_bp, app_bp)
    privacy_topics: frozenset[str] = frozenset(PRIVACY_TOPICS)
    # Shopify resends a delivery that got no 2xx for up to 48 hours.
    replay_horizon = timedelta(hours=48)

    def catch_up(self) -> int:
        """A webhook may still be lost after Shopify's retries: each store's recent orders and waiting returns are
        read again (one job per store), and what was missed goes through the webhooks' own handlers."""
        return reconcile_shopify()

    def verify_webhook(self, headers: HeaderSource, body: bytes, *, url: str, settings: Settings,
                       storage: Storage) -> WebhookVerdict:
        """The app's client secret (or the previous one, mid-rotation) signs every delivery, unless the shop
        has a secret of its own (a custom app's, `stores add --webhook-secret`): then only that one does."""
        own = own_webhook_secret(storage, headers.get("X-Shopify-Shop-Domain"))
        secrets = (own, None) if own else signing_secrets(settings)
        if secrets is None:  # fail closed: a delivery signed with the empty key must not be recorded
            return WebhookVerdict(False, NOT_CONFIGURED, "SHOPIFY_API_SECRET is not set")
        check = verify_webhook(headers, body, *secrets, url=url)
        if not check.ok:
            return WebhookVerdict(False, check.reason, check.detail)
        assert check.topic and check.shop_domain and check.webhook_id  # verified: all three headers are present
        # The app's secret signs every shop's deliveries, so its body is one replay whichever shop's header it wears.
        return WebhookVerdict(True, check.reason, topic=check.topic, shop_domain=check.shop_domain,
                              delivery_key=check.webhook_id, signer=check.shop_domain if own else "")

    def tenant_mismatch(self, topic: str, payload: Mapping[str, Any], domain: str) -> str | None:
        return shop_named_elsewhere(topic, payload, domain)

    def plan_actions(self, decision: Mapping[str, Any], record: CaseRecord, store: Store) -> list[PlannedAction]:
        refs: dict[str, Any] = record.document.get("platform", {})
        return write_back.plan_actions(decision, case_key=record.request_key, request_kind=record.kind,
                                    order_gid=refs["order_gid"], return_gid=refs.get("return_gid"))

    def api_client(self, store: Store, credentials: StoreCredentials, settings: Settings) -> AdminApi:
        return shopify_api(store, credentials, settings)

    def write_action(self, store: Store, credentials: StoreCredentials, kind: str, payload: dict[str, Any],
                     idempotency_key: str, settings: Settings) -> dict[str, Any]:
        return write_shopify_action(store, credentials, payload, idempotency_key, kind, settings)


ADAPTER = ShopifyAdapter()
