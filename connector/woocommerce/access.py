"""Reaching a WooCommerce site: its REST client and calendar, order snapshots, and write-backs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from connector.adapter import TransientWriteError
from connector.outages import outage_gate
from connector.planning import PlannedAction
from connector.woocommerce.actions import plan_actions
from connector.woocommerce.client import RetryPolicy, WooCommerceApi
from connector.woocommerce.errors import WooCommerceRejected, WooCommerceUnavailable
from connector.woocommerce.refund_lines import refunded_quantities
from connector.woocommerce.schemas import (
    ProductKey,
    ProductSnapshot,
    WooOrder,
    order_document,
    payment_document,
    product_snapshot,
)
from connector.woocommerce.site import site_calendar
from connector.woocommerce.statuses import StatusMapping, load_status_mapping
from connector.woocommerce.writers import write_back
from storage.models import CaseRecord, OrderSnapshot, Store
from storage.repositories import StoreCredentials, find_order_snapshot, save_order_snapshot
from storage.settings import Settings


def woocommerce_api(store: Store, credentials: StoreCredentials, settings: Settings) -> WooCommerceApi:
    if not (credentials.consumer_key and credentials.consumer_secret):
        raise PermissionError(f"store {store.domain} has no REST API key")
    # A job waits at most a second in place; a longer backoff or Retry-After reschedules the job instead, and so
    # does a request the site left unanswered or answered 5xx (a hanging site holds a job for one timeout); after
    # that, the site's breaker holds its calls unsent until a probe finds it answering.
    retry = RetryPolicy(backoff_base_seconds=settings.woocommerce_backoff_seconds,
                        max_inline_wait_seconds=1.0, retry_outages_inline=False)
    return WooCommerceApi(store.api_base_url or f"https://{store.domain}", credentials.consumer_key,
                          credentials.consumer_secret, retry=retry,
                          timeout_seconds=settings.woocommerce_timeout_seconds,
                          gate=outage_gate(current_app.extensions, f"woocommerce:{store.domain}"))


def status_mapping(store: Store) -> StatusMapping:
    """The store's saved mapping over the defaults (it was validated when saved)."""
    return load_status_mapping(store.status_mapping)


def ensure_calendar(store: Store, api: WooCommerceApi) -> None:
    """The site's country and time zone, read once: every case needs them."""
    if store.country and store.timezone:
        return
    store.country, store.timezone = site_calendar(api.get("settings/general"), api.site_index())


def record_order_snapshot(session: Session, store: Store, api: WooCommerceApi, order: WooOrder) -> OrderSnapshot:
    """First sighting: the order with its products' sale status as of now; afterwards only its progress moves."""
    assert store.country is not None, "ensure_calendar first"
    known = find_order_snapshot(session, store.id, order.id)
    products = None if known is not None else snapshot_products(api, order)
    return save_order_snapshot(session, store_id=store.id, order_id=order.id,
                               document=order_document(order, store.country, products))


def case_order(api: WooCommerceApi, snapshot: OrderSnapshot, order: WooOrder) -> dict[str, Any]:
    """The snapshot's lines as bought, with what was paid and refunded as the order stands now."""
    document = {**snapshot.document, **payment_document(order), "taxes_included": order.data["prices_include_tax"]}
    if order.data["refunds"]:  # which units earlier refunds took back: only the refunds themselves say
        refunded = refunded_quantities(api.get_all(f"orders/{order.id}/refunds"))
        document["lines"] = [{**line, "refunded_quantity": min(line["quantity"], refunded.get(line["id"], 0))}
                             for line in document["lines"]]
    return document


def snapshot_products(api: WooCommerceApi, order: WooOrder) -> Mapping[ProductKey, ProductSnapshot]:
    """Each bought product (or variation) as it is now; one since deleted is simply not known."""
    found: dict[ProductKey, ProductSnapshot] = {}
    for product_id, variation_id in order.products:
        try:
            product = api.get(f"products/{product_id}")
            variation = api.get(f"products/{product_id}/variations/{variation_id}") if variation_id else None
        except WooCommerceRejected:
            continue
        found[(product_id, variation_id)] = product_snapshot(product, variation)
    return found


def plan_woocommerce_actions(decision: Mapping[str, Any], record: CaseRecord, store: Store) -> list[PlannedAction]:
    refs: Mapping[str, Any] = record.document.get("platform", {})
    return plan_actions(decision, case_key=record.request_key, request_kind=record.kind,
                        order_id=str(refs["order_id"]), statuses=status_mapping(store),
                        previous_status=refs.get("previous_status"))


def write_woocommerce_action(store: Store, credentials: StoreCredentials, payload: dict[str, Any], key: str,
                             kind: str, settings: Settings) -> dict[str, Any]:
    with woocommerce_api(store, credentials, settings) as api:
        try:
            return write_back(api, kind, payload, key)
        except WooCommerceUnavailable as error:
            raise TransientWriteError(str(error), retry_after=error.retry_after, held_for=error.held_for) from error
