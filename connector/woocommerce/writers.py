"""Performs one planned action on a WooCommerce site; running it again after a crash writes nothing twice.

Refunds and notes are created by POST, which the client never resends. Each carries the action's
idempotency key (a refund in its meta_data and its reason, a note in its text), and each writer looks for
the key before writing, and again when an answer is lost, so a timeout never refunds or notifies twice.
A 4xx is permanent (WriteBackRejected); WooCommerceUnavailable propagates for the job to retry.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from connector.woocommerce import actions
from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommerceRejected, WooCommerceUnavailable

log = logging.getLogger(__name__)

REFUND_KEY_META = "_assay_idempotency_key"
# WooCommerce answers a refund its payment gateway refused with HTTP 500 and this code.
REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"

Payload = dict[str, Any]
Writer = Callable[[WooCommerceApi, Payload, str], Payload]


class WriteBackRejected(Exception):
    """The site refused the write for good (an unknown order, a status it doesn't have); retrying won't help."""

    def __init__(self, reason: str, *, action_kind: str) -> None:
        super().__init__(f"{action_kind}: {reason}")
        self.reason = reason
        self.action_kind = action_kind


def write_back(api: WooCommerceApi, action_kind: str, payload: Payload, idempotency_key: str) -> Payload:
    """Perform the action on the site and return a summary for the outbox; a repeat finds its own writes."""
    writer = WRITERS.get(action_kind)
    if writer is None:
        raise WriteBackRejected(f"no WooCommerce writer for this action kind, known: {', '.join(WRITERS)}",
                                action_kind=action_kind)
    try:
        result = writer(api, payload, idempotency_key)
    except WooCommerceRejected as error:
        raise WriteBackRejected(str(error), action_kind=action_kind) from error
    log.info("action.written", extra={"site": api.site, "action_kind": action_kind,
                                      "idempotency_key": idempotency_key})
    return result


def marker(idempotency_key: str) -> str:
    """How a key appears in a note or refund reason: short, since the customer reads it, and unique per key."""
    return f"[assay-ref {hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]}]"


# --- cancel: refund what was paid, then status cancelled -------------------------------------------

def cancel_order(api: WooCommerceApi, payload: Payload, idempotency_key: str) -> Payload:
    order_id = payload["order_id"]
    order = api.get(f"orders/{order_id}")
    refund = _refund_what_was_paid(api, order, payload["refund_reason"], idempotency_key)
    status = payload.get("status") or "cancelled"
    changed = _set_status(api, order_id, status)
    return {"order_id": order_id, "status": status, "refund": refund,
            "already_done": not changed and refund.get("already_done", True)}


def _refund_what_was_paid(api: WooCommerceApi, order: Mapping[str, Any], reason: str, key: str) -> Payload:
    order_id = order["id"]
    refunds = api.get_all(f"orders/{order_id}/refunds")
    mine = _own_refund(refunds, key)
    if mine is not None:
        return {"refund_id": mine["id"], "amount": str(mine.get("amount")), "already_done": True}
    if not order.get("date_paid_gmt"):
        return {"refund_id": None, "amount": "0.00", "why": "the order was never paid"}
    remaining = Decimal(str(order.get("total") or 0)) - sum((Decimal(str(r.get("amount") or 0)) for r in refunds),
                                                             Decimal(0))
    if remaining <= 0:
        return {"refund_id": None, "amount": "0.00", "why": "already refunded in full"}
    automatic = _gateway_refunds(api, str(order.get("payment_method") or ""))
    try:
        created = _create_refund(api, order_id, remaining, reason, key, automatic)
    except WooCommerceUnavailable as refused:
        if not (automatic and refused.code == REFUND_REFUSED):
            raise
        # The gateway said no (its message is in the error): record the refund by hand and tell the merchant.
        automatic = False
        created = _create_refund(api, order_id, remaining, reason, key, automatic)
    summary = {"refund_id": created["id"], "amount": f"{remaining:f}", "automatic": automatic,
               "already_done": False}
    if not automatic:
        gateway = order.get("payment_method_title") or order.get("payment_method") or "the payment method"
        note = (f"Assay recorded a refund of {remaining:f} {order.get('currency', '')} for the approved "
                f"cancellation, but {gateway} could not pay it back automatically: refund the customer by hand.")
        summary["merchant_note"] = _add_note(api, order_id, note, customer=False, key=f"{key}:manual-refund")
    return summary


def _create_refund(api: WooCommerceApi, order_id: Any, amount: Decimal, reason: str, key: str,
                   automatic: bool) -> Payload:
    body = {"amount": f"{amount:f}", "reason": f"{reason} {marker(key)}", "api_refund": automatic,
            "api_restock": False,  # setting the status to cancelled restocks; a refund restocking too would double it
            "meta_data": [{"key": REFUND_KEY_META, "value": key}]}
    try:
        created: Payload = api.post(f"orders/{order_id}/refunds", body)
    except WooCommerceUnavailable as lost:
        if lost.code == REFUND_REFUSED:
            raise
        found = _own_refund(api.get_all(f"orders/{order_id}/refunds"), key)
        if found is None:
            raise  # not made: the job tries again later, and looks for the key again first
        return dict(found)
    return created


def _own_refund(refunds: Iterable[Mapping[str, Any]], key: str) -> Mapping[str, Any] | None:
    for refund in refunds:
        metas = refund.get("meta_data") or ()
        if any(meta.get("key") == REFUND_KEY_META and meta.get("value") == key for meta in metas):
            return refund
        if marker(key) in str(refund.get("reason") or ""):
            return refund
    return None


def _gateway_refunds(api: WooCommerceApi, method: str) -> bool:
    """Whether the order's payment gateway can pay a refund back itself (method_supports has "refunds")."""
    if not method:
        return False
    try:
        gateway = api.get(f"payment_gateways/{method}")
    except WooCommerceRejected:  # a gateway since removed, or a key without access to gateways
        return False
    return "refunds" in (gateway.get("method_supports") or ())


def _set_status(api: WooCommerceApi, order_id: Any, status: str | None) -> bool:
    """Move the order to `status` unless it is there already; True if it moved."""
    if not status:
        return False
    if api.get(f"orders/{order_id}").get("status") == status:
        return False
    api.put(f"orders/{order_id}", {"status": status})
    return True


# --- notes -----------------------------------------------------------------------------------------

def note_to_customer(api: WooCommerceApi, payload: Payload, idempotency_key: str) -> Payload:
    """A customer note with the decision and its reasons, then the store's mapped status, if any."""
    order_id = payload["order_id"]
    note = _add_note(api, order_id, payload["note"], customer=True, key=idempotency_key)
    changed = _set_status(api, order_id, payload.get("status"))
    return {"order_id": order_id, "note": note, "status": payload.get("status"),
            "already_done": note["already_done"] and not changed}


def private_note(api: WooCommerceApi, payload: Payload, idempotency_key: str) -> Payload:
    order_id = payload["order_id"]
    note = _add_note(api, order_id, payload["note"], customer=False, key=idempotency_key)
    return {"order_id": order_id, "note": note, "already_done": note["already_done"]}


def _add_note(api: WooCommerceApi, order_id: Any, text: str, *, customer: bool, key: str) -> Payload:
    tag = marker(key)
    found = _own_note(api, order_id, tag)
    if found is not None:
        return {"note_id": found["id"], "already_done": True}
    try:
        created = api.post(f"orders/{order_id}/notes", {"note": f"{text} {tag}", "customer_note": customer})
    except WooCommerceUnavailable:
        found = _own_note(api, order_id, tag)
        if found is None:
            raise
        return {"note_id": found["id"], "already_done": False}
    return {"note_id": created["id"], "already_done": False}


def _own_note(api: WooCommerceApi, order_id: Any, tag: str) -> Mapping[str, Any] | None:
    notes = api.get(f"orders/{order_id}/notes")
    return next((note for note in notes if tag in str(note.get("note") or "")), None)


WRITERS: dict[str, Writer] = {
    actions.CANCEL_ORDER: cancel_order,
    actions.CUSTOMER_NOTE: note_to_customer,
    actions.PRIVATE_NOTE: private_note,
}
