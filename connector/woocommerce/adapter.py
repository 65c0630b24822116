"""WooCommerce, as the rest of Assay sees it: the one object `connector.registry` holds for the platform, wiring
the rooms together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from flask import Blueprint

from connector.adapter import Handler, HeaderSource, WebhookVerdict
from connector.planning import PlannedAction
from connector.woocommerce.api import WooCommerceApi, woocommerce_api
from connector.woocommerce.install import HANDLED_TOPICS, install_bp, plugin_bp
from connector.woocommerce.payloads import HANDLERS
from connector.woocommerce.poll import poll_woocommerce
from connector.woocommerce.storefront import answers_bp, forms_bp
from connector.woocommerce.verify import links_elsewhere, verify_delivery
from connector.woocommerce.write_back import plan_woocommerce_actions, write_woocommerce_action
from storage.db import Storage
from storage.models import CaseRecord, Platform, Store
from storage.repositories import StoreCredentials
from storage.settings import Settings

WOOCOMMERCE = Platform.WOOCOMMERCE.value


class WooCommerceAdapter:
    name = WOOCOMMERCE
    topics: frozenset[str] = HANDLED_TOPICS
    handlers: Mapping[str, Handler] = HANDLERS
    blueprints: Sequence[Blueprint] = (forms_bp, answers_bp, install_bp, plugin_bp)
    privacy_topics: frozenset[str] = frozenset()  # WooCommerce has no privacy webhooks
    # WooCommerce never resends a delivery itself; a day covers a merchant's "resend" and a proxy's retries.
    replay_horizon = timedelta(hours=24)

    def catch_up(self) -> int:
        """WooCommerce never resends a webhook: the poll re-reads each store's recently modified orders."""
        return sum(1 for report in poll_woocommerce() if report.error)

    def verify_webhook(self, headers: HeaderSource, body: bytes, *, url: str, settings: Settings,
                       storage: Storage) -> WebhookVerdict:
        return verify_delivery(headers, body, storage)

    def tenant_mismatch(self, topic: str, payload: Mapping[str, Any], domain: str) -> str | None:
        """An order names the REST URL it lives at (`_links.self`): it must be on the store's own site."""
        return links_elsewhere(payload, domain)

    def plan_actions(self, decision: Mapping[str, Any], record: CaseRecord, store: Store) -> list[PlannedAction]:
        return plan_woocommerce_actions(decision, record, store)

    def api_client(self, store: Store, credentials: StoreCredentials, settings: Settings) -> WooCommerceApi:
        return woocommerce_api(store, credentials, settings)

    def write_action(self, store: Store, credentials: StoreCredentials, kind: str, payload: dict[str, Any],
                     idempotency_key: str, settings: Settings) -> dict[str, Any]:
        return write_woocommerce_action(store, credentials, payload, idempotency_key, kind, settings)


ADAPTER = WooCommerceAdapter()
