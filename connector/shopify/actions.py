"""Which Shopify writes a decision needs (contract.md, "Written back to the platform"), as outbox actions.

Planning is pure: the same decision for the same case always yields the same actions with the same
idempotency keys, so re-planning after a crash enqueues nothing new.

Two rows the contract leaves open, decided here:
- A declined cancel: Shopify has no cancellation-request object to decline, and 2026-07 has no mutation
  that messages a customer. The customer hears the decision from the channel they asked through (the
  storefront form or the JSON API answers with it); on Shopify the order gets the tag
  `assay-cancel-declined` and a staff note line with the reasons, so staff see why it wasn't cancelled.
- A return, claim or warranty decided without a Shopify return (asked through the storefront form, not
  Shopify's return request): there is nothing to approve or decline, so the order gets a tag and a staff
  note line instead, for staff to act on.
- An approved return with a refund: approved, then processed with the decided refund, in one action, so the
  refund never runs before the approval it needs (client_returns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.planning import PlannedAction as PlannedAction
from connector.planning import idempotency_key as idempotency_key
from connector.planning import one_line, unique_texts
from connector.planning import shorten as shorten

ORDER_CANCEL = "shopify.order_cancel"
RETURN_APPROVE = "shopify.return_approve"
RETURN_DECLINE = "shopify.return_decline"
REVIEW = "shopify.review"
ORDER_NOTE = "shopify.order_note"

REVIEW_TAG = "assay-review"
CANCEL_DECLINED_TAG = "assay-cancel-declined"
RETURN_APPROVED_TAG = "assay-return-approved"
RETURN_DECLINED_TAG = "assay-return-declined"
REFUND_BY_HAND_TAG = "assay-refund-by-hand"  # part of a decided refund Shopify could not send back where it came from
REFUND_CHECK_TAG = "assay-refund-check"  # a cancellation refunds what Shopify holds, which differed from the decision

REQUEST_KINDS = ("cancel", "return", "claim", "warranty")
DECLINE_NOTE_LIMIT = 500  # ReturnDeclineRequestInput.declineNote, per the 2026-07 schema
NOTE_LINE_LIMIT = 1000  # one line of the order note; keeps a long reason list from swamping the note


@dataclass(frozen=True)
class _Request:
    decision: Mapping[str, Any]
    case_key: str
    kind: str
    order_gid: str
    return_gid: str | None

    @property
    def reasons(self) -> list[Mapping[str, Any]]:
        return list(self.decision.get("reasons") or ())

    def action(self, kind: str, payload: dict[str, Any]) -> PlannedAction:
        return PlannedAction(kind, payload, idempotency_key(self.case_key, kind))


def plan_actions(
    decision: Mapping[str, Any], *, case_key: str, request_kind: str, order_gid: str, return_gid: str | None
) -> list[PlannedAction]:
    """The Shopify writes this decision needs, in the order to perform them."""
    if request_kind not in REQUEST_KINDS:
        raise ValueError(f"`request_kind` must be one of {', '.join(REQUEST_KINDS)}, got {request_kind!r}")
    outcome = decision.get("outcome")
    # Written as the clause it was judged under: a statutory cancel of a sent order is approved as a return.
    family = "cancel" if (decision.get("judged_as") or request_kind) == "cancel" else "return"
    planner = _PLANNERS.get((family, str(outcome)))
    if planner is None:
        raise ValueError(f"decision `outcome` must be approve, decline or review, got {outcome!r}")
    return [planner(_Request(decision, case_key, request_kind, order_gid, return_gid))]


def decline_reason(reasons: Iterable[Mapping[str, Any]]) -> str:
    """Shopify's ReturnDeclineReason for these reasons.

    FINAL_SALE wins over RETURN_PERIOD_ENDED when both apply: an excluded item could not have been returned
    at any time, so "period ended" would wrongly suggest the customer was merely late. The note carries
    every reason either way.
    """
    codes = {reason.get("code") for reason in reasons}
    if "final_sale" in codes:
        return "FINAL_SALE"
    if "return_window_ended" in codes:
        return "RETURN_PERIOD_ENDED"
    return "OTHER"


def _cancel_order(request: _Request) -> PlannedAction:
    note = f"Assay approved the customer's cancellation request (case {request.case_key})."
    payload: dict[str, Any] = {"order_gid": request.order_gid, "staff_note": note}
    refund = _refund(request)
    if refund:  # orderCancel refunds what Shopify holds; the writer checks it against the decision
        payload["refund"] = {key: refund[key] for key in ("currency", "total", "case_key")}
    return request.action(ORDER_CANCEL, payload)


def _note_cancel_declined(request: _Request) -> PlannedAction:
    line = f"Assay case {request.case_key}: cancellation request declined, the order stands."
    return _order_note(request, ORDER_NOTE, CANCEL_DECLINED_TAG, line)


def _approve_return(request: _Request) -> PlannedAction:
    refund = _refund(request)
    if request.return_gid is None:
        owed = ""
        if refund:
            owed = f" {refund['total']} {refund['currency']}"
            if Decimal(refund["to_gift_card"]) > 0:
                owed += f" ({refund['to_gift_card']} {refund['currency']} of it to the gift card or store credit)"
        line = (f"Assay case {request.case_key}: {request.kind} request approved; no Shopify return exists for it, "
                f"so create the return or refund{owed} by hand.")
        return _order_note(request, ORDER_NOTE, RETURN_APPROVED_TAG, line)
    payload: dict[str, Any] = {"return_gid": request.return_gid}
    if refund:
        payload["refund"] = refund
    return request.action(RETURN_APPROVE, payload)


def _refund(request: _Request) -> dict[str, Any] | None:
    """What the writer refunds: the decision's total (of it, the gift-card part) for its lines and shipping.

    The lines' own amounts stay with the decision: Shopify is told the exact total per payment, and a full
    cancellation's total may differ from the sum of its lines (what was refunded before comes off it).
    """
    refund = request.decision.get("refund")
    if not refund or Decimal(str(refund.get("total") or 0)) <= 0:
        return None
    return {
        "case_key": request.case_key,
        "currency": refund["currency"],
        "total": refund["total"],
        "to_gift_card": refund.get("to_gift_card") or "0.00",
        "shipping": refund.get("shipping") or "0.00",
        "lines": [{"line_id": line["line_id"], "quantity": line["quantity"]} for line in refund.get("lines") or ()],
    }


def _decline_return(request: _Request) -> PlannedAction:
    if request.return_gid is None:
        line = f"Assay case {request.case_key}: {request.kind} request declined."
        return _order_note(request, ORDER_NOTE, RETURN_DECLINED_TAG, line)
    messages = unique_texts(one_line(str(reason.get("message") or "")) for reason in request.reasons)
    note = shorten(" ".join(messages), DECLINE_NOTE_LIMIT) or None
    payload = {"return_gid": request.return_gid, "decline_reason": decline_reason(request.reasons),
               "decline_note": note}
    return request.action(RETURN_DECLINE, payload)


def _flag_for_review(request: _Request) -> PlannedAction:
    line = f"Assay case {request.case_key}: {request.kind} request needs a decision."
    respond_by = request.decision.get("respond_by")
    return _order_note(request, REVIEW, REVIEW_TAG, line, f"Respond by {respond_by}." if respond_by else "")


def _order_note(request: _Request, kind: str, tag: str, headline: str, tail: str = "") -> PlannedAction:
    reasons = "; ".join(unique_texts(
        f"{one_line(str(reason.get('message') or ''))} ({reason.get('code')})" for reason in request.reasons
    ))
    line = " ".join(part for part in (headline, f"Reasons: {reasons}." if reasons else "", tail) if part)
    return request.action(kind, {"order_gid": request.order_gid, "tag": tag,
                                 "note_line": shorten(line, NOTE_LINE_LIMIT)})


_PLANNERS: dict[tuple[str, str], Callable[[_Request], PlannedAction]] = {
    ("cancel", "approve"): _cancel_order,
    ("cancel", "decline"): _note_cancel_declined,
    ("cancel", "review"): _flag_for_review,
    ("return", "approve"): _approve_return,
    ("return", "decline"): _decline_return,
    ("return", "review"): _flag_for_review,
}
