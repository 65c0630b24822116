"""What an approved request refunds: the items, the original shipping where due, less any fees."""

from __future__ import annotations

from decimal import Decimal

from policies.case import Kind
from policies.context import AskedLine, Context
from policies.decision import Refund
from policies.money import round_money
from policies.policy import Refunds, ReturnShipping, ShippingRefund

_ZERO = Decimal(0)


def line_amount(asked: AskedLine, currency: str) -> Decimal:
    """What the customer paid for the asked quantity: the price less its share of discount codes."""
    line = asked.line
    paid = line.unit_price * asked.quantity - line.discount * asked.quantity / line.quantity
    return round_money(paid, currency)


def whole_order(ctx: Context) -> bool:
    asked = {a.id: a.quantity for a in ctx.lines}
    return all(asked.get(line.id, 0) >= line.quantity for line in ctx.case.order.lines)


def shipping_refund(ctx: Context, refunds: Refunds) -> Decimal:
    """A cancelled order gets its shipping back; otherwise the policy says when it does.

    Only a request for the whole order refunds shipping: the rest of a parcel still used it, and two
    claims on one order must not refund it twice.
    """
    amount = ctx.case.order.shipping.amount
    if not whole_order(ctx):
        return _ZERO
    if ctx.kind is Kind.CANCEL:
        return amount
    if ctx.case.international and not refunds.international_shipping_refunded:
        return _ZERO
    rule = refunds.original_shipping
    faulty = ctx.kind is not Kind.RETURN
    if rule is ShippingRefund.ALWAYS or (rule is ShippingRefund.IF_FAULTY and faulty):
        return amount
    return _ZERO


def customer_pays_return(ctx: Context, refunds: Refunds) -> bool:
    rule = refunds.return_shipping
    return rule is ReturnShipping.CUSTOMER or (
        rule is ReturnShipping.MERCHANT_IF_FAULTY and ctx.kind is Kind.RETURN
    )


def fees(ctx: Context, refunds: Refunds, items: Decimal) -> Decimal:
    """Restocking fee and return-label deduction: change-of-mind returns only, as negatives."""
    if ctx.kind is not Kind.RETURN:
        return _ZERO
    charged = items * refunds.restocking_fee_percent / 100
    if customer_pays_return(ctx, refunds):
        charged += refunds.return_label_fee
    return -round_money(charged, ctx.case.order.currency)


def compute_refund(ctx: Context) -> Refund:
    currency = ctx.case.order.currency
    refunds = ctx.policy.refunds
    items = sum((line_amount(asked, currency) for asked in ctx.lines), _ZERO)
    shipping = round_money(shipping_refund(ctx, refunds), currency)
    # Fees never take the refund below zero.
    charged = round_money(max(fees(ctx, refunds, items), -(items + shipping)), currency)
    return Refund(currency, items, shipping, charged, items + shipping + charged)
