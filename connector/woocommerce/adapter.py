"""WooCommerce, as the rest of Assay sees it: the one object `connector.registry` holds for the platform.

A delivery names its site in X-WC-Webhook-Source, and that store's webhook secret checks the signature. The
inbox key is the delivery id with the topic and a digest of the body: WooCommerce makes delivery ids from the
webhook's id and the current second, so two different deliveries within a second can share an id, while a
repeat of the same delivery has the same topic and body too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from flask import Blueprint

from connector.adapter import Handler, HeaderSource, WebhookVerdict
from connector.planning import PlannedAction
from connector.woocommerce.access import plan_woocommerce_actions, woocommerce_api, write_woocommerce_action
from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.events import HANDLERS
from connector.woocommerce.form_answers import bp as form_answers_bp
from connector.woocommerce.form_routes import bp as forms_bp
from connector.woocommerce.install_routes import bp as install_bp
from connector.woocommerce.plugin_routes import bp as plugin_bp
from connector.woocommerce.tenancy import links_elsewhere
from connector.woocommerce.topics import HANDLED_TOPICS
from connector.woocommerce.verify import read_delivery, verify_webhook
from storage.db import Storage
from storage.models import CaseRecord, Platform, Store
from storage.repositories import StoreCredentials, stored_domain
from storage.settings import Settings

WOOCOMMERCE = Platform.WOOCOMMERCE.value


class WooCommerceAdapter:
    name = WOOCOMMERCE
    topics: frozenset[str] = HANDLED_TOPICS
    handlers: Mapping[str, Handler] = HANDLERS
    blueprints: Sequence[Blueprint] = (forms_bp, form_answers_bp, install_bp, plugin_bp)
    privacy_topics: frozenset[str] = frozenset()  # WooCommerce has no privacy webhooks
    # WooCommerce never resends a delivery itself; a day covers a merchant's "resend" and a proxy's retries.
    replay_horizon = timedelta(hours=24)

    def catch_up(self) -> int:
        """WooCommerce never resends a webhook: the poll re-reads each store's recently modified orders."""
        from connector.woocommerce.poll import poll_woocommerce  # poll.py reaches the registry's runner

        return sum(1 for report in poll_woocommerce() if report.error)

    def verify_webhook(self, headers: HeaderSource, body: bytes, *, url: str, settings: Settings,
                       storage: Storage) -> WebhookVerdict:
        """The creation ping passes unsigned; anything else is checked with the secret of the site it names."""
        delivery = read_delivery(headers, body)
        if delivery.reason == "ping":  # sent once when the webhook is created; WooCommerce keeps it only on a 200
            return WebhookVerdict(True, "ping", ping=True, webhook_id=delivery.webhook_id)
        if delivery.reason != "headers_present":
            return WebhookVerdict(False, delivery.reason, delivery.detail)
        assert delivery.source is not None
        store = storage.store_facts(WOOCOMMERCE, stored_domain(delivery.source))
        secret = store.webhook_secret if store is not None else None
        domain = store.domain if store is not None else None
        if domain is None or not secret:
            return WebhookVerdict(False, "unknown_store", f"no WooCommerce store is set up for {delivery.source}")
        check = verify_webhook(headers, body, secret)
        if not check.ok:
            return WebhookVerdict(False, check.reason, check.detail)
        assert check.topic and check.delivery_id  # verified: the headers are present
        inbox_key = f"{check.delivery_id}:{check.topic}:{hashlib.sha256(body).hexdigest()[:16]}"
        return WebhookVerdict(True, check.reason, topic=check.topic, shop_domain=domain, delivery_key=inbox_key,
                              signer=domain)  # each site signs with its own secret

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
