"""What an order's payments say, for the case: what the customer paid in all, what came back, and the gift-card part.

From the Admin API (the OrderPaymentFacts fragment in documents_money.py): `totalReceivedSet` is what was received
before any refund, `totalRefundedSet` what went back, and the successful SALE and CAPTURE transactions through a
gift-card gateway (gift cards and Shopify store credit) are the part of it paid that way. The orders webhook has
no transactions, so there the gift-card part is only known when the order names one kind of gateway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields

from connector.shopify.schemas_common import Edge, Gid, ShopifyPayloadError, load, numeric_id, refunded_units, total
from policies.fields import CurrencyCode, Money, Whole
from policies.money import round_money

# The gateways that pay with money the shop itself issued: a refund of them goes back as that, not as cash.
GIFT_CARD_GATEWAYS = frozenset({"gift_card", "shopify_store_credit"})
PAYMENT_KINDS = frozenset({"SALE", "CAPTURE"})  # what moves money from the customer; AUTHORIZATION only holds it


class SignedMoney(fields.Field[Decimal]):
    """An amount that may be negative (Shopify's total_outstanding is negative when the customer is owed)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Decimal:
        found = None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                found = Decimal(str(value))
            except InvalidOperation:
                found = None
        if found is None or not found.is_finite():
            raise ValidationError(f"must be a decimal amount such as \"-4.90\" or \"49.00\", got {value!r}")
        return found


class ShopAmount(Edge):
    amount = Money(required=True)


class ShopMoneyBag(Edge):
    """A MoneyBag as the case reads it: the shop's money (the order's currency) only."""

    shopMoney = fields.Nested(ShopAmount, required=True)


class PaymentTransaction(Edge):
    kind = fields.String(required=True)
    status = fields.String(required=True)
    gateway = fields.String(load_default=None, allow_none=True)
    amountSet = fields.Nested(ShopMoneyBag, required=True)


def is_gift_card_gateway(gateway: str | None) -> bool:
    return (gateway or "").strip().lower() in GIFT_CARD_GATEWAYS


def payment_facts(
    received: Mapping[str, Any] | None, refunded: Mapping[str, Any] | None, transactions: Sequence[Mapping[str, Any]],
    currency: str,
) -> dict[str, str]:
    """The case's `paid`, `refunded` and `gift_card_paid` from loaded OrderPaymentFacts; {} when nothing was said."""
    if received is None:
        return {}
    paid: Decimal = received["shopMoney"]["amount"]
    gift_cards = total(
        t["amountSet"]["shopMoney"]["amount"]
        for t in transactions
        if t["kind"] in PAYMENT_KINDS and t["status"] == "SUCCESS" and is_gift_card_gateway(t["gateway"])
    )
    back = refunded["shopMoney"]["amount"] if refunded else Decimal("0.00")
    return money_facts(paid, back, gift_cards, currency)


def money_facts(paid: Decimal, refunded: Decimal, gift_card_paid: Decimal | None, currency: str) -> dict[str, str]:
    """As the case states them, in the currency's minor unit (Shopify may say "194.0"). Each part is bounded by
    `paid`, as the case requires: an over-refund (which Shopify allows on request) means nothing is left to
    refund, not an order that can't be judged."""
    paid = max(paid, Decimal("0.00"))
    parts = {"paid": paid, "refunded": min(refunded, paid)}
    if gift_card_paid is not None:
        parts["gift_card_paid"] = min(gift_card_paid, paid)
    return {name: f"{round_money(value, currency):f}" for name, value in parts.items()}


def gift_card_share_of_gateways(gateways: Iterable[str], paid: Decimal) -> Decimal | None:
    """From the gateway names alone: all of it, none of it, or unknown (None) when gift cards and others mixed."""
    named = [is_gift_card_gateway(name) for name in gateways if name]
    if not any(named):
        return Decimal("0.00")
    if all(named):
        return paid
    return None


class _LineCount(Edge):
    id = Gid("LineItem", required=True)
    quantity = Whole(required=True)
    currentQuantity = Whole(load_default=None, allow_none=True)


class _LineCounts(Edge):
    nodes = fields.List(fields.Nested(_LineCount), load_default=list)


class _OrderPayments(Edge):
    currencyCode = CurrencyCode(required=True)
    totalReceivedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    totalRefundedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    transactions = fields.List(fields.Nested(PaymentTransaction), load_default=list)
    lineItems = fields.Nested(_LineCounts, load_default=None, allow_none=True)


_ORDER_PAYMENTS = _OrderPayments()


@dataclass(frozen=True, slots=True)
class OrderPayments:
    """ORDER_PAYMENTS read now: the case's money facts, and each line's units refunded (or removed) so far."""

    currency: str
    facts: dict[str, str]
    refunded_quantities: dict[str, int]  # numeric line id -> units

    @property
    def refundable(self) -> Decimal | None:
        """What Shopify still holds of what was paid: what cancelling refunds to the original payments."""
        if "paid" not in self.facts:
            return None
        return max(Decimal(self.facts["paid"]) - Decimal(self.facts["refunded"]), Decimal("0.00"))

    def update(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """A case's `order` document with these facts in place of the ones it was snapshotted with."""
        lines = [{**line, "refunded_quantity": self.refunded_quantities.get(str(line.get("id")),
                                                                               line.get("refunded_quantity", 0))}
                 for line in order.get("lines") or []]
        return {**order, **self.facts, "lines": lines}


def order_payments(data: Mapping[str, Any]) -> OrderPayments:
    """ORDER_PAYMENTS's `data`; raises ShopifyPayloadError naming each bad field."""
    raw = data.get("order") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("OrderPayments", ["order: not found (deleted, or not visible to the app)"])
    found = load(_ORDER_PAYMENTS, raw, "OrderPayments", "order")
    counts = {
        numeric_id(line["id"]): refunded_units(line["quantity"], line["currentQuantity"])
        for line in (found["lineItems"] or {}).get("nodes", [])
        if line["currentQuantity"] is not None
    }
    facts = payment_facts(found["totalReceivedSet"], found["totalRefundedSet"], found["transactions"],
                          found["currencyCode"])
    return OrderPayments(found["currencyCode"], facts, counts)
