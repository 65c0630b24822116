"""Where a decided refund goes on Shopify: which return lines it settles, and which payments take the money back.

Pure: RETURN_TO_REFUND's `data` in, the returnProcess input out. The decision's `to_gift_card` goes back to the
order's gift-card and store-credit payments and the rest of its `total` to the other payments, each payment
taking at most what is left of it (its amount less the refunds already made from it), oldest first. What no
payment of the right kind can take back is not moved elsewhere: it is `short`, for the merchant to settle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import fields

from connector.shopify.schemas_common import Edge, Gid, ShopifyPayloadError, load, numeric_id, total
from connector.shopify.schemas_payments import PAYMENT_KINDS, is_gift_card_gateway
from policies.fields import CurrencyCode, Money, Whole

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
