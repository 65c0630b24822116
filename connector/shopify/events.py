"""What each Shopify topic does: snapshot orders, open cases for return requests, close, uninstall, redact.

A ShopifyUnavailable from a fetch propagates: the event stays `received` and RQ runs the job again.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from connector.adapter import FollowUps, Handlers, PermanentEventError
from connector.guard import strings_in
from connector.intake import open_case
from connector.personal import ALIASES
from connector.shopify.access import shopify_api
from connector.shopify.admin_api import AdminApi
from connector.shopify.documents import ORDER_FOR_CASE, ORDER_PAYMENTS, RETURN_FOR_CASE, SHOP_FACTS
from connector.shopify.schemas import (
    ShopifyOrder,
    ShopifyPayloadError,
    ShopifyReturnRequest,
    merge_line_pages,
    order_from_graphql,
    order_from_webhook,
    order_payments,
    return_request_from_graphql,
    return_request_from_webhook,
    shop_facts,
)
from storage.db import storage_of
from storage.models import CaseStatus, Event, Platform, Store, StoreStatus
from storage.repositories import (
    close_cases,
    customer_export,
    customer_order_ids,
    delete_customer_rows,
    find_case,
    find_order_snapshot,
    find_store,
    forget_shop,
    mark_store_uninstalled,
    save_order_snapshot,
    save_privacy_export,
    scrub_events,
    store_credentials,
)
from storage.settings import settings_of

log = logging.getLogger("assay.jobs")
SHOPIFY = Platform.SHOPIFY.value
HANDLERS = Handlers()  # topic -> handler, for process_event (through the adapter)


def _store(session: Session, event: Event) -> Store:
    store = find_store(session, SHOPIFY, event.shop_domain)
    if store is None:
        raise PermanentEventError(f"no Shopify store {event.shop_domain} is installed")
    return store


def _api(store: Store) -> AdminApi:
    if store.status != StoreStatus.ACTIVE.value:
        raise PermanentEventError(f"store {store.domain} is {store.status}")
    return shopify_api(store, store_credentials(store, storage_of(current_app).cipher), settings_of(current_app))


def ensure_calendar(store: Store, api: AdminApi) -> None:
    """The store's country and zone, read once from Shopify: every case needs them."""
    if store.country and store.timezone:
        return
    facts = shop_facts(api.execute(SHOP_FACTS))
    store.country, store.timezone = facts.country, facts.timezone


def fetch_order(api: AdminApi, order_gid: str, country: str) -> ShopifyOrder:
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        page = api.execute(ORDER_FOR_CASE, {"id": order_gid, "lineItemsAfter": after})
        if not page.get("order"):
            raise PermanentEventError(f"Shopify has no order {order_gid}")
        pages.append(page)
        info = page["order"]["lineItems"].get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return order_from_graphql(merge_line_pages(pages), country)
        after = info["endCursor"]


def _order_gid(payload: dict[str, Any]) -> str:
    """The order's GraphQL id: `admin_graphql_api_id`, or built from the numeric `id` that older payloads carry."""
    for named in (payload, payload.get("order") or {}):
        gid = named.get("admin_graphql_api_id")
        if isinstance(gid, str) and gid:
            return gid
        number = named.get("id")
        if isinstance(number, int) and not isinstance(number, bool) or isinstance(number, str) and number.isdigit():
            return f"gid://shopify/Order/{number}"
    raise PermanentEventError("the payload names no order (admin_graphql_api_id or id)")


@HANDLERS.on("orders/create", "orders/updated")
def record_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Snapshot what was bought now (compare-at prices change later); an update only moves fulfilment on."""
    store = _store(session, event)
    try:
        with _api(store) as api:
            ensure_calendar(store, api)
            assert store.country is not None
            known = find_order_snapshot(session, store.id, str(event.payload.get("id")))
            if known is not None and event.topic == "orders/updated":
                order = order_from_webhook(event.payload, store.country)
            else:
                order = fetch_order(api, _order_gid(event.payload), store.country)
    except ShopifyPayloadError as error:
        raise PermanentEventError(str(error)) from error
    save_order_snapshot(session, store_id=store.id, order_id=order.order["id"], document=order.order,
                        customer_id=order.customer_id)


def _return_request(api: AdminApi, event: Event, order: dict[str, Any], fetched: list[str]) -> ShopifyReturnRequest:
    submitted_at = event.headers.get("X-Shopify-Triggered-At") or event.received_at
    try:
        return return_request_from_webhook(event.payload, order, submitted_at=submitted_at)
    except ShopifyPayloadError:
        # Older payloads may not name each line's order line: ask Shopify for the return itself.
        data = api.execute(RETURN_FOR_CASE, {"id": event.payload.get("admin_graphql_api_id")})
        fetched.append(RETURN_FOR_CASE.operation_name)
        return return_request_from_graphql(data, order)


@HANDLERS.on("returns/request")
def open_return_case(session: Session, event: Event, follow_ups: FollowUps) -> None:
    store = _store(session, event)
    order_gid = _order_gid(event.payload.get("order") or {})
    fetched: list[str] = []  # what the payload lacked and Shopify was asked for, kept with the case
    try:
        with _api(store) as api:
            ensure_calendar(store, api)
            assert store.country is not None
            order_id = order_gid.rsplit("/", 1)[-1]
            snapshot = find_order_snapshot(session, store.id, order_id)
            if snapshot is None:  # the order came before Assay was installed, or its webhook was lost
                found = fetch_order(api, order_gid, store.country)
                fetched.append(ORDER_FOR_CASE.operation_name)
                snapshot = save_order_snapshot(session, store_id=store.id, order_id=order_id,
                                               document=found.order, customer_id=found.customer_id)
                order = snapshot.document
            else:
                # Prices stay as bought; what was paid and refunded is as it stands now, so an earlier return's
                # refund is counted and this one never refunds more than is left.
                order = order_payments(api.execute(ORDER_PAYMENTS, {"id": order_gid})).update(snapshot.document)
                fetched.append(ORDER_PAYMENTS.operation_name)
            asked = _return_request(api, event, order, fetched)
    except ShopifyPayloadError as error:
        raise PermanentEventError(str(error)) from error
    request = dict(asked.request)
    if asked.mixed_reasons:  # one return, lines with different reasons: a person sorts it out
        request["kind"], request["reason"] = "claim", "other"
    case_id, created = open_case(session, store, order=order, request=request,
                                 request_key=f"return:{asked.return_gid}",
                                 refs={"order_gid": asked.order_gid, "return_gid": asked.return_gid,
                                       "fetched": fetched})
    if created:
        follow_ups.decide(case_id, job_id=f"case-{case_id}")


@HANDLERS.on("orders/cancelled")
def close_cases_of_cancelled_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Cancelled elsewhere (by staff, or by Assay): nothing is left to decide, or to review, for its cases."""
    close_cases(session, _store(session, event).id, str(event.payload.get("id")), including_decided=True)


@HANDLERS.on("returns/approve", "returns/decline", "returns/cancel", "returns/close")
def close_case_of_settled_return(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Staff (or Assay) settled the return in Shopify: its case no longer waits in the review queue."""
    store = _store(session, event)
    record = find_case(session, store.id, f"return:{event.payload.get('admin_graphql_api_id')}")
    if record is not None:
        record.status = CaseStatus.CLOSED.value


@HANDLERS.on("app/uninstalled")
def uninstall(session: Session, event: Event, follow_ups: FollowUps) -> None:
    mark_store_uninstalled(_store(session, event))


def _privacy_store(session: Session, event: Event) -> Store | None:
    return find_store(session, SHOPIFY, event.shop_domain)


def _customer(event: Event) -> tuple[str | None, set[str], set[str]]:
    """The customer's id, the orders the request names, and the customer's contact pseudonyms (the inbox
    keeps contact fields only as pseudonyms, so the request's own are what the inbox rows hold)."""
    found = event.payload.get("customer")
    customer: dict[str, Any] = found if isinstance(found, dict) else {}
    customer_id = str(customer["id"]) if isinstance(customer.get("id"), int | str) else None
    listed = event.payload.get("orders_to_redact") or event.payload.get("orders_requested") or []
    orders = {str(number) for number in listed if isinstance(number, int | str)} if isinstance(listed, list) else set()
    contacts = {value for name in ("email", "phone") if isinstance(value := customer.get(name), str) and value}
    older = event.payload.get(ALIASES)  # the same contacts under older keys: rows kept before a rotation
    contacts |= {value for value in older if isinstance(value, str)} if isinstance(older, list) else set()
    return customer_id, orders, contacts


def _holds_customer(order_ids: set[str], customer_id: str | None, contacts: set[str]) -> Any:
    def holds(payload: Any) -> bool:
        order = payload.get("order") if isinstance(payload.get("order"), dict) else {}
        named = {str(payload.get("id")), str(payload.get("order_id")), str(order.get("id")),
                 str(payload.get("admin_graphql_api_id") or "").rsplit("/", 1)[-1],
                 str(order.get("admin_graphql_api_id") or "").rsplit("/", 1)[-1]}
        buyer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
        if named & order_ids or (customer_id and str(buyer.get("id")) == customer_id):
            return True
        return bool(contacts) and not contacts.isdisjoint(strings_in(payload))

    return holds


@HANDLERS.on("customers/redact")
def redact_customer(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Forget the customer: the orders' snapshots and cases, every order snapshotted for them, every inbox
    payload that holds them (this request's own included), and any export made for them."""
    store = _privacy_store(session, event)
    customer_id, named, contacts = _customer(event)
    if store is not None:
        orders = customer_order_ids(session, store.id, named, customer_id)
        delete_customer_rows(session, store.id, orders, customer_id)
        scrub_events(session, SHOPIFY, store.domain, _holds_customer(orders, customer_id, contacts),
                     except_id=event.id)
    event.payload = {}  # the request itself names the customer
    log.info("privacy.customer_redacted", extra={"event_id": event.id})


@HANDLERS.on("shop/redact")
def redact_shop(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """48 hours after uninstalling: everything about the shop goes, its inbox included."""
    store = _privacy_store(session, event)
    if store is not None:
        forget_shop(session, store, keep_event_id=event.id)
    else:
        event.payload, event.headers, event.shop_domain = {}, {}, "(redacted)"
    log.info("privacy.shop_redacted", extra={"event_id": event.id})


@HANDLERS.on("customers/data_request")
def export_customer_data(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Write what Assay holds on the customer (their orders' snapshots, cases and decisions), encrypted, for the
    merchant to fetch and send on (`assay privacy export`)."""
    store = _privacy_store(session, event)
    if store is None:
        raise PermanentEventError(f"no Shopify store {event.shop_domain} is installed")
    customer_id, named, _ = _customer(event)
    orders = customer_order_ids(session, store.id, named, customer_id)
    document = {"customer_id": customer_id, "requested_orders": sorted(named), "requested_at": event.received_at,
                **customer_export(session, store.id, orders)}
    export = save_privacy_export(session, storage_of(current_app).cipher, store.id, customer_id, document)
    event.payload = {}  # the export holds what the merchant needs; the request named the customer
    log.info("privacy.data_exported", extra={"store_id": store.id, "export_id": export.id})
