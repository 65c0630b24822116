"""Performs one planned action on Shopify; running it again after a crash writes nothing twice.

Each writer reads the target's state first and skips a write that already happened (a worker killed
after the mutation but before the outbox marked it done). A mutation Shopify refuses is re-checked the
same way, because AdminApi retries a request whose answer was lost and the retry is refused as a repeat.
Transient failures (ShopifyUnavailable) propagate for the job to retry; anything else permanent becomes
WriteBackRejected. Returns are settled (and refunded) in client_returns.py; tags and note lines, which every
writer may leave, are client_notes.py's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from connector.shopify import actions
from connector.shopify.admin_api import AdminApi
from connector.shopify.admin_errors import ShopifyAdminError, ShopifyUnavailable, ShopifyUserErrors
from connector.shopify.client_notes import Payload, Refused, annotate_order, marker, with_marker
from connector.shopify.client_returns import approve_return, decline_return
from connector.shopify.documents import JOB, ORDER_CANCEL, ORDER_CANCELLATION, ORDER_PAYMENTS
from connector.shopify.schemas import ShopifyPayloadError, order_payments

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


# --- orderCancel -----------------------------------------------------------------------------------

def cancel_order(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """orderCancel refunding the original payment, restocking and notifying; then wait for its job.

    Shopify refunds all it still holds of what was paid, split over the payments as they were made (a gift
    card's part back to the gift card): exactly the decision's total, unless what was paid or refunded
    changed after the case was opened. Then Shopify's figure is the one refunded, and the order says so
    before it is cancelled: a tag and a note line with both amounts.
    """
    order_gid = payload["order_gid"]
    order = _cancellation(api, order_gid)
    if order["cancelledAt"]:
        return _cancelled(order, idempotency_key, already_done=True)
    checked = _check_refund(api, order_gid, payload["refund"], idempotency_key) if payload.get("refund") else {}
    variables = {"orderId": order_gid, "reason": "CUSTOMER", "restock": True, "notifyCustomer": True,
                 "staffNote": with_marker(payload["staff_note"], idempotency_key, STAFF_NOTE_LIMIT)}
    try:
        data = api.execute(ORDER_CANCEL, variables)
    except ShopifyUserErrors as refused:
        order = _cancellation(api, order_gid)
        if order["cancelledAt"]:
            return _cancelled(order, idempotency_key, already_done=True)
        if any(_ALREADY_CANCELLED.search(str(error.get("message", ""))) for error in refused.user_errors):
            # Our earlier request (answer lost) is still being carried out; a later retry will find it done.
            raise ShopifyUnavailable("the order's cancellation is still in progress", shop=api.shop,
                                     operation=ORDER_CANCEL.operation_name) from refused
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
        annotate_order(api, {"order_gid": order_gid, "tag": actions.REFUND_CHECK_TAG, "note_line": line},
                       f"{idempotency_key}:refund-check")
    return checked


def _cancelled(order: Payload, idempotency_key: str, *, already_done: bool) -> Payload:
    staff_note = (order.get("cancellation") or {}).get("staffNote") or ""
    return {"order_gid": order["id"], "cancelled_at": order["cancelledAt"], "already_done": already_done,
            "cancelled_by_assay": marker(idempotency_key) in staff_note}


WRITERS: dict[str, Writer] = {
    actions.ORDER_CANCEL: cancel_order,
    actions.RETURN_APPROVE: approve_return,
    actions.RETURN_DECLINE: decline_return,
    actions.REVIEW: annotate_order,
    actions.ORDER_NOTE: annotate_order,
}
