"""Refunding what a decision states on a WooCommerce order, once, and saying where any part of it must go.

- The gateway gets the decision's `total` less `to_gift_card` (the part paid by gift card or store credit),
  never more than WooCommerce has left to refund (its total less its refunds, which it enforces with
  "Invalid refund amount."). The two agree unless something else changed the order; both are recorded.
- A refund is created by POST, which is never resent: it carries the action's idempotency key in its meta_data
  (refunds made before also as a marker in their reason), and the key is looked for before creating and after a lost
  answer.
- A gateway that can't refund, or refuses (HTTP 500 with WooCommerce's refund error), gets a refund recorded
  by hand and the merchant a private note to pay it back themselves.
- The gift-card part: WooCommerce Gift Cards and PW Gift Cards credit their cards back by themselves when the
  order is cancelled; nothing in REST credits part of a card (the extension's partial refund to a card is its
  admin screen's), nor Smart Coupons' store credit. Whatever the platform does not put back by itself, the
  merchant is told in a private note, with the amount and the card.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommercePayloadError, WooCommerceRejected, WooCommerceUnavailable
from connector.woocommerce.notes import add_note, marker
from connector.woocommerce.payments import gift_card_parts
from connector.woocommerce.refund_lines import decimal, refund_line_items, refunded_quantities
from connector.woocommerce.schemas import parse_order

log = logging.getLogger(__name__)

REFUND_KEY_META = "_assay_idempotency_key"
# WooCommerce answers a refund its payment gateway refused, or one above what is left, with HTTP 500 and this code.
REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"
INVALID_AMOUNT = "Invalid refund amount."

Payload = dict[str, Any]


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
