"""A decision's writes on Shopify: the actions it plans, and the mutations that perform each one once, however
often its job runs."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from marshmallow import fields

from connector.adapter import TransientWriteError, WriteDeferred
from connector.planning import PlannedAction as PlannedAction
from connector.planning import idempotency_key as idempotency_key
from connector.planning import one_line, shorten, unique_texts
from connector.shopify.api import (
    AdminApi,
    Document,
    JobPacer,
    ShopifyAdminError,
    ShopifyUnavailable,
    ShopifyUserErrors,
    pace_store,
    shopify_api,
)
from connector.shopify.payloads import (
    ORDER_PAYMENTS,
    PAYMENT_KINDS,
    Edge,
    Gid,
    ShopifyPayloadError,
    is_gift_card_gateway,
    load,
    numeric_id,
    order_payments,
    total,
)
from policies.fields import CurrencyCode, Money, Whole
from storage.models import Store
from storage.repositories import StoreCredentials
from storage.settings import Settings

# --- Planning -------------------------------------------------------------------------------------

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
    """Shopify's ReturnDeclineReason for these reasons."""
    # FINAL_SALE wins over RETURN_PERIOD_ENDED when both apply: an excluded item could not have been returned at any
    # time, so "period ended" would wrongly suggest the customer was merely late. The note carries every reason either
    # way.
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
    """What the writer refunds: the decision's total (of it, the gift-card part) for its lines and shipping."""
    # The lines' own amounts stay with the decision: Shopify is told the exact total per payment, and a full
    # cancellation's total may differ from the sum of its lines (what was refunded before comes off it).
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
    messages = unique_texts([one_line(str(reason.get("message") or "")) for reason in request.reasons])
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
        [f"{one_line(str(reason.get('message') or ''))} ({reason.get('code')})" for reason in request.reasons]
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


# --- Tags and note lines --------------------------------------------------------------------------

Payload = dict[str, Any]


class Refused(Exception):
    """A writer found the write impossible (a missing order, a return in the wrong state)."""


def annotate_order(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """Tag the order and append one line to its note, unless the note already carries this action's key."""
    order_gid, tag = payload["order_gid"], payload["tag"]
    order = api.execute(ORDER_NOTE_QUERY, {"id": order_gid})["order"]
    if order is None:
        raise Refused(f"order {order_gid} does not exist")
    note: str = order["note"] or ""
    summary = {"order_gid": order_gid, "tag": tag}
    if marker(idempotency_key) in note:  # the tag went on before the note, so both are there
        return {**summary, "already_done": True}
    api.execute(TAGS_ADD, {"id": order_gid, "tags": [tag]})
    line = f"{payload['note_line']} {marker(idempotency_key)}"
    # orderUpdate overwrites the note; appending keeps the customer's checkout note and earlier lines.
    api.execute(ORDER_NOTE_UPDATE, {"id": order_gid, "note": f"{note.rstrip()}\n{line}" if note.strip() else line})
    return {**summary, "already_done": False}


def marker(idempotency_key: str) -> str:
    """How a key appears in a note; brackets keep one key from matching inside a longer one."""
    return f"[{idempotency_key}]"


def with_marker(text: str, idempotency_key: str, limit: int) -> str:
    mark = marker(idempotency_key)
    return f"{shorten(text, limit - len(mark) - 1)} {mark}"


# --- Where a refund goes --------------------------------------------------------------------------

_ZERO = Decimal("0.00")

# A refund still pending at the gateway will happen: what it takes is no longer there to refund.
_REFUND_STATUSES = frozenset({"SUCCESS", "PENDING"})


class _Amount(Edge):
    amount = Money(required=True)


class _PresentmentAmount(Edge):
    amount = Money(required=True)
    currencyCode = CurrencyCode(required=True)


class _Bag(Edge):
    shopMoney = fields.Nested(_Amount, required=True)
    presentmentMoney = fields.Nested(_PresentmentAmount, load_default=None, allow_none=True)


class _Parent(Edge):
    id = Gid("OrderTransaction", required=True)


class _Transaction(Edge):
    id = Gid("OrderTransaction", required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    gateway = fields.String(load_default=None, allow_none=True)
    amountSet = fields.Nested(_Bag, required=True)
    parentTransaction = fields.Nested(_Parent, load_default=None, allow_none=True)


class _Order(Edge):
    id = Gid("Order", required=True)
    currencyCode = CurrencyCode(required=True)
    presentmentCurrencyCode = CurrencyCode(load_default=None, allow_none=True)
    transactions = fields.List(fields.Nested(_Transaction), load_default=list)


class _LineItemRef(Edge):
    id = Gid("LineItem", required=True)


class _FulfillmentLineItem(Edge):
    lineItem = fields.Nested(_LineItemRef, required=True)


class _ReturnLine(Edge):
    id = fields.String(required=True)
    quantity = Whole(required=True)
    processedQuantity = Whole(load_default=0)
    fulfillmentLineItem = fields.Nested(_FulfillmentLineItem, load_default=None, allow_none=True)


class _ReturnLines(Edge):
    nodes = fields.List(fields.Nested(_ReturnLine), required=True)


class _Refund(Edge):
    id = Gid("Refund", required=True)
    note = fields.String(load_default=None, allow_none=True)
    totalRefundedSet = fields.Nested(_Bag, required=True)


class _Refunds(Edge):
    nodes = fields.List(fields.Nested(_Refund), load_default=list)


class _Return(Edge):
    id = Gid("Return", required=True)
    status = fields.String(required=True)
    order = fields.Nested(_Order, required=True)
    returnLineItems = fields.Nested(_ReturnLines, required=True)
    refunds = fields.Nested(_Refunds, load_default=None, allow_none=True)


_RETURN = _Return()


@dataclass(frozen=True, slots=True)
class Payment:
    """A SALE or CAPTURE that succeeded: what it took, and how much of it was refunded already."""

    id: str
    gift_card: bool
    amount: Decimal  # shop money
    refunded: Decimal

    @property
    def refundable(self) -> Decimal:
        return max(self.amount - self.refunded, _ZERO)


@dataclass(frozen=True, slots=True)
class ReturnLine:
    id: str
    line_id: str | None  # the order line's numeric id, as the case names it
    quantity: int
    processed: int


@dataclass(frozen=True, slots=True)
class ReturnToRefund:
    """A Shopify return as the refund writer sees it."""

    return_gid: str
    status: str
    order_gid: str
    currency: str
    presentment_currency: str
    payments: tuple[Payment, ...]
    lines: tuple[ReturnLine, ...]
    refunded: Decimal  # by every refund already on the return

    @property
    def in_shop_currency(self) -> bool:
        """returnProcess takes amounts in the customer's currency; only where it is the shop's are they the case's."""
        return self.presentment_currency == self.currency


@dataclass(frozen=True, slots=True)
class Placed:
    payment_id: str
    gift_card: bool
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Placement:
    placed: tuple[Placed, ...]
    short: Decimal  # what no payment of the right kind can take back

    @property
    def amount(self) -> Decimal:
        return total(p.amount for p in self.placed)

    @property
    def to_gift_card(self) -> Decimal:
        return total(p.amount for p in self.placed if p.gift_card)


def return_to_refund(data: Mapping[str, Any]) -> ReturnToRefund:
    """RETURN_TO_REFUND's `data`; raises ShopifyPayloadError naming each bad field."""
    raw = data.get("return") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("ReturnToRefund", ["return: not found (deleted, or not visible to the app)"])
    found = load(_RETURN, raw, "ReturnToRefund", "return")
    order = found["order"]
    lines = tuple(
        ReturnLine(line["id"], numeric_id(line["fulfillmentLineItem"]["lineItem"]["id"])
                   if line["fulfillmentLineItem"] else None, line["quantity"], line["processedQuantity"])
        for line in found["returnLineItems"]["nodes"]
    )
    refunds = (found["refunds"] or {}).get("nodes", [])
    return ReturnToRefund(
        return_gid=found["id"], status=found["status"], order_gid=order["id"], currency=order["currencyCode"],
        presentment_currency=order["presentmentCurrencyCode"] or order["currencyCode"],
        payments=payments(order["transactions"]), lines=lines,
        refunded=total(r["totalRefundedSet"]["shopMoney"]["amount"] for r in refunds),
    )


def payments(transactions: Sequence[Mapping[str, Any]]) -> tuple[Payment, ...]:
    """The order's payments, each with what its refunds (REFUND transactions naming it as parent) took back."""
    refunded: dict[str, Decimal] = {}
    for t in transactions:
        parent = t["parentTransaction"]
        if t["kind"] == "REFUND" and t["status"] in _REFUND_STATUSES and parent is not None:
            refunded[parent["id"]] = refunded.get(parent["id"], _ZERO) + t["amountSet"]["shopMoney"]["amount"]
    return tuple(
        Payment(t["id"], is_gift_card_gateway(t["gateway"]), t["amountSet"]["shopMoney"]["amount"],
                refunded.get(t["id"], _ZERO))
        for t in transactions
        if t["kind"] in PAYMENT_KINDS and t["status"] == "SUCCESS"
    )


def place(amount: Decimal, to_gift_card: Decimal, on: Iterable[Payment]) -> Placement:
    """`amount` spread over the payments: `to_gift_card` of it on gift-card ones, the rest on the others."""
    available = list(on)
    gift_card_part = min(max(to_gift_card, _ZERO), amount)
    placed: list[Placed] = []
    short = _ZERO
    for part, gift_card in ((gift_card_part, True), (amount - gift_card_part, False)):
        for payment in (p for p in available if p.gift_card is gift_card):
            taken = min(part, payment.refundable)
            if taken > 0:
                placed.append(Placed(payment.id, gift_card, taken))
                part -= taken
        short += part
    return Placement(tuple(placed), short)


def lines_to_process(asked: Iterable[Mapping[str, Any]], lines: Sequence[ReturnLine]) -> list[tuple[ReturnLine, int]]:
    """Each decided line's units as return lines: a line split over fulfillments fills its return lines in order."""
    chosen: list[tuple[ReturnLine, int]] = []
    errors: list[str] = []
    for index, line in enumerate(asked):
        wanted = int(line["quantity"])
        for candidate in (c for c in lines if c.line_id == str(line["line_id"])):
            taken = min(wanted, candidate.quantity)
            if taken:
                chosen.append((candidate, taken))
                wanted -= taken
        if wanted:
            errors.append(f"refund.lines.{index}: {wanted} unit(s) of line {line['line_id']} are not on the return")
    if errors:
        raise ShopifyPayloadError("ReturnToRefund", errors)
    return chosen


def return_process_input(
    found: ReturnToRefund, chosen: Sequence[tuple[ReturnLine, int]], placement: Placement, shipping: Decimal, note: str
) -> dict[str, Any]:
    """returnProcess's input: the lines, the original shipping refunded, and the money per parent payment."""
    money = {"currencyCode": found.currency}
    process: dict[str, Any] = {
        "returnId": found.return_gid,
        "returnLineItems": [{"id": line.id, "quantity": quantity} for line, quantity in chosen],
        "notifyCustomer": True,
        "note": note,
        "financialTransfer": {"issueRefund": {"orderTransactions": [
            {"parentId": p.payment_id, "transactionAmount": {**money, "amount": f"{p.amount:f}"}}
            for p in placement.placed
        ]}},
    }
    if shipping > 0:
        process["refundShipping"] = {"shippingRefundAmount": {**money, "amount": f"{shipping:f}"}}
    return process


# --- Settling a return ----------------------------------------------------------------------------

APPROVED_RETURN_STATUSES = frozenset({"OPEN", "CLOSED"})  # an approved return opens, and closes once processed
DECLINED_RETURN_STATUSES = frozenset({"DECLINED"})
Chosen = list[tuple[ReturnLine, int]]


def approve_return(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """returnApproveRequest, notifying the customer; then the decided refund, when there is one."""
    return_gid = payload["return_gid"]
    variables = {"id": return_gid, "notifyCustomer": True}
    approved = _settle_return(api, return_gid, RETURN_APPROVE_REQUEST, variables, APPROVED_RETURN_STATUSES,
                              "approved")
    refund = payload.get("refund")
    if not refund or Decimal(refund["total"]) <= 0:
        return approved
    refunded = refund_return(api, return_gid, refund, idempotency_key)
    return {**approved, "already_done": approved["already_done"] and refunded["already_done"], "refund": refunded}


def decline_return(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """returnDeclineRequest with the planned reason and the customer-facing note, notifying the customer."""
    return_gid = payload["return_gid"]
    variables = {"id": return_gid, "declineReason": payload["decline_reason"],
                 "declineNote": payload.get("decline_note"), "notifyCustomer": True}
    return _settle_return(api, return_gid, RETURN_DECLINE_REQUEST, variables, DECLINED_RETURN_STATUSES, "declined")


def _settle_return(
    api: AdminApi, return_gid: str, mutation: Document, variables: Payload, settled: frozenset[str], verb: str
) -> Payload:
    """Move a REQUESTED return to `settled`, or confirm that it already is there."""
    status = _return_status(api, return_gid)
    if status in settled:
        return {"return_gid": return_gid, "status": status, "already_done": True}
    if status != "REQUESTED":
        raise Refused(f"return {return_gid} is {status}, so it can't be {verb}")
    try:
        data = api.execute(mutation, variables)
    except ShopifyUserErrors:
        status = _return_status(api, return_gid)
        if status in settled:  # our own earlier request, whose answer was lost, got there first
            return {"return_gid": return_gid, "status": status, "already_done": True}
        raise
    returned = next(iter(data.values()))["return"] or {}
    return {"return_gid": return_gid, "status": returned.get("status"), "already_done": False}


def _return_status(api: AdminApi, return_gid: str) -> str:
    found = api.execute(RETURN_STATE, {"id": return_gid})["return"]
    if found is None:
        raise Refused(f"return {return_gid} does not exist")
    return str(found["status"])


def refund_return(api: AdminApi, return_gid: str, refund: Payload, idempotency_key: str) -> Payload:
    """Process the decided lines and refund `refund["total"]`, unless an earlier run (or staff) already did."""
    decided, currency = Decimal(refund["total"]), str(refund["currency"])
    found, chosen = _return_and_lines(api, return_gid, refund)
    progress = _progress(chosen)
    if progress == "processed":
        return _settled_before(api, found, refund, idempotency_key)
    if progress == "partly processed":
        raise Refused(f"return {return_gid} has some of the decided lines processed in Shopify already; "
                      f"settle the rest of the {decided} {currency} refund by hand")
    if found.status != "OPEN":
        raise Refused(f"return {return_gid} is {found.status}, so it can't be processed")
    if not found.in_shop_currency:  # the amounts would have to be converted: not to the cent
        _leave_to_merchant(api, found, refund, decided, idempotency_key,
                           f"the customer paid in {found.presentment_currency}, so Assay refunded nothing")
        return _summary(found, Decimal(0), Decimal(0), decided, already_done=False)
    placement = place(decided, Decimal(refund.get("to_gift_card") or 0), found.payments)
    if placement.amount == 0:
        _leave_to_merchant(api, found, refund, decided, idempotency_key, "no payment could take it back")
        return _summary(found, Decimal(0), Decimal(0), decided, already_done=False)
    note = f"Assay refund as decided, {decided} {currency} {marker(idempotency_key)}"
    shipping = Decimal(refund.get("shipping") or 0)
    variables = {"input": return_process_input(found, chosen, placement, shipping, note)}
    try:
        api.execute(RETURN_PROCESS, variables)
    except ShopifyUserErrors:
        found, chosen = _return_and_lines(api, return_gid, refund)
        if _progress(chosen) == "processed":  # our own earlier request, whose answer was lost
            return _settled_before(api, found, refund, idempotency_key)
        raise
    if placement.short > 0:
        _leave_to_merchant(api, found, refund, placement.short, idempotency_key,
                           "no payment it came from could take it back")
    return _summary(found, placement.amount, placement.to_gift_card, placement.short, already_done=False)


def _return_and_lines(api: AdminApi, return_gid: str, refund: Payload) -> tuple[ReturnToRefund, Chosen]:
    try:
        found = return_to_refund(api.execute(RETURN_TO_REFUND, {"id": return_gid}))
        return found, lines_to_process(refund.get("lines") or [], found.lines)
    except ShopifyPayloadError as error:
        raise Refused(str(error)) from None


def _progress(chosen: Chosen) -> str:
    """Assay processes a return's decided lines in one call: all processed is done, some is someone else's work."""
    if chosen and all(line.processed >= quantity for line, quantity in chosen):
        return "processed"
    if any(line.processed for line, _ in chosen):
        return "partly processed"
    return "unprocessed"


def _settled_before(api: AdminApi, found: ReturnToRefund, refund: Payload, idempotency_key: str) -> Payload:
    """Processed already: what the return's refunds fell short of the decision is left to the merchant (again
    harmlessly: the note carries the key once)."""
    short = max(Decimal(refund["total"]) - found.refunded, Decimal(0))
    if short > 0:
        _leave_to_merchant(api, found, refund, short, idempotency_key, "the return's refunds came to less")
    return _summary(found, found.refunded, None, short, already_done=True)


def _leave_to_merchant(api: AdminApi, found: ReturnToRefund, refund: Payload, short: Decimal, idempotency_key: str,
                       why: str) -> None:
    currency = refund["currency"]
    line = (f"Assay case {refund.get('case_key', '?')}: {short} {currency} of the decided refund of {refund['total']} "
            f"{currency} was not refunded in Shopify ({why}); refund it by hand, as store credit or a gift card "
            f"where it was paid that way.")
    annotate_order(api, {"order_gid": found.order_gid, "tag": REFUND_BY_HAND_TAG,
                         "note_line": one_line(line)}, f"{idempotency_key}:by-hand")


def _summary(found: ReturnToRefund, refunded: Decimal, to_gift_card: Decimal | None, short: Decimal, *,
             already_done: bool) -> Payload:
    summary = {"return_gid": found.return_gid, "refunded": f"{refunded:f}", "left_to_merchant": f"{short:f}",
               "already_done": already_done}
    if to_gift_card is not None:
        summary["to_gift_card"] = f"{to_gift_card:f}"
    return summary


# --- Performing an action -------------------------------------------------------------------------

log = logging.getLogger(__name__)
STAFF_NOTE_LIMIT = 255  # orderCancel(staffNote:), per the 2026-07 schema
JOB_MAX_POLLS = 8
JOB_FIRST_DELAY_SECONDS = 0.5

# Nothing sleeps more than a second inside a job: 8 polls wait about 7 seconds in all, or less where the client's
# waiting budget ends first (a job's: a second in all); then the job is rescheduled and its retry finds the order
# cancelled.
JOB_DELAY_CAP_SECONDS = 1.0

# orderCancel's refusal of a repeat has only the generic code INVALID; its message tells it from other refusals.
_ALREADY_CANCELLED = re.compile(r"already\s+(?:been\s+|being\s+)?cancel", re.IGNORECASE)
Writer = Callable[[AdminApi, Payload, str], Payload]


class WriteBackRejected(Exception):
    """Shopify refused the write for good (or it can't be done); retrying won't help."""

    def __init__(self, reason: str, *, action_kind: str, codes: Sequence[str] = ()) -> None:
        super().__init__(f"{action_kind}: {reason}")
        self.reason = reason
        self.action_kind = action_kind
        self.codes = list(codes)


def write_back(api: AdminApi, action_kind: str, payload: Payload, idempotency_key: str) -> Payload:
    """Perform the action on the shop and return a summary for the outbox; a repeat returns already_done."""
    writer = WRITERS.get(action_kind)
    if writer is None:
        raise WriteBackRejected(f"no Shopify writer for this action kind, known: {', '.join(WRITERS)}",
                                action_kind=action_kind)
    try:
        result = writer(api, payload, idempotency_key)
    except Refused as refused:
        raise WriteBackRejected(str(refused), action_kind=action_kind) from None
    except ShopifyAdminError as error:
        if error.retryable:
            raise
        codes = error.codes if isinstance(error, ShopifyUserErrors) else []
        raise WriteBackRejected(str(error), action_kind=action_kind, codes=codes) from error
    log.info("action.written", extra={"shop": api.shop, "action_kind": action_kind,
                                      "idempotency_key": idempotency_key, "already_done": result["already_done"]})
    return result


def cancel_order(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """orderCancel refunding the original payment, restocking and notifying; then wait for its job."""
    # Shopify refunds all it still holds of what was paid, split over the payments as they were made (a gift card's part
    # back to the gift card): exactly the decision's total, unless what was paid or refunded changed after the case was
    # opened. Then Shopify's figure is the one refunded, and the order says so before it is cancelled: a tag and a note
    # line with both amounts.
    order_gid = payload["order_gid"]
    order = _cancellation(api, order_gid)
    if order["cancelledAt"]:
        return _cancelled(order, idempotency_key, already_done=True)
    checked = _check_refund(api, order_gid, payload["refund"], idempotency_key) if payload.get("refund") else {}
    variables = {"orderId": order_gid, "reason": "CUSTOMER", "restock": True, "notifyCustomer": True,
                 "staffNote": with_marker(payload["staff_note"], idempotency_key, STAFF_NOTE_LIMIT)}
    try:
        data = api.execute(ORDER_CANCEL_MUTATION, variables)
    except ShopifyUserErrors as refused:
        order = _cancellation(api, order_gid)
        if order["cancelledAt"]:
            return _cancelled(order, idempotency_key, already_done=True)
        if any(_ALREADY_CANCELLED.search(str(error.get("message", ""))) for error in refused.user_errors):
            # Our earlier request (answer lost) is still being carried out; a later retry will find it done.
            raise ShopifyUnavailable("the order's cancellation is still in progress", shop=api.shop,
                                     operation=ORDER_CANCEL_MUTATION.operation_name) from refused
        raise
    job = data["orderCancel"]["job"]
    job_done = _wait_for_job(api, job["id"]) if job and not job["done"] else True
    order = _cancellation(api, order_gid)
    if order["cancelledAt"]:
        return {**_cancelled(order, idempotency_key, already_done=False), **checked}
    if job_done:
        raise Refused("Shopify finished the cancellation job but the order is not cancelled")
    raise ShopifyUnavailable(f"the cancellation job was not done after {JOB_MAX_POLLS} polls", shop=api.shop,
                             operation=JOB.operation_name)


def _wait_for_job(api: AdminApi, job_gid: str) -> bool:
    """Poll the job with growing pauses (bounded); True once Shopify reports it done."""
    delay = JOB_FIRST_DELAY_SECONDS
    for _ in range(JOB_MAX_POLLS):
        api.sleep(delay)
        job = api.execute(JOB, {"id": job_gid})["job"]
        if job is None:
            return False  # Shopify no longer knows the job; the order's own state tells what happened
        if job["done"]:
            return True
        delay = min(delay * 2, JOB_DELAY_CAP_SECONDS)
    return False


def _cancellation(api: AdminApi, order_gid: str) -> Payload:
    order: Payload | None = api.execute(ORDER_CANCELLATION, {"id": order_gid})["order"]
    if order is None:
        raise Refused(f"order {order_gid} does not exist")
    return order


def _check_refund(api: AdminApi, order_gid: str, refund: Payload, idempotency_key: str) -> Payload:
    """Compare the decided refund with what cancelling will refund; a difference is noted on the order."""
    try:
        held = order_payments(api.execute(ORDER_PAYMENTS, {"id": order_gid})).refundable
    except ShopifyPayloadError as error:
        raise Refused(str(error)) from None
    decided, currency = Decimal(refund["total"]), refund["currency"]
    checked = {"refund_decided": f"{decided:f}", "refund_by_shopify": None if held is None else f"{held:f}"}
    if held is not None and held != decided:
        line = (f"Assay case {refund.get('case_key', '?')}: the decision refunds {decided} {currency}; cancelling "
                f"refunds what Shopify holds as paid and not refunded, {held} {currency}, to the original payments: "
                f"{abs(held - decided)} {currency} {'less' if held < decided else 'more'} than decided. Check it.")
        annotate_order(api, {"order_gid": order_gid, "tag": REFUND_CHECK_TAG, "note_line": line},
                       f"{idempotency_key}:refund-check")
    return checked


def _cancelled(order: Payload, idempotency_key: str, *, already_done: bool) -> Payload:
    staff_note = (order.get("cancellation") or {}).get("staffNote") or ""
    return {"order_gid": order["id"], "cancelled_at": order["cancelledAt"], "already_done": already_done,
            "cancelled_by_assay": marker(idempotency_key) in staff_note}


WRITERS: dict[str, Writer] = {
    ORDER_CANCEL: cancel_order,
    RETURN_APPROVE: approve_return,
    RETURN_DECLINE: decline_return,
    REVIEW: annotate_order,
    ORDER_NOTE: annotate_order,
}

# The longest a write waits in place for its slot in the store's bucket: about a write's own work. A longer wait
# is put off to the slot instead, so a backlogged store's writes never hold workers while other stores' wait.
PACE_INLINE_WAIT_SECONDS = 0.1


def write_shopify_action(store: Store, credentials: StoreCredentials, payload: dict[str, Any], key: str,
                         kind: str, settings: Settings) -> dict[str, Any]:
    """The write, paced to the store's bucket: a job whose cost won't fit yet is put off to its slot unsent (before
    a client is even made, so a put-off job costs the worker next to nothing)."""
    ledger = pace_store(current_app.extensions)
    pacer = JobPacer(ledger, store.domain, key, kind) if ledger else None
    wait = pacer.admit() if pacer else 0.0
    if wait > PACE_INLINE_WAIT_SECONDS:
        raise WriteDeferred(f"{store.domain}'s Shopify bucket has room for this write in {wait:.2f}s", retry_after=wait)
    completed = False
    try:
        with shopify_api(store, credentials, settings, pacer) as api:
            if wait > 0:
                api.sleep(wait)
            result = write_back(api, kind, payload, key)
            completed = True
            return result
    except ShopifyUnavailable as error:
        raise TransientWriteError(str(error), retry_after=error.retry_after, held_for=error.held_for) from error
    finally:
        if pacer:
            pacer.release(completed=completed)


# --- Documents ------------------------------------------------------------------------------------

# Shop currency and the customer's (presentment) currency both come back; the case builder picks one.
_MONEY_BAG = """
fragment MoneyBagAmounts on MoneyBag {
  shopMoney { amount currencyCode }
  presentmentMoney { amount currencyCode }
}
"""
ORDER_NOTE_QUERY = Document("OrderNote", """
query OrderNote($id: ID!) {
  order(id: $id) { id note }
}
""")
JOB = Document("Job", """
query Job($id: ID!) {
  job(id: $id) { id done }
}
""")

# The whole order, refunded to the original payment methods; `refund: Boolean` is deprecated in 2026-07.
ORDER_CANCEL_MUTATION = Document("OrderCancel", """
mutation OrderCancel(
  $orderId: ID!
  $reason: OrderCancelReason! = CUSTOMER
  $restock: Boolean! = true
  $notifyCustomer: Boolean = true
  $staffNote: String
) {
  orderCancel(
    orderId: $orderId
    reason: $reason
    refundMethod: { originalPaymentMethodsRefund: true }
    restock: $restock
    notifyCustomer: $notifyCustomer
    staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
""")
RETURN_APPROVE_REQUEST = Document("ReturnApproveRequest", """
mutation ReturnApproveRequest($id: ID!, $notifyCustomer: Boolean = true) {
  returnApproveRequest(input: { id: $id, notifyCustomer: $notifyCustomer }) {
    return { id status }
    userErrors { field message code }
  }
}
""")
RETURN_DECLINE_REQUEST = Document("ReturnDeclineRequest", """
mutation ReturnDeclineRequest(
  $id: ID!
  $declineReason: ReturnDeclineReason!
  $declineNote: String
  $notifyCustomer: Boolean = true
) {
  returnDeclineRequest(
    input: { id: $id, declineReason: $declineReason, declineNote: $declineNote, notifyCustomer: $notifyCustomer }
  ) {
    return { id status decline { reason note } }
    userErrors { field message code }
  }
}
""")
TAGS_ADD = Document("TagsAdd", """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
""", repeatable=True)

# 2026-07 has no timeline-comment mutation, so a review note goes into Order.note, which orderUpdate
# overwrites: read it with ORDER_NOTE_QUERY first and append, so the customer's own checkout note survives.
ORDER_NOTE_UPDATE = Document("OrderNoteUpdate", """
mutation OrderNoteUpdate($id: ID!, $note: String!) {
  orderUpdate(input: { id: $id, note: $note }) {
    order { id note }
    userErrors { field message }
  }
}
""", repeatable=True)

# Since 2026-04 Shopify rejects refundCreate at runtime without @idempotent; the key is the action's.
REFUND_CREATE = Document("RefundCreate", """
mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund {
      id
      createdAt
      totalRefundedSet { ...MoneyBagAmounts }
    }
    userErrors { field message }
  }
}
""" + _MONEY_BAG)

# Read before writing and after a refusal: a retried action must find the cancellation that already happened.
ORDER_CANCELLATION = Document("OrderCancellation", """
query OrderCancellation($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    cancellation { staffNote }
  }
}
""")
RETURN_STATE = Document("ReturnState", """
query ReturnState($id: ID!) {
  return(id: $id) {
    id
    status
    requestApprovedAt
    decline { reason }
  }
}
""")

# What returnProcess needs and what tells a retry it already happened: each return line's order line and
# how much of it is processed, the refunds on the return, and the payments a refund goes back to (a
# refund names each parent SALE or CAPTURE and its amount in the customer's currency).
RETURN_TO_REFUND = Document("ReturnToRefund", """
query ReturnToRefund($id: ID!) {
  return(id: $id) {
    id
    status
    order {
      id
      currencyCode
      presentmentCurrencyCode
      transactions(first: 30) {
        id
        kind
        status
        gateway
        amountSet { shopMoney { amount } presentmentMoney { amount currencyCode } }
        parentTransaction { id }
      }
    }
    returnLineItems(first: 50) {
      nodes {
        id
        quantity
        processedQuantity
        ... on ReturnLineItem {
          fulfillmentLineItem { lineItem { id } }
        }
      }
    }
    refunds(first: 10) {
      nodes { id note totalRefundedSet { shopMoney { amount } } }
    }
  }
}
""")

# Shopify's way to refund a return since 2025-07 (returnRefund is deprecated, and refundCreate does not
# tie the money to the return): it confirms the return's lines and refunds exactly the amounts given per
# parent transaction. It takes no @idempotent key in 2026-07, so it is never resent after a lost answer;
# the writer reads RETURN_TO_REFUND first and again after a refusal.
RETURN_PROCESS = Document("ReturnProcess", """
mutation ReturnProcess($input: ReturnProcessInput!) {
  returnProcess(input: $input) {
    return {
      id
      status
      refunds(first: 5) {
        nodes { id totalRefundedSet { shopMoney { amount } } }
      }
    }
    userErrors { field message code }
  }
}
""")
