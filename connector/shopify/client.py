"""Performs one planned action on Shopify; running it again after a crash writes nothing twice.

Each writer reads the target's state first and skips a write that already happened (a worker killed
after the mutation but before the outbox marked it done). A mutation Shopify refuses is re-checked the
same way, because AdminApi retries a request whose answer was lost and the retry is refused as a repeat.
Transient failures (ShopifyUnavailable) propagate for the job to retry; anything else permanent becomes
WriteBackRejected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from connector.shopify import actions
from connector.shopify.actions import shorten
from connector.shopify.admin_api import AdminApi
from connector.shopify.admin_errors import ShopifyAdminError, ShopifyUnavailable, ShopifyUserErrors
from connector.shopify.documents import (
    JOB,
    ORDER_CANCEL,
    ORDER_CANCELLATION,
    ORDER_NOTE,
    ORDER_NOTE_UPDATE,
    RETURN_APPROVE_REQUEST,
    RETURN_DECLINE_REQUEST,
    RETURN_STATE,
    TAGS_ADD,
    Document,
)

log = logging.getLogger(__name__)

STAFF_NOTE_LIMIT = 255  # orderCancel(staffNote:), per the 2026-07 schema
JOB_MAX_POLLS = 8
JOB_FIRST_DELAY_SECONDS = 0.5
JOB_DELAY_CAP_SECONDS = 5.0  # 8 polls wait about 27 seconds in all
APPROVED_RETURN_STATUSES = frozenset({"OPEN", "CLOSED"})  # an approved return opens, and closes once processed
DECLINED_RETURN_STATUSES = frozenset({"DECLINED"})
# orderCancel's refusal of a repeat has only the generic code INVALID; its message tells it from other refusals.
_ALREADY_CANCELLED = re.compile(r"already\s+(?:been\s+|being\s+)?cancel", re.IGNORECASE)

Payload = dict[str, Any]
Writer = Callable[[AdminApi, Payload, str], Payload]


class WriteBackRejected(Exception):
    """Shopify refused the write for good (or it can't be done); retrying won't help."""

    def __init__(self, reason: str, *, action_kind: str, codes: Sequence[str] = ()) -> None:
        super().__init__(f"{action_kind}: {reason}")
        self.reason = reason
        self.action_kind = action_kind
        self.codes = list(codes)


class _Refused(Exception):
    """A writer found the write impossible (a missing order, a return in the wrong state)."""


def write_back(api: AdminApi, action_kind: str, payload: Payload, idempotency_key: str) -> Payload:
    """Perform the action on the shop and return a summary for the outbox; a repeat returns already_done."""
    writer = WRITERS.get(action_kind)
    if writer is None:
        raise WriteBackRejected(f"no Shopify writer for this action kind, known: {', '.join(WRITERS)}",
                                action_kind=action_kind)
    try:
        result = writer(api, payload, idempotency_key)
    except _Refused as refused:
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
    """orderCancel refunding the original payment, restocking and notifying; then wait for its job."""
    order_gid = payload["order_gid"]
    order = _cancellation(api, order_gid)
    if order["cancelledAt"]:
        return _cancelled(order, idempotency_key, already_done=True)
    variables = {"orderId": order_gid, "reason": "CUSTOMER", "restock": True, "notifyCustomer": True,
                 "staffNote": _with_marker(payload["staff_note"], idempotency_key, STAFF_NOTE_LIMIT)}
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
        return _cancelled(order, idempotency_key, already_done=False)
    if job_done:
        raise _Refused("Shopify finished the cancellation job but the order is not cancelled")
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
        raise _Refused(f"order {order_gid} does not exist")
    return order


def _cancelled(order: Payload, idempotency_key: str, *, already_done: bool) -> Payload:
    staff_note = (order.get("cancellation") or {}).get("staffNote") or ""
    return {"order_gid": order["id"], "cancelled_at": order["cancelledAt"], "already_done": already_done,
            "cancelled_by_assay": _marker(idempotency_key) in staff_note}


# --- returnApproveRequest / returnDeclineRequest ---------------------------------------------------

def approve_return(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """returnApproveRequest, notifying the customer."""
    return_gid = payload["return_gid"]
    variables = {"id": return_gid, "notifyCustomer": True}
    return _settle_return(api, return_gid, RETURN_APPROVE_REQUEST, variables, APPROVED_RETURN_STATUSES, "approved")


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
        raise _Refused(f"return {return_gid} is {status}, so it can't be {verb}")
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
        raise _Refused(f"return {return_gid} does not exist")
    return str(found["status"])


# --- tagsAdd + order note --------------------------------------------------------------------------

def annotate_order(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """Tag the order and append one line to its note, unless the note already carries this action's key."""
    order_gid, tag = payload["order_gid"], payload["tag"]
    order = api.execute(ORDER_NOTE, {"id": order_gid})["order"]
    if order is None:
        raise _Refused(f"order {order_gid} does not exist")
    note: str = order["note"] or ""
    summary = {"order_gid": order_gid, "tag": tag}
    if _marker(idempotency_key) in note:  # the tag went on before the note, so both are there
        return {**summary, "already_done": True}
    api.execute(TAGS_ADD, {"id": order_gid, "tags": [tag]})
    line = f"{payload['note_line']} {_marker(idempotency_key)}"
    # orderUpdate overwrites the note; appending keeps the customer's checkout note and earlier lines.
    api.execute(ORDER_NOTE_UPDATE, {"id": order_gid, "note": f"{note.rstrip()}\n{line}" if note.strip() else line})
    return {**summary, "already_done": False}


def _marker(idempotency_key: str) -> str:
    """How a key appears in a note; brackets keep one key from matching inside a longer one."""
    return f"[{idempotency_key}]"


def _with_marker(text: str, idempotency_key: str, limit: int) -> str:
    marker = _marker(idempotency_key)
    return f"{shorten(text, limit - len(marker) - 1)} {marker}"


WRITERS: dict[str, Writer] = {
    actions.ORDER_CANCEL: cancel_order,
    actions.RETURN_APPROVE: approve_return,
    actions.RETURN_DECLINE: decline_return,
    actions.REVIEW: annotate_order,
    actions.ORDER_NOTE: annotate_order,
}
