"""The fake Shopify's money, kept as Shopify keeps it: an order's transactions.

A payment is a successful SALE or CAPTURE; a refund is one REFUND transaction per payment it goes back to,
naming that payment as its parent, and never more than what is left of it. What was received, refunded and
is still held follow from the transactions, so every read of an order agrees with every refund recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

PAYMENT_KINDS = frozenset({"SALE", "CAPTURE"})
REFUNDED_AT = "2026-03-10T12:00:00Z"
_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Part:
    """Money going back to one payment."""

    parent_id: str
    amount: Decimal


def money(amount: Any, currency: str) -> dict[str, Any]:
    return {"amount": str(Decimal(str(amount))), "currencyCode": currency}


def money_bag(amount: Any, currency: str, presentment_currency: str | None = None) -> dict[str, Any]:
    """Same amount in both currencies: the fake does no conversion."""
    return {"shopMoney": money(amount, currency), "presentmentMoney": money(amount, presentment_currency or currency)}


def error(field_path: list[str], message: str, code: str | None = None) -> dict[str, Any]:
    return {"field": field_path, "message": message, "code": code}


def amount_of(transaction: dict[str, Any]) -> Decimal:
    return Decimal(transaction["amountSet"]["shopMoney"]["amount"])


def payments(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in order["transactions"] if t["kind"] in PAYMENT_KINDS and t["status"] == "SUCCESS"]


def refunded_from(order: dict[str, Any], payment_id: str) -> Decimal:
    return sum((amount_of(t) for t in order["transactions"] if t["kind"] == "REFUND" and t["status"] == "SUCCESS"
                and (t["parentTransaction"] or {}).get("id") == payment_id), _ZERO)


def left_of(order: dict[str, Any], payment: dict[str, Any]) -> Decimal:
    return amount_of(payment) - refunded_from(order, payment["id"])


def received(order: dict[str, Any]) -> Decimal:
    return sum((amount_of(t) for t in payments(order)), _ZERO)


def refunded(order: dict[str, Any]) -> Decimal:
    return sum((amount_of(t) for t in order["transactions"] if t["kind"] == "REFUND" and t["status"] == "SUCCESS"),
               _ZERO)


def transaction(ids: Any, kind: str, gateway: str, amount: Decimal, currency: str,
                parent: dict[str, Any] | None = None, presentment: str | None = None) -> dict[str, Any]:
    return {
        "id": ids.gid("OrderTransaction"),
        "kind": kind,
        "status": "SUCCESS",
        "gateway": gateway,
        "amountSet": money_bag(amount, currency, presentment),
        "parentTransaction": {"id": parent["id"]} if parent else None,
        "createdAt": REFUNDED_AT,
    }


def refund_problems(order: dict[str, Any], parts: Sequence[Part], path: list[str],
                    allow_over_refunding: bool = False) -> list[dict[str, Any]]:
    """Shopify's refusals: an unknown parent, more than is left of a payment, more than is left of the order."""
    known = {payment["id"]: payment for payment in payments(order)}
    problems = []
    for index, part in enumerate(parts):
        payment = known.get(part.parent_id)
        if payment is None:
            problems.append(error([*path, str(index), "parentId"], "Parent transaction must be a successful sale or "
                                  "capture of this order", "INVALID"))
        elif part.amount <= 0:
            problems.append(error([*path, str(index), "amount"], "Amount must be greater than 0", "GREATER_THAN"))
        elif part.amount > left_of(order, payment):
            problems.append(error([*path, str(index), "amount"],
                                  f"Amount {part.amount} exceeds the {left_of(order, payment)} left to refund "
                                  f"on this transaction", "LESS_THAN_OR_EQUAL_TO"))
    asked = sum((part.amount for part in parts), _ZERO)
    if not allow_over_refunding and asked > received(order) - refunded(order):
        problems.append(error(path, f"Refund amount {asked} exceeds the {received(order) - refunded(order)} "
                                    "available to refund", "LESS_THAN_OR_EQUAL_TO"))
    return problems


def record_refund(state: Any, order: dict[str, Any], parts: Sequence[Part], *, via: str, note: str | None,
                  return_: dict[str, Any] | None = None, lines: Sequence[tuple[dict[str, Any], int]] = (),
                  shipping: Decimal = _ZERO) -> dict[str, Any]:
    """The refund, its REFUND transactions on the order, and the lines' refunded units."""
    by_id = {payment["id"]: payment for payment in payments(order)}
    currency = order["currencyCode"]
    made = []
    for part in parts:
        payment = by_id[part.parent_id]
        made.append(transaction(state.ids, "REFUND", payment["gateway"], part.amount, currency, payment,
                                order["presentmentCurrencyCode"]))
    order["transactions"].extend(made)
    for line, quantity in lines:
        line["refundableQuantity"] -= quantity
        line["currentQuantity"] -= quantity
    order["refundedShipping"] = Decimal(order.get("refundedShipping", _ZERO)) + shipping
    total = sum((part.amount for part in parts), _ZERO)
    refund = {
        "id": state.ids.gid("Refund"),
        "createdAt": REFUNDED_AT,
        "note": note,
        "via": via,
        "orderId": order["id"],
        "returnId": return_["id"] if return_ else None,
        "totalRefundedSet": money_bag(total, currency),
        # Not the schema's Refund fields: what a test reads back (where the money went, which units).
        "parts": [{"parentId": t["parentTransaction"]["id"], "gateway": t["gateway"], "amount": amount_of(t)}
                  for t in made],
        "lines": [(line["id"], quantity) for line, quantity in lines],
        "shipping": shipping,
    }
    state.refunds.append(refund)
    order["refunds"].append(refund)
    if return_ is not None:
        return_["refundList"].append(refund)
    return refund


def everything_left(order: dict[str, Any]) -> list[Part]:
    """What cancelling refunds to the original payments: all that is left of each of them."""
    return [Part(payment["id"], left_of(order, payment)) for payment in payments(order) if left_of(order, payment) > 0]


def spread(order: dict[str, Any], amount: Decimal) -> list[Part]:
    """An amount with no transactions named (the legacy refundCreate): taken from the payments in order."""
    parts = []
    for payment in payments(order):
        taken = min(amount, left_of(order, payment))
        if taken > 0:
            parts.append(Part(payment["id"], taken))
            amount -= taken
    return parts
