"""Which WooCommerce writes a decision needs (contract.md, "Written back to the platform"), as outbox actions.

Planning is pure: the same decision for the same case always yields the same actions and keys.

- cancel, approve: one action that refunds what was paid and then sets the status `cancelled` (refunding
  first: a full refund moves an order to `refunded`, and the cancel must be the status that stays). One
  action, not two, so the two writes can't run out of order on different workers.
- approve or decline (any kind): an order note to the customer with the reasons, then the status the
  store's mapping gives for that outcome, if any. WooCommerce emails a customer note to the customer.
- review: a private order note with the reasons; the case waits in the review queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.planning import PlannedAction, idempotency_key, one_line, shorten, unique_texts

CANCEL_ORDER = "woocommerce.cancel_order"
CUSTOMER_NOTE = "woocommerce.customer_note"
PRIVATE_NOTE = "woocommerce.private_note"

REQUEST_KINDS = ("cancel", "return", "claim", "warranty")
NOTE_LIMIT = 2000  # an order note is a WordPress comment; this keeps a long reason list readable
_NOUNS = {"cancel": "cancellation", "return": "return", "claim": "claim", "warranty": "warranty claim"}


def plan_actions(decision: Mapping[str, Any], *, case_key: str, request_kind: str, order_id: str,
                 status_after: str | None) -> list[PlannedAction]:
    """The WooCommerce writes this decision needs; `status_after` is the store's mapped status for its outcome."""
    if request_kind not in REQUEST_KINDS:
        raise ValueError(f"`request_kind` must be one of {', '.join(REQUEST_KINDS)}, got {request_kind!r}")
    outcome = decision.get("outcome")
    noun = _NOUNS[request_kind]
    reasons = list(decision.get("reasons") or ())
    messages = " ".join(unique_texts(one_line(str(reason.get("message") or "")) for reason in reasons))

    def action(kind: str, payload: dict[str, Any]) -> PlannedAction:
        return PlannedAction(kind, {"order_id": order_id, **payload}, idempotency_key(case_key, kind))

    if outcome == "approve" and request_kind == "cancel":
        reason = f"Cancellation approved by Assay (case {case_key})."
        return [action(CANCEL_ORDER, {"refund_reason": shorten(reason, NOTE_LIMIT), "status": "cancelled"})]
    if outcome in ("approve", "decline"):
        verdict = "approved" if outcome == "approve" else "declined"
        tail = " Your order stands." if outcome == "decline" and request_kind == "cancel" else ""
        note = f"Your {noun} request has been {verdict}.{tail} {messages}".strip()
        return [action(CUSTOMER_NOTE, {"note": shorten(note, NOTE_LIMIT), "status": status_after})]
    if outcome == "review":
        listed = "; ".join(unique_texts(
            f"{one_line(str(reason.get('message') or ''))} ({reason.get('code')})" for reason in reasons))
        respond_by = decision.get("respond_by")
        note = " ".join(part for part in (
            f"Assay case {case_key}: the customer's {noun} request needs a decision.",
            f"Reasons: {listed}." if listed else "",
            f"Respond by {respond_by}." if respond_by else "",
        ) if part)
        return [action(PRIVATE_NOTE, {"note": shorten(note, NOTE_LIMIT)})]
    raise ValueError(f"decision `outcome` must be approve, decline or review, got {outcome!r}")
