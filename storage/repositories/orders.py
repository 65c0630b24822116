"""Order snapshots: what was bought, at the prices of that moment, kept for the requests that come later."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import OrderSnapshot
from storage.repositories._once import insert_once

# What a later update may change; the lines stay as they were bought.
PROGRESS_FIELDS = ("fulfilled_at", "delivered_at")


def save_order_snapshot(session: Session, *, store_id: int, order_id: str, document: Mapping[str, Any],
                        customer_id: str | None = None) -> OrderSnapshot:
    """Keep the first snapshot of an order's lines; later calls only move its fulfilment and delivery on."""
    values = {"store_id": store_id, "order_id": order_id, "document": dict(document), "customer_id": customer_id}
    snapshot, created = insert_once(session, OrderSnapshot, values, unique=("store_id", "order_id"))
    if not created:
        update_order_progress(snapshot, document)
    return snapshot


def update_order_progress(snapshot: OrderSnapshot, document: Mapping[str, Any]) -> None:
    merged = dict(snapshot.document)
    for name in PROGRESS_FIELDS:
        if document.get(name) is not None:
            merged[name] = document[name]
    fulfilled = {line["id"]: line.get("fulfilled_quantity") for line in document.get("lines", [])}
    merged["lines"] = [
        {**line, "fulfilled_quantity": fulfilled[line["id"]]}
        if fulfilled.get(line["id"]) is not None else line
        for line in merged.get("lines", [])
    ]
    snapshot.document = merged  # a new object, so SQLAlchemy sees the JSON change


def record_delivery(snapshot: OrderSnapshot, delivered_at: str) -> bool:
    """Set the order's delivery date where the platform could not say it; the first one seen stays."""
    if snapshot.document.get("delivered_at") is not None:
        return False
    snapshot.document = {**snapshot.document, "delivered_at": delivered_at}
    return True


def find_order_snapshot(session: Session, store_id: int, order_id: str) -> OrderSnapshot | None:
    query = select(OrderSnapshot).where(OrderSnapshot.store_id == store_id, OrderSnapshot.order_id == order_id)
    return session.scalars(query).first()


@dataclass(frozen=True)
class StatusChange:
    """The order's platform status moved: from `previous` (None when first seen) to `current`."""

    previous: str | None
    current: str


def advance_platform_status(snapshot: OrderSnapshot, status: str, modified_at: datetime | None) -> StatusChange | None:
    """Record the order's platform status as of `modified_at`; None when it is unchanged or the report is older
    (webhooks and the catch-up poll may report a change twice, or out of order)."""
    seen_at = snapshot.platform_modified_at
    if seen_at is not None and modified_at is not None and modified_at < seen_at:
        return None
    if modified_at is not None:
        snapshot.platform_modified_at = modified_at
    previous = snapshot.platform_status
    if previous == status:
        return None
    snapshot.platform_status = status
    return StatusChange(previous, status)
