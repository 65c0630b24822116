"""Settling a Shopify return as decided: approve or decline it, and refund an approved one exactly as decided.

An approved return with a refund is approved (returnApproveRequest) and then processed (returnProcess): its
decided lines confirmed and the decision's `total` refunded, `to_gift_card` of it to the gift-card payments
(refund_placement.py). returnProcess has no idempotency key, so its own effect is the record: a return whose
decided lines are processed was refunded, and is never processed again. What no payment can take back is
left to the merchant with a tag and a note line saying how much.
"""

from __future__ import annotations

from decimal import Decimal

from connector.planning import one_line
from connector.shopify import actions
from connector.shopify.admin_api import AdminApi
from connector.shopify.admin_errors import ShopifyUserErrors
from connector.shopify.client_notes import Payload, Refused, annotate_order, marker
from connector.shopify.documents import (
    RETURN_APPROVE_REQUEST,
    RETURN_DECLINE_REQUEST,
    RETURN_PROCESS,
    RETURN_STATE,
    RETURN_TO_REFUND,
    Document,
)
from connector.shopify.refund_placement import (
    ReturnLine,
    ReturnToRefund,
    lines_to_process,
    place,
    return_process_input,
    return_to_refund,
)
from connector.shopify.schemas_common import ShopifyPayloadError

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


# --- returnProcess ---------------------------------------------------------------------------------

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
    annotate_order(api, {"order_gid": found.order_gid, "tag": actions.REFUND_BY_HAND_TAG,
                         "note_line": one_line(line)}, f"{idempotency_key}:by-hand")


def _summary(found: ReturnToRefund, refunded: Decimal, to_gift_card: Decimal | None, short: Decimal, *,
             already_done: bool) -> Payload:
    summary = {"return_gid": found.return_gid, "refunded": f"{refunded:f}", "left_to_merchant": f"{short:f}",
               "already_done": already_done}
    if to_gift_card is not None:
        summary["to_gift_card"] = f"{to_gift_card:f}"
    return summary
