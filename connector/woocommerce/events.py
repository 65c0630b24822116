"""What each WooCommerce topic does: snapshot orders, open a case when an order moves into a request status,
close and reopen cases when an order is trashed and restored.

The webhook carries the order as it is when WooCommerce sends it, not as it was when the change was made:
quick successive changes arrive as one delivery, so each one is judged on the order's current state. The
catch-up poll (connector.woocommerce.poll) feeds the orders it finds through these same handlers.
A WooCommerceUnavailable from a fetch propagates: the event stays `received` and RQ runs the job again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from connector.adapter import FollowUps, Handlers, PermanentEventError
from connector.case_parts import instant
from connector.intake import open_case
from connector.woocommerce.access import (
    case_order,
    ensure_calendar,
    record_order_snapshot,
    status_mapping,
    woocommerce_api,
)
from connector.woocommerce.case_requests import request_from_status, status_request_key
from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommercePayloadError
from connector.woocommerce.schemas import WooOrder, parse_order
from connector.woocommerce.statuses import ENDED_STATUSES
from storage.db import storage_of
from storage.models import Event, OrderSnapshot, Platform, Store, StoreStatus
from storage.repositories import (
    advance_platform_status,
    close_cases,
    find_store,
    record_delivery,
    reopen_closed_cases,
    store_credentials,
)

log = logging.getLogger("assay.jobs")
WOOCOMMERCE = Platform.WOOCOMMERCE.value
HANDLERS = Handlers()  # topic -> handler, for process_event (through the adapter)


def _store(session: Session, event: Event) -> Store:
    store = find_store(session, WOOCOMMERCE, event.shop_domain)
    if store is None:
        raise PermanentEventError(f"no WooCommerce store {event.shop_domain} is set up")
    if store.status != StoreStatus.ACTIVE.value:
        raise PermanentEventError(f"store {store.domain} is {store.status}")
    return store


def _api(store: Store) -> WooCommerceApi:
    return woocommerce_api(store, store_credentials(store, storage_of(current_app).cipher), current_app.config)


def _order(payload: dict[str, Any]) -> WooOrder:
    try:
        return parse_order(payload)
    except WooCommercePayloadError as error:
        raise PermanentEventError(str(error)) from error


@HANDLERS.on("order.created", "order.updated")
def record_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Snapshot the order (sale status as of its first sighting), then act on where its status has moved."""
    store = _store(session, event)
    order = _order(event.payload)
    try:
        with _api(store) as api:
            ensure_calendar(store, api)
            snapshot = record_order_snapshot(session, store, api, order)
            follow_status(session, store, snapshot, order, follow_ups, api)
    except WooCommercePayloadError as error:
        raise PermanentEventError(str(error)) from error


def follow_status(session: Session, store: Store, snapshot: OrderSnapshot, order: WooOrder,
                  follow_ups: FollowUps, api: WooCommerceApi) -> None:
    """A move into a request status opens a case; into an ended one (cancelled, refunded) closes its cases."""
    change = advance_platform_status(snapshot, order.status, order.modified_at)
    if change is None:  # the same status reported again, or an older report arriving late
        return
    if order.status in ENDED_STATUSES:  # nothing is left to decide, or to review
        close_cases(session, store.id, order.id, including_decided=True)
        return
    mapping = status_mapping(store)
    if mapping.means_delivered(order.status):
        # The status was set when the carrier reported delivery, so the order's modification time is when.
        record_delivery(snapshot, instant(order.modified_at or datetime.now(UTC)))
        return
    kind = mapping.request_kind(order.status)
    if kind is None:
        return
    refs = {"order_id": order.id, "request_status": order.status, "previous_status": change.previous}
    case_id, created = open_case(session, store, order=case_order(api, snapshot, order),
                                 request=request_from_status(order, kind, snapshot.document),
                                 request_key=status_request_key(order), refs=refs)
    if created:
        log.info("case.opened", extra={"case_id": case_id, "store_id": store.id, "kind": kind})
        follow_ups.decide(case_id, job_id=f"case-{case_id}")


@HANDLERS.on("order.deleted")
def close_cases_of_deleted_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Trashed (the payload is only its id): nothing is left to decide for its open cases, nor to review."""
    store = _store(session, event)
    order_id = event.payload.get("id")
    if not isinstance(order_id, int | str) or not str(order_id).isdigit():
        raise PermanentEventError(f"order.deleted names no order id, got {order_id!r}")
    close_cases(session, store.id, str(order_id))  # other decided ones stay: restoring changes nothing for them


@HANDLERS.on("order.restored")
def reopen_cases_of_restored_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Back from the trash: cases it closed before they were decided are decided after all, unless it ended."""
    order = _order(event.payload)
    store = _store(session, event)
    if order.status not in ENDED_STATUSES:
        for case_id in reopen_closed_cases(session, store.id, order.id):
            follow_ups.decide(case_id, job_id=f"case-{case_id}-restored-{event.id}")
    record_order(session, event, follow_ups)
