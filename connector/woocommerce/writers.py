"""Performs one planned action on a WooCommerce site; running it again after a crash writes nothing twice.

Refunds and notes are created by POST, which the client never resends. Each carries the action's
idempotency key (a refund in its meta_data, a private note in its text, a customer note in the order's meta), and
each writer looks for the key before writing, and again when an answer is lost, so a timeout never refunds or
notifies twice.
A 4xx is permanent (WriteBackRejected); WooCommerceUnavailable propagates for the job to retry.

- cancel: refund what the decision states, then status `cancelled` (refunding first: a full refund moves an
  order to `refunded`, and the cancel must be the status that stays).
- an approved return or claim: refund what the decision states (its reason is the note to the customer, who gets
  WooCommerce's refund email), or the note to the customer when nothing is refunded, then the store's mapped status.
- a decision's gift-card part, and a refund the gateway could not pay: a private note to the merchant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from connector.woocommerce import actions
from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommerceRejected
from connector.woocommerce.notes import add_note, marker
from connector.woocommerce.refunding import RefundNotPossible, gift_card_note, refund_stated

__all__ = ["WRITERS", "WriteBackRejected", "marker", "write_back"]

log = logging.getLogger(__name__)

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
    except (WooCommerceRejected, RefundNotPossible) as error:
        raise WriteBackRejected(str(error), action_kind=action_kind) from error
    log.info("action.written", extra={"site": api.site, "action_kind": action_kind,
                                      "idempotency_key": idempotency_key})
    return result


# --- cancel: refund what the decision states, then status cancelled --------------------------------

def cancel_order(api: WooCommerceApi, payload: Payload, idempotency_key: str) -> Payload:
    order_id = payload["order_id"]
    order = api.get(f"orders/{order_id}")
    stated = payload.get("refund")  # None in actions planned before decisions stated their refund
    refund = refund_stated(api, order, stated, reason=payload["refund_reason"], key=idempotency_key,
                           purpose="cancellation", whole_order=True)
    status = payload.get("status") or "cancelled"
    changed = _set_status(api, order_id, status)
    gift_card = gift_card_note(api, order, stated, key=idempotency_key, purpose="cancellation", cancelled=True)
    result = {"order_id": order_id, "status": status, "refund": refund,
              "already_done": not changed and refund.get("already_done", True)}
    return result if gift_card is None else {**result, "gift_card": gift_card}


# --- an approved return or claim: refund what the decision states, tell the customer, set the status --

def refund_and_note(api: WooCommerceApi, payload: Payload, idempotency_key: str) -> Payload:
    order_id = payload["order_id"]
    order = api.get(f"orders/{order_id}")
    stated = payload["refund"]
    purpose = payload.get("purpose") or "return"
    # WooCommerce emails the customer about a refund itself, with its reason: the decision's words go there, and a
    # customer note (a second email) only when nothing is refunded.
    refund = refund_stated(api, order, stated, reason=payload["note"], key=idempotency_key,
                           purpose=purpose, whole_order=False)
    gift_card = gift_card_note(api, order, stated, key=idempotency_key, purpose=purpose, cancelled=False)
    note = None if refund.get("refund_id") is not None else \
        add_note(api, order_id, payload["note"], customer=True, key=f"{idempotency_key}:note")
    changed = _set_status(api, order_id, payload.get("status"))
    result = {"order_id": order_id, "refund": refund, "note": note, "status": payload.get("status"),
              "already_done": refund.get("already_done", True) and (note or {}).get("already_done", True)
              and not changed}
    return result if gift_card is None else {**result, "gift_card": gift_card}


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
    note = add_note(api, order_id, payload["note"], customer=True, key=idempotency_key)
    changed = _set_status(api, order_id, payload.get("status"))
    return {"order_id": order_id, "note": note, "status": payload.get("status"),
            "already_done": note["already_done"] and not changed}


def private_note(api: WooCommerceApi, payload: Payload, idempotency_key: str) -> Payload:
    order_id = payload["order_id"]
    note = add_note(api, order_id, payload["note"], customer=False, key=idempotency_key)
    return {"order_id": order_id, "note": note, "already_done": note["already_done"]}


WRITERS: dict[str, Writer] = {
    actions.CANCEL_ORDER: cancel_order,
    actions.REFUND_AND_NOTE: refund_and_note,
    actions.CUSTOMER_NOTE: note_to_customer,
    actions.PRIVATE_NOTE: private_note,
}
