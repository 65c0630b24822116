"""A customer's request from the storefront form of a store with no request-status plugin: checked, recorded.

The order number, billing email and order key must all belong to one order, fetched from the store's REST
API; the answer for a mismatch is the same whichever of them is wrong, so order numbers can't be probed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app

from connector.intake import CancelRequestRefused, OpenedCase, open_case
from connector.woocommerce.access import case_order, ensure_calendar, record_order_snapshot, woocommerce_api
from connector.woocommerce.case_requests import form_matches, request_from_form
from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import (
    WooCommerceAccessDenied,
    WooCommercePayloadError,
    WooCommerceRejected,
    WooCommerceUnavailable,
)
from connector.woocommerce.schemas import WooOrder, parse_order
from storage.db import storage_of
from storage.models import Platform, Store, StoreStatus
from storage.repositories import store_credentials

NO_SUCH_ORDER = "no order matches this order_number, email and order_key"


def open_form_case(store_id: int, form: dict[str, Any]) -> OpenedCase:
    """The case for the form's request; asking again for the same order and kind finds the same case."""
    storage = storage_of(current_app)
    with storage.transaction() as session:
        store = session.get(Store, store_id)
        if store is None or store.platform != Platform.WOOCOMMERCE.value or store.status != StoreStatus.ACTIVE.value:
            raise CancelRequestRefused("unknown_store", "this store does not take requests through Assay", 404)
        try:
            with woocommerce_api(store, store_credentials(store, storage.cipher), current_app.config) as api:
                order = _matching_order(api, form)
                ensure_calendar(store, api)
                snapshot = record_order_snapshot(session, store, api, order)
                document = case_order(api, snapshot, order)
        except (WooCommerceUnavailable, WooCommerceAccessDenied):
            raise CancelRequestRefused("store_unavailable", "the store can't be reached just now; please try "
                                                            "again in a few minutes", 503) from None
        except WooCommercePayloadError:
            raise CancelRequestRefused("store_unavailable", "the store's answer could not be read", 502) from None
        request = request_from_form(form, snapshot.document, datetime.now(UTC))
        refs = {"order_id": order.id, "request_status": None, "previous_status": order.status}
        case_id, created = open_case(session, store, order=document, request=request,
                                     request_key=f"form:{order.id}:{form['kind']}", refs=refs)
    return OpenedCase(case_id, created)


def _matching_order(api: WooCommerceApi, form: dict[str, Any]) -> WooOrder:
    try:
        order = parse_order(api.get(f"orders/{form['order_number']}"))
    except WooCommerceAccessDenied:
        raise  # our key, not the customer's order: the store is unavailable to us
    except WooCommerceRejected:  # 404 for an unknown number (and 400 for one that isn't a number on this site)
        raise CancelRequestRefused("unknown_order", NO_SUCH_ORDER, 404) from None
    if not form_matches(order, form):
        raise CancelRequestRefused("unknown_order", NO_SUCH_ORDER, 404)
    return order
