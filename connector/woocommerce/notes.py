"""Order notes that are added once: each carries a marker made from its idempotency key, looked for first."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommerceUnavailable

Payload = dict[str, Any]


def marker(idempotency_key: str) -> str:
    """How a key appears in a note or refund reason: short, since the customer reads it, and unique per key."""
    return f"[assay-ref {hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]}]"


def add_note(api: WooCommerceApi, order_id: Any, text: str, *, customer: bool, key: str) -> Payload:
    """The note with its marker, unless the order has it already (a lost answer is looked for, not resent)."""
    tag = marker(key)
    found = own_note(api, order_id, tag)
    if found is not None:
        return {"note_id": found["id"], "already_done": True}
    try:
        created = api.post(f"orders/{order_id}/notes", {"note": f"{text} {tag}", "customer_note": customer})
    except WooCommerceUnavailable:
        found = own_note(api, order_id, tag)
        if found is None:
            raise
        return {"note_id": found["id"], "already_done": False}
    return {"note_id": created["id"], "already_done": False}


def own_note(api: WooCommerceApi, order_id: Any, tag: str) -> Mapping[str, Any] | None:
    notes = api.get(f"orders/{order_id}/notes")
    return next((note for note in notes if tag in str(note.get("note") or "")), None)
