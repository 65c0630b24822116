"""Order notes that are added once. A private note (the merchant's) carries a marker made from its idempotency
key, looked for first. A customer's note carries none, since the customer reads it and its email: the order's meta
records which note each key made, and a note whose answer was lost is found by its text among the unclaimed ones."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from typing import Any

from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommerceUnavailable

Payload = dict[str, Any]
# Order meta `_assay_note_<digest of the key>` = the id of the customer note that key made (hidden: leading "_").
NOTE_META_PREFIX = "_assay_note_"


def marker(idempotency_key: str) -> str:
    """How a key appears in a private note: short, and unique per key."""
    return f"[assay-ref {_digest(idempotency_key)}]"


def _digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


def add_note(api: WooCommerceApi, order_id: Any, text: str, *, customer: bool, key: str) -> Payload:
    """The note, unless the order has it already (a lost answer is looked for, not resent)."""
    if customer:
        return _add_customer_note(api, order_id, text, key)
    tag = marker(key)
    found = own_note(api, order_id, tag)
    if found is not None:
        return {"note_id": found["id"], "already_done": True}
    try:
        created = api.post(f"orders/{order_id}/notes", {"note": f"{text} {tag}", "customer_note": False})
    except WooCommerceUnavailable:
        found = own_note(api, order_id, tag)
        if found is None:
            raise
        return {"note_id": found["id"], "already_done": False}
    return {"note_id": created["id"], "already_done": False}


def _add_customer_note(api: WooCommerceApi, order_id: Any, text: str, key: str) -> Payload:
    """The customer's note as written, its id then kept in the order's meta under the key."""
    meta_key = NOTE_META_PREFIX + _digest(key)
    claimed = {str(meta.get("key")): str(meta.get("value")) for meta in api.get(f"orders/{order_id}")
               .get("meta_data") or () if str(meta.get("key") or "").startswith(NOTE_META_PREFIX)}
    if meta_key in claimed:
        return {"note_id": int(claimed[meta_key]), "already_done": True}
    found = _unclaimed_note(api, order_id, text, set(claimed.values()))  # written before a crash, unrecorded
    if found is None:
        try:
            found = api.post(f"orders/{order_id}/notes", {"note": text, "customer_note": True})
        except WooCommerceUnavailable:
            found = _unclaimed_note(api, order_id, text, set(claimed.values()))
            if found is None:
                raise
    api.put(f"orders/{order_id}", {"meta_data": [{"key": meta_key, "value": str(found["id"])}]})
    return {"note_id": found["id"], "already_done": False}


def _unclaimed_note(api: WooCommerceApi, order_id: Any, text: str, claimed: set[str]) -> Mapping[str, Any] | None:
    notes = api.get(f"orders/{order_id}/notes")
    return next((note for note in notes if note.get("customer_note") and str(note.get("id")) not in claimed
                 and html.unescape(str(note.get("note") or "")).strip() == text.strip()), None)


def own_note(api: WooCommerceApi, order_id: Any, tag: str) -> Mapping[str, Any] | None:
    notes = api.get(f"orders/{order_id}/notes")
    return next((note for note in notes if tag in str(note.get("note") or "")), None)
