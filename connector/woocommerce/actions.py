"""Which WooCommerce writes a decision needs (contract.md, "Written back to the platform"), as outbox actions.

Planning is pure: the same decision for the same case always yields the same actions and keys.

Each is planned as the kind the request was judged under (`decision.judged_as`, else the kind asked), and so is
the status the store's mapping gives it: Kestia's statutory cancel of a delivered order is an approved return.

- cancel, approve: one action that refunds what the decision states and then sets the status `cancelled`
  (refunding first: a full refund moves an order to `refunded`, and the cancel must be the status that
  stays). One action, not two, so the two writes can't run out of order on different workers.
- return or claim, approve, with a refund: one action that refunds what the decision states, then adds the
  note to the customer and sets the store's mapped status, in that order for the same reason.
- approve or decline (otherwise): an order note to the customer with the reasons, then the status the
  store's mapping gives for that outcome, if any. WooCommerce emails a customer note to the customer.
- review: a private order note with the reasons; the case waits in the review queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.planning import PlannedAction, idempotency_key, one_line, shorten, unique_texts
from connector.woocommerce.statuses import StatusMapping

CANCEL_ORDER = "woocommerce.cancel_order"
REFUND_AND_NOTE = "woocommerce.refund_and_note"
CUSTOMER_NOTE = "woocommerce.customer_note"
PRIVATE_NOTE = "woocommerce.private_note"

REQUEST_KINDS = ("cancel", "return", "claim", "warranty")
NOTE_LIMIT = 2000  # an order note is a WordPress comment; this keeps a long reason list readable
_NOUNS = {"cancel": "cancellation", "return": "return", "claim": "claim", "warranty": "warranty claim"}
REFUNDED_KINDS = ("return", "claim")  # a warranty is repaired or replaced; its note says so
# What the writer needs of the decision's refund (contract.md, "Decision"): the rest stays in the decision.
REFUND_FIELDS = ("currency", "total", "to_gift_card", "shipping", "shipping_tax", "lines")


def plan_actions(decision: Mapping[str, Any], *, case_key: str, request_kind: str, order_id: str,
                 statuses: StatusMapping, previous_status: str | None) -> list[PlannedAction]:
    """The WooCommerce writes this decision needs; `statuses` is the store's mapping, `previous_status` the
    order's status before the request."""
    if request_kind not in REQUEST_KINDS:
        raise ValueError(f"`request_kind` must be one of {', '.join(REQUEST_KINDS)}, got {request_kind!r}")
    outcome = decision.get("outcome")
    noun = _NOUNS[request_kind]
    judged = judged_kind(decision, request_kind)
    status_after = statuses.status_after_decision(judged, str(outcome), previous_status)
    if status_after is None and judged != request_kind and outcome == "decline":
        # The store maps nothing for the judged kind: the request is still answered as asked, so a declined cancel
        # goes back to where the order was instead of staying in its request status.
        status_after = statuses.status_after_decision(request_kind, "decline", previous_status)
    reasons = list(decision.get("reasons") or ())
    messages = " ".join(unique_texts(one_line(str(reason.get("message") or "")) for reason in reasons))

    def action(kind: str, payload: dict[str, Any]) -> PlannedAction:
        return PlannedAction(kind, {"order_id": order_id, **payload}, idempotency_key(case_key, kind))

    refund = stated_refund(decision)
    if outcome == "approve" and judged == "cancel":
        reason = f"Cancellation approved by Assay (case {case_key})."
        cancel = {"refund_reason": shorten(reason, NOTE_LIMIT), "status": "cancelled"}
        return [action(CANCEL_ORDER, cancel if refund is None else {**cancel, "refund": refund})]
    if outcome in ("approve", "decline"):
        verdict = "approved" if outcome == "approve" else "declined"
        tail = " Your order stands." if outcome == "decline" and request_kind == "cancel" else ""
        told = {"note": shorten(f"Your {noun} request has been {verdict}.{tail} {messages}".strip(), NOTE_LIMIT),
                "status": status_after}
        if outcome == "approve" and judged in REFUNDED_KINDS and refund is not None and refund_total(refund):
            reason = f"{noun.capitalize()} approved by Assay (case {case_key})."
            return [action(REFUND_AND_NOTE, {**told, "refund": refund, "purpose": noun,
                                             "refund_reason": shorten(reason, NOTE_LIMIT)})]
        return [action(CUSTOMER_NOTE, told)]
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


def judged_kind(decision: Mapping[str, Any], request_kind: str) -> str:
    """The kind the request is written back as: the clause it was judged under, else the kind asked.

    A statutory cancel of a sent order is judged as a return: the goods come back, so it is refunded as a return
    and moved to the store's status for an approved return, never `cancelled` (which restocks every item at once).
    """
    judged = str(decision.get("judged_as") or request_kind)
    if judged not in REQUEST_KINDS:
        raise ValueError(f"decision `judged_as` must be one of {', '.join(REQUEST_KINDS)}, got {judged!r}")
    return judged


def stated_refund(decision: Mapping[str, Any]) -> dict[str, Any] | None:
    """The decision's refund as the writer needs it; None where the decision has none."""
    refund = decision.get("refund")
    if not isinstance(refund, Mapping):
        return None
    refund_total(refund)  # a refund with no amount is a fault of ours, named before anything is written
    return {name: refund[name] for name in REFUND_FIELDS if name in refund}


def refund_total(refund: Mapping[str, Any]) -> Decimal:
    try:
        total = Decimal(str(refund.get("total")))
    except InvalidOperation:
        total = Decimal("NaN")
    if not total.is_finite() or total < 0:
        raise ValueError("decision `refund.total` must be a decimal amount of zero or more, "
                         f"got {refund.get('total')!r}")
    return total
