"""A logged-in customer's cancellation through the app proxy, as a stored, open case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app

from connector.case_opening import CancelRequestRefused, OpenedCase, open_case
from connector.case_parts import instant
from storage.db import storage_of
from storage.models import Platform, StoreStatus
from storage.repositories import find_order_snapshot, find_store


def open_cancel_case(shop_domain: str, customer_id: str, order_id: str, note: str) -> OpenedCase:
    """A logged-in customer's cancellation of their own order; asking again finds the same case."""
    with storage_of(current_app).transaction() as session:
        store = find_store(session, Platform.SHOPIFY, shop_domain)
        if store is None or store.status != StoreStatus.ACTIVE.value:
            raise CancelRequestRefused("unknown_store", "this shop does not use Assay", 404)
        snapshot = find_order_snapshot(session, store.id, order_id)
        if snapshot is None or snapshot.customer_id != customer_id:
            # The same answer for someone else's order as for none: order numbers are not to be probed.
            raise CancelRequestRefused("unknown_order", "no such order on your account", 404)
        request: dict[str, Any] = {"kind": "cancel", "submitted_at": instant(datetime.now(UTC)), "reason": None,
                   "lines": [], "evidence": {"photos": 0}, "note": note}
        refs = {"order_gid": f"gid://shopify/Order/{order_id}"}
        case_id, created = open_case(session, store, order=snapshot.document, request=request,
                                     request_key=f"cancel:{order_id}", refs=refs)
    return OpenedCase(case_id, created)
