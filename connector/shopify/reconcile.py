"""The Shopify reconciliation: what the webhooks missed, found by reading each shop's orders and returns."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from connector.catch_up import CatchUpReport, failed_catch_up, store_to_catch_up
from connector.demo import is_demo_store
from connector.registry import runner_of
from connector.shopify.api import AdminApi, Document, shopify_api
from connector.shopify.payloads import ShopifyPayloadError
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Platform, Store, StoreStatus
from storage.repositories import find_case, find_order_snapshot, list_stores, record_event
from storage.settings import settings_of

log = logging.getLogger("assay.jobs")
SHOPIFY = Platform.SHOPIFY.value
PAGE_SIZE = 25
MAX_PAGES = 20  # per search and run: the rest waits for the next run, so one job stays short
BUDGET_KEPT = 0.5  # of the shop's bucket, left for the write-backs: a run stops before it would spend it
WAITING_RETURNS = "return_status:return_requested"
SOURCE_HEADERS = {"X-Assay-Source": "reconcile"}


@dataclass(frozen=True, slots=True)
class Missed:
    """One event to record in the inbox as if its webhook had come."""

    topic: str
    delivery_id: str
    payload: dict[str, Any]


@dataclass
class ReconcileReport(CatchUpReport):
    """What one store's run found and did, and whether it read everything it was due to."""

    complete: bool = True  # False: stopped early to leave the shop's budget to the write-backs


@dataclass(frozen=True, slots=True)
class Known:
    """What Assay already holds about one order: when its snapshot was last saved, which returns have cases."""

    snapshot_saved_at: datetime | None
    returns_with_cases: frozenset[str]


def updated_since(since: datetime) -> str:
    """The search for orders updated after `since`, in Shopify's search syntax (UTC, whole seconds)."""
    return f"updated_at:>'{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ShopifyPayloadError("RecentOrders", [f"{what}: must be an ISO 8601 time, got {value!r}"])
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ShopifyPayloadError("RecentOrders", [f"{what}: must be an ISO 8601 time, got {value!r}"]) from None
    if parsed.tzinfo is None:
        raise ShopifyPayloadError("RecentOrders", [f"{what}: must include a UTC offset, got {value!r}"])
    return parsed


def missed_events(order: Mapping[str, Any], known: Known, *, shop: str, installed_at: datetime) -> list[Missed]:
    """The events one listed order needs that its webhooks did not bring (pure: no database, no API). Their
    delivery ids name the shop: the inbox's are unique per platform."""
    gid, number = order.get("id"), order.get("legacyResourceId")
    if not isinstance(gid, str) or not str(number or "").isdigit():
        raise ShopifyPayloadError("RecentOrders", [f"orders.nodes: an order without id/legacyResourceId: {order!r}"])
    updated_at = parse_time(order.get("updatedAt"), "orders.nodes.updatedAt")
    ref = {"id": int(str(number)), "admin_graphql_api_id": gid}
    found: list[Missed] = []
    if known.snapshot_saved_at is None or known.snapshot_saved_at < updated_at:
        found.append(Missed("orders/create", f"reconcile:{shop}:orders/create:{gid}:{order['updatedAt']}", ref))
    if order.get("cancelledAt"):
        found.append(Missed("orders/cancelled", f"reconcile:{shop}:orders/cancelled:{gid}", ref))
    for returned in (order.get("returns") or {}).get("nodes") or []:
        return_gid = returned.get("id")
        if returned.get("status") != "REQUESTED" or not isinstance(return_gid, str):
            continue
        if return_gid in known.returns_with_cases:
            continue
        # Asked before Assay was installed: not Assay's to decide (Shopify's times have whole seconds).
        if parse_time(returned.get("createdAt"), "returns.nodes.createdAt") < installed_at.replace(microsecond=0):
            continue
        payload = {"id": int(return_gid.rsplit("/", 1)[-1]), "admin_graphql_api_id": return_gid, "order": ref}
        found.append(Missed("returns/request", f"reconcile:{shop}:returns/request:{return_gid}", payload))
    return found


def budget_spent(cost: Mapping[str, Any] | None) -> bool:
    """After a page: would the next one eat into the half of the bucket kept for the write-backs?"""
    status = (cost or {}).get("throttleStatus") or {}
    try:
        available = float(status["currentlyAvailable"])
        kept = float(status["maximumAvailable"]) * BUDGET_KEPT
        requested = float((cost or {})["requestedQueryCost"])
    except (KeyError, TypeError, ValueError):
        return False
    return available - requested < kept


def reconcile_shopify() -> int:
    """Queue one reconciliation job per active Shopify store; returns how many stores' last run failed."""
    with storage_of(current_app).transaction() as session:
        stores = list_stores(session, status=StoreStatus.ACTIVE.value, platform=SHOPIFY)
        pending = [(store.id, store.poll_error) for store in stores if not is_demo_store(store.domain)]
    runner = runner_of(current_app)
    for store_id, _ in pending:
        runner.later(reconcile_store, store_id, job_id=f"shopify-reconcile-{store_id}-{time.time_ns()}")
    return sum(1 for _, error in pending if error)


def reconcile_store(store_id: int, now: datetime | None = None) -> ReconcileReport:
    """One store's run; its failure is recorded against it (`stores.poll_error`) and never raised."""
    try:
        return _reconcile(store_id, now or utc_now())
    except Exception as error:  # its API, its data or its token: recorded against it, other stores unaffected
        return failed_catch_up(ReconcileReport, store_id, f"{type(error).__name__}: {error}", "reconcile.failed")


def _reconcile(store_id: int, started: datetime) -> ReconcileReport:
    store, credentials, since = store_to_catch_up(store_id, started)
    report = ReconcileReport(store_id, store.domain)
    watermark: datetime | None = started
    with shopify_api(store, credentials, settings_of(current_app)) as api:
        for search in (WAITING_RETURNS, updated_since(since)):
            last_seen = None
            for orders in _pages(api, search, report):
                last_seen = _record(store, orders, report) or last_seen
                if not report.complete:
                    break
            if not report.complete:
                # The waiting returns come first; stopped there, the watermark stays. Stopped in the updated
                # orders (oldest first), everything up to the last order seen is handled.
                watermark = last_seen if search != WAITING_RETURNS else None
                break
    with storage_of(current_app).transaction() as session:
        reconciled = session.get_one(Store, store_id)
        if watermark is not None and (reconciled.polled_at is None or watermark > reconciled.polled_at):
            reconciled.polled_at = watermark
        reconciled.poll_error = None
    runner = runner_of(current_app)
    for event_id in report.events_recorded:
        runner.process_event(event_id, job_id=f"event-{event_id}")
    log.info("reconcile.done", extra={"store_id": store_id, "orders": report.orders_seen,
                                      "events": len(report.events_recorded), "complete": report.complete})
    return report


def _pages(api: AdminApi, search: str, report: ReconcileReport) -> Iterator[list[dict[str, Any]]]:
    """The search's orders a page at a time; stops (report.complete = False) when the budget or pages run out."""
    after = None
    for _ in range(MAX_PAGES):
        data = api.execute(RECENT_ORDERS, {"query": search, "first": PAGE_SIZE, "after": after})
        connection = data.get("orders") or {}
        orders = connection.get("nodes")
        if not isinstance(orders, list):
            raise ShopifyPayloadError("RecentOrders", ["orders.nodes: is missing from the result"])
        report.orders_seen += len(orders)
        info = connection.get("pageInfo") or {}
        more = bool(info.get("hasNextPage"))
        if more and budget_spent(api.last_cost):
            report.complete = False
        yield orders
        if not more or not report.complete:
            return
        after = info.get("endCursor")
    report.complete = False


def _record(store: Store, orders: list[dict[str, Any]], report: ReconcileReport) -> datetime | None:
    """Record the page's missed events; returns the last order's updatedAt (the page is sorted by it)."""
    with storage_of(current_app).transaction() as session:
        for order in orders:
            for missed in missed_events(order, _known(session, store.id, order), shop=store.domain,
                                        installed_at=store.created_at):
                event, created = record_event(session, platform=SHOPIFY, delivery_id=missed.delivery_id,
                                              topic=missed.topic, shop_domain=store.domain,
                                              headers=SOURCE_HEADERS, payload=missed.payload)
                if created:
                    report.events_recorded.append(event.id)
                    log.info("reconcile.missed", extra={"store_id": store.id, "topic": missed.topic,
                                                        "delivery_id": missed.delivery_id, "event_id": event.id})
    return parse_time(orders[-1].get("updatedAt"), "orders.nodes.updatedAt") if orders else None


def _known(session: Session, store_id: int, order: Mapping[str, Any]) -> Known:
    snapshot = find_order_snapshot(session, store_id, str(order.get("legacyResourceId")))
    returns = [r.get("id") for r in (order.get("returns") or {}).get("nodes") or [] if r.get("status") == "REQUESTED"]
    with_cases = frozenset(str(gid) for gid in returns if find_case(session, store_id, f"return:{gid}") is not None)
    return Known(snapshot.updated_at if snapshot is not None else None, with_cases)


# Sorted by UPDATED_AT, oldest first, so a run stopped early (its cost budget spent) has handled every order up to
# the last one it saw and can keep that as its watermark. Five returns per order is more than an order has in
# practice; the page size is a variable so the requested cost stays small (3 + first * 8 points).
RECENT_ORDERS = Document("RecentOrders", """
query RecentOrders($query: String!, $first: Int!, $after: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      updatedAt
      cancelledAt
      returns(first: 5) {
        nodes { id status createdAt }
      }
    }
  }
}
""")
