"""Turning a customer's request into a stored, open case: shared by webhooks, the app proxy and forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from connector.case_parts import instant
from storage.db import storage_of
from storage.models import Platform, Store, StoreStatus
from storage.repositories import add_case, find_order_snapshot, find_store


class CancelRequestRefused(Exception):
    """The request can't become a case; `reason` and `status` say why, in words fit for the customer."""

    def __init__(self, reason: str, message: str, status: int) -> None:
        super().__init__(message)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class OpenedCase:
    case_id: int
    created: bool
    job: Callable[[int], None]


def case_document(store: Store, order: dict[str, Any], request: dict[str, Any],
                  refs: dict[str, Any]) -> dict[str, Any]:
    """The contract's case, less its policy (the store's current one is used when it is decided)."""
    return {
        "store": {"country": store.country, "timezone": store.timezone},
        "order": order,
        "request": request,
        "platform": refs,  # where to write the decision back; the engine ignores it
    }


def open_case(session: Session, store: Store, *, order: dict[str, Any], request: dict[str, Any],
              request_key: str, refs: dict[str, Any]) -> tuple[int, bool]:
    record, created = add_case(session, store_id=store.id, order_id=order["id"], kind=request["kind"],
                               request_key=request_key, document=case_document(store, order, request, refs))
    return record.id, created


def open_cancel_case(shop_domain: str, customer_id: str, order_id: str, note: str) -> OpenedCase:
    """A logged-in customer's cancellation of their own order; asking again finds the same case."""
    from jobs.cases import decide_case

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
    return OpenedCase(case_id, created, decide_case)
