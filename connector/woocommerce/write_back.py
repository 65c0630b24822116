"""A decision's writes to WooCommerce: the planned actions, refunds, notes and statuses, each written once."""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.adapter import TransientWriteError
from connector.planning import PlannedAction, idempotency_key, one_line, shorten, unique_texts
from connector.woocommerce.api import (
    WooCommerceApi,
    WooCommerceRejected,
    WooCommerceUnavailable,
    woocommerce_api,
)
from connector.woocommerce.payloads import (
    StatusMapping,
    WooCommercePayloadError,
    apportion,
    gift_card_parts,
    parse_order,
    refunded_quantities,
    status_mapping,
)
from policies.money import minor_unit
from storage.models import CaseRecord, Store
from storage.repositories import StoreCredentials
from storage.settings import Settings

# Which WooCommerce writes a decision needs (contract.md, "Written back to the platform"), as outbox actions.
#
# Planning is pure: the same decision for the same case always yields the same actions and keys.
#
# Each is planned as the kind the request was judged under (`decision.judged_as`, else the kind asked), and so is
# the status the store's mapping gives it: Kestia's statutory cancel of a delivered order is an approved return.
#
# - cancel, approve: one action that refunds what the decision states and then sets the status `cancelled`
#   (refunding first: a full refund moves an order to `refunded`, and the cancel must be the status that
#   stays). One action, not two, so the two writes can't run out of order on different workers.
# - return or claim, approve, with a refund: one action that refunds what the decision states, then adds the
#   note to the customer and sets the store's mapped status, in that order for the same reason.
# - approve or decline (otherwise): an order note to the customer with the reasons, then the status the
#   store's mapping gives for that outcome, if any. WooCommerce emails a customer note to the customer.
# - review: a private order note with the reasons; the case waits in the review queue.

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
    messages = " ".join(unique_texts([one_line(str(reason.get("message") or "")) for reason in reasons]))

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
            [f"{one_line(str(reason.get('message') or ''))} ({reason.get('code')})" for reason in reasons]))
        respond_by = decision.get("respond_by")
        note = " ".join(part for part in (
            f"Assay case {case_key}: the customer's {noun} request needs a decision.",
            f"Reasons: {listed}." if listed else "",
            f"Respond by {respond_by}." if respond_by else "",
        ) if part)
        return [action(PRIVATE_NOTE, {"note": shorten(note, NOTE_LIMIT)})]
    raise ValueError(f"decision `outcome` must be approve, decline or review, got {outcome!r}")


def judged_kind(decision: Mapping[str, Any], request_kind: str) -> str:
    """The kind the request is written back as: the clause it was judged under, else the kind asked (a statutory
    cancel of a sent order is a return: never `cancelled`, which restocks every item while the goods are away)."""
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


# Performs one planned action on a WooCommerce site; running it again after a crash writes nothing twice.
#
# Refunds and notes are created by POST, which the client never resends. Each carries the action's
# idempotency key (a refund in its meta_data, a private note in its text, a customer note in the order's meta), and
# each writer looks for the key before writing, and again when an answer is lost, so a timeout never refunds or
# notifies twice. An approved return's words go in its refund's reason (WooCommerce's refund email shows them); a
# customer note only when nothing is refunded.
# A 4xx is permanent (WriteBackRejected); WooCommerceUnavailable propagates for the job to retry. A decision's
# gift-card part, and a refund the gateway could not pay, get a private note to the merchant.

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
    CANCEL_ORDER: cancel_order,
    REFUND_AND_NOTE: refund_and_note,
    CUSTOMER_NOTE: note_to_customer,
    PRIVATE_NOTE: private_note,
}


# Refunding what a decision states on a WooCommerce order, once, and saying where any part of it must go.
#
# - The gateway gets the decision's `total` less `to_gift_card` (the part paid by gift card or store credit),
#   never more than WooCommerce has left to refund (its total less its refunds, which it enforces with
#   "Invalid refund amount."). The two agree unless something else changed the order; both are recorded.
# - A refund is created by POST, which is never resent: it carries the action's idempotency key in its meta_data
#   (refunds made before also as a marker in their reason), and the key is looked for before creating and after a
#   lost answer.
# - A gateway that can't refund, or refuses (HTTP 500 with WooCommerce's refund error), gets a refund recorded
#   by hand and the merchant a private note to pay it back themselves.
# - The gift-card part: WooCommerce Gift Cards and PW Gift Cards credit their cards back by themselves when the
#   order is cancelled; nothing in REST credits part of a card (the extension's partial refund to a card is its
#   admin screen's), nor Smart Coupons' store credit. Whatever the platform does not put back by itself, the
#   merchant is told in a private note, with the amount and the card.


REFUND_KEY_META = "_assay_idempotency_key"
# WooCommerce answers a refund its payment gateway refused, or one above what is left, with HTTP 500 and this code.
REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"
INVALID_AMOUNT = "Invalid refund amount."


class RefundNotPossible(Exception):
    """The site will not take this refund whatever we retry (the order can't be read, or it refuses the amount)."""


def refund_stated(api: WooCommerceApi, order: Mapping[str, Any], stated: Mapping[str, Any] | None, *,
                  reason: str, key: str, purpose: str, whole_order: bool) -> Payload:
    """Refund what `stated` (the decision's refund) says through the gateway, or the rest of the order without one."""
    order_id = order["id"]
    refunds = api.get_all(f"orders/{order_id}/refunds")
    mine = own_refund(refunds, key)
    if mine is not None:
        return {"refund_id": mine["id"], "amount": str(mine.get("amount")), "already_done": True}
    if not order.get("date_paid_gmt"):
        return {"refund_id": None, "amount": "0.00", "why": "the order was never paid"}
    remaining = decimal(order.get("total")) - sum((decimal(r.get("amount")) for r in refunds), Decimal(0))
    wanted = remaining if stated is None else decimal(stated.get("total")) - decimal(stated.get("to_gift_card"))
    amount = min(wanted, remaining)
    agreement = {} if stated is None else {"stated": f"{wanted:f}", "remaining": f"{remaining:f}"}
    if wanted > remaining:
        log.warning("woocommerce.refund_capped", extra={"site": api.site, "order_id": order_id,
                                                        "stated": str(wanted), "remaining": str(remaining)})
    if amount <= 0:
        return {"refund_id": None, "amount": "0.00", **agreement,
                "why": "nothing to refund through the gateway" if remaining > 0 else "already refunded in full"}
    # The reason is the customer's to read (WooCommerce's refund email and their account show it): the key goes in
    # the refund's meta only.
    body = {"amount": f"{amount:f}", "reason": reason,
            # cancelling restocks by itself; a return's items are not back on the shelf yet
            "api_restock": False, "meta_data": [{"key": REFUND_KEY_META, "value": key}]}
    if stated is not None:
        body["line_items"] = refund_line_items(stated, _loaded(order), amount, refunded=refunded_quantities(refunds),
                                               whole_order=whole_order)
    automatic = gateway_refunds(api, str(order.get("payment_method") or ""))
    refusal = None
    try:
        created = _create(api, order_id, body, key, automatic)
    except WooCommerceUnavailable as refused:
        if not (automatic and refused.code == REFUND_REFUSED and refused.detail != INVALID_AMOUNT):
            raise
        # The gateway said no: record the refund by hand, and tell the merchant what the gateway said.
        refusal = refused.detail or "no reason given"
        log.warning("woocommerce.refund_refused_by_gateway", extra={"site": api.site, "order_id": order_id,
                                                                   "gateway_reason": refusal})
        automatic = False
        created = _create(api, order_id, body, key, automatic)
    summary = {"refund_id": created["id"], "amount": f"{amount:f}", "automatic": automatic, "already_done": False,
               **agreement}
    if not automatic:
        gateway = order.get("payment_method_title") or order.get("payment_method") or "the payment method"
        said = f" It said: {refusal}" if refusal else ""
        note = (f"Assay recorded a refund of {amount:f} {order.get('currency', '')} for the approved {purpose}, "
                f"but {gateway} could not pay it back automatically: refund the customer by hand.{said}")
        summary["merchant_note"] = add_note(api, order_id, note, customer=False, key=f"{key}:manual-refund")
        if refusal:
            summary["gateway_refusal"] = refusal
    return summary


def gift_card_note(api: WooCommerceApi, order: Mapping[str, Any], stated: Mapping[str, Any] | None, *, key: str,
                   purpose: str, cancelled: bool) -> Payload | None:
    """Tell the merchant where the gift-card part of the refund goes: back by the plugin, or by their hand."""
    part = decimal((stated or {}).get("to_gift_card"))
    if part <= 0:
        return None
    currency = order.get("currency", "")
    cards = gift_card_parts(_loaded(order))
    names = " and ".join(dict.fromkeys(card.describe() for card in cards)) or "a gift card or store credit"
    if cancelled and cards and all(card.credited_on_cancel for card in cards):
        text = (f"{part:f} {currency} of this order was paid by gift card, with {names}: the gift card plugin "
                f"credits it back as the order is cancelled, so Assay refunded only the rest.")
    else:
        text = (f"{part:f} {currency} of the refund for the approved {purpose} was paid with {names}, which "
                f"WooCommerce's REST API can't credit back: add {part:f} {currency} to it by hand.")
    note = add_note(api, order["id"], text, customer=False, key=f"{key}:gift-card")
    return {"amount": f"{part:f}", "note": note}


def own_refund(refunds: Iterable[Mapping[str, Any]], key: str) -> Mapping[str, Any] | None:
    for refund in refunds:
        metas = refund.get("meta_data") or ()
        if any(meta.get("key") == REFUND_KEY_META and meta.get("value") == key for meta in metas):
            return refund
        if marker(key) in str(refund.get("reason") or ""):
            return refund
    return None


def gateway_refunds(api: WooCommerceApi, method: str) -> bool:
    """Whether the order's payment gateway can pay a refund back itself (method_supports has "refunds")."""
    if not method:
        return False
    try:
        gateway = api.get(f"payment_gateways/{method}")
    except WooCommerceRejected:  # a gateway since removed, or a key without access to gateways
        return False
    return "refunds" in (gateway.get("method_supports") or ())


def _create(api: WooCommerceApi, order_id: Any, body: Payload, key: str, automatic: bool) -> Payload:
    try:
        created: Payload = api.post(f"orders/{order_id}/refunds", {**body, "api_refund": automatic})
    except WooCommerceUnavailable as lost:
        if lost.code == REFUND_REFUSED and lost.detail == INVALID_AMOUNT:
            raise RefundNotPossible(f"the site refuses the amount {body['amount']}: {lost.detail}") from lost
        if lost.code == REFUND_REFUSED:
            raise
        found = own_refund(api.get_all(f"orders/{order_id}/refunds"), key)
        if found is None:
            raise  # not made: the job tries again later, and looks for the key again first
        return dict(found)
    return created


def _loaded(order: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return parse_order(order).data
    except WooCommercePayloadError as error:
        raise RefundNotPossible(str(error)) from error


# A decision's refund -> the `line_items` of a WooCommerce refund.
#
# - WooCommerce's REST refund takes `line_items: [{id, quantity, refund_total, refund_tax: [{id, refund_total}]}]`,
#   `refund_total` net of tax and `refund_tax` per tax rate id, the rate ids of the item's `taxes` (RestApiUtil
#   turns it into wc_create_refund's form). `amount` is what is paid back; the lines say what for, so the
#   order's accounting shows what was refunded of each line and shipping.
# - The decision states each line's `amount` and `tax`: inside the amount where the order's prices include tax
#   (refund_total = amount - tax), on top otherwise (refund_total = amount). Shipping likewise, on the order's
#   shipping lines. A line's tax is split over its rates in proportion to what each charged.
# - The parts are scaled to the refund's amount so they add up to it exactly: a fee kept, a part going back to
#   a gift card, or what WooCommerce still has to refund lowers every part in proportion. A whole order's
#   refund carries its fees too.

ZERO = Decimal(0)


@dataclass(frozen=True)
class _Part:
    item_id: str
    quantity: int | None  # None for shipping and fees, which have none
    rate_id: str | None  # None: the net amount
    value: Decimal


def refund_line_items(refund: Mapping[str, Any], order: Mapping[str, Any], amount: Decimal, *,
                      refunded: Mapping[str, int] | None = None, whole_order: bool = False) -> list[dict[str, Any]]:
    """The refund's `line_items` for the decision's `refund` on the loaded `order`, adding up to `amount`;
    `refunded` are the units earlier refunds took back, which no refund gives back twice."""
    unit = minor_unit(order["currency"])
    included = bool(order["prices_include_tax"])
    items = {item["id"]: item for item in order["line_items"]}
    parts: list[_Part] = []
    for line in refund.get("lines") or ():
        item = items.get(str(line.get("line_id")))
        if item is not None:  # WooCommerce itself ignores ids the order does not have
            left = max(item["quantity"] - (refunded or {}).get(item["id"], 0), 0)
            parts += _parts(item["id"], min(int(line.get("quantity") or 0), left), decimal(line.get("amount")),
                            decimal(line.get("tax")), item["taxes"], included, unit)
    parts += _shipping_parts(order, decimal(refund.get("shipping")), decimal(refund.get("shipping_tax")), included,
                             unit)
    if whole_order and amount > sum((part.value for part in parts), ZERO):
        parts += [_Part(fee["id"], None, None, fee["total"] + fee["total_tax"])
                  for fee in order["fee_lines"] if fee["total"] > 0]
    values = [part.value for part in parts]
    if sum(values, ZERO) != amount:
        values = apportion(amount, values, unit)
    return _assemble(parts, values)


def decimal(value: Any) -> Decimal:
    """A decision's decimal string as a Decimal; absent is zero."""
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _parts(item_id: str, quantity: int | None, amount: Decimal, tax: Decimal, taxes: Sequence[Mapping[str, Any]],
           included: bool, unit: Decimal) -> list[_Part]:
    rates = [(rate["id"], rate["total"]) for rate in taxes if rate["total"] > 0]
    gross = amount if included else amount + tax
    if tax <= 0 or not rates:  # no rate to book the tax on: all of it is the item's
        return [_Part(item_id, quantity, None, gross)]
    per_rate = apportion(tax, [charged for _, charged in rates], unit)
    return [_Part(item_id, quantity, None, gross - tax)] + [
        _Part(item_id, quantity, rate_id, share) for (rate_id, _), share in zip(rates, per_rate, strict=True)]


def _shipping_parts(order: Mapping[str, Any], shipping: Decimal, tax: Decimal, included: bool,
                    unit: Decimal) -> list[_Part]:
    lines = [line for line in order["shipping_lines"] if line["total"] + line["total_tax"] > 0]
    if shipping <= 0 or not lines:
        return []
    gross = shipping if included else shipping + tax
    amounts = apportion(gross, [line["total"] + line["total_tax"] for line in lines], unit)
    taxes = apportion(tax, [max(line["total_tax"], ZERO) for line in lines], unit)
    parts: list[_Part] = []
    for line, line_gross, line_tax in zip(lines, amounts, taxes, strict=True):
        parts += _parts(line["id"], None, line_gross - (ZERO if included else line_tax), line_tax, line["taxes"],
                        included, unit)
    return parts


def _assemble(parts: Sequence[_Part], values: Sequence[Decimal]) -> list[dict[str, Any]]:
    by_item: dict[str, dict[str, Any]] = {}
    for part, value in zip(parts, values, strict=True):
        item = by_item.setdefault(part.item_id, {"id": int(part.item_id), "refund_total": "0", "refund_tax": []})
        if part.quantity is not None:
            item["quantity"] = part.quantity
        if part.rate_id is None:
            item["refund_total"] = f"{value:f}"
        elif value > 0:
            item["refund_tax"].append({"id": int(part.rate_id), "refund_total": f"{value:f}"})
    return [item for item in by_item.values()
            if item.get("quantity") or decimal(item["refund_total"]) > 0 or item["refund_tax"]]


# Order notes that are added once. A private note (the merchant's) carries a marker made from its idempotency key,
# looked for first. A customer's note carries none, since the customer reads it and its email: the order's meta
# records which note each key made, and a note whose answer was lost is found by its text among the unclaimed ones.

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


# The adapter's two write-back calls: a decision's actions planned, and one performed on the store's site.

def plan_woocommerce_actions(decision: Mapping[str, Any], record: CaseRecord, store: Store) -> list[PlannedAction]:
    refs: Mapping[str, Any] = record.document.get("platform", {})
    return plan_actions(decision, case_key=record.request_key, request_kind=record.kind,
                        order_id=str(refs["order_id"]), statuses=status_mapping(store),
                        previous_status=refs.get("previous_status"))


def write_woocommerce_action(store: Store, credentials: StoreCredentials, payload: dict[str, Any], key: str,
                             kind: str, settings: Settings) -> dict[str, Any]:
    with woocommerce_api(store, credentials, settings) as api:
        try:
            return write_back(api, kind, payload, key)
        except WooCommerceUnavailable as error:
            raise TransientWriteError(str(error), retry_after=error.retry_after, held_for=error.held_for) from error
