"""Shopify's mandatory privacy webhooks: forget a customer or a shop, export what Assay holds on a customer."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from connector.adapter import FollowUps, Handlers, PermanentEventError
from connector.guard import strings_in
from connector.personal import ALIASES
from storage.db import storage_of
from storage.models import Event, Platform, Store
from storage.repositories import (
    customer_export,
    customer_order_ids,
    delete_customer_rows,
    find_store,
    forget_shop,
    save_privacy_export,
    scrub_events,
)

log = logging.getLogger("assay.jobs")
SHOPIFY = Platform.SHOPIFY.value
HANDLERS = Handlers()  # topic -> handler, for process_event (through the adapter)


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
