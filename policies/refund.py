"""What an approved request refunds: what was paid for the items (on the order's own tax basis), the shipping where
due, less fees, never more than the platform says is left to refund (contract.md, "Taxes")."""

from __future__ import annotations

from decimal import Decimal

from policies.case import Kind, Order
from policies.context import AskedLine, Context
from policies.decision import Refund, RefundLine
from policies.money import round_down_money, round_money
from policies.policy import Refunds, ReturnShipping, ShippingRefund

_ZERO = Decimal(0)


def line_refund(asked: AskedLine, currency: str) -> RefundLine:
    """What the customer paid for the asked units, and their tax: cumulative shares rounded down, so a line returned
    unit by unit refunds exactly what was paid; units beyond those left unrefunded refund nothing."""
    line = asked.line
    before = min(line.refunded_quantity, line.quantity)
    after = min(before + asked.quantity, line.quantity)
    paid = line.unit_price * line.quantity - line.discount

    def part(whole: Decimal) -> Decimal:
        return _share(whole, after, line.quantity, currency) - _share(whole, before, line.quantity, currency)

    return RefundLine(asked.id, after - before, part(paid), part(line.tax))


def _share(whole: Decimal, units: int, of: int, currency: str) -> Decimal:
    if units >= of:
        return round_money(whole, currency)
    return round_down_money(whole * units / of, currency)


def whole_order(ctx: Context) -> bool:
    asked = {a.id: a.quantity for a in ctx.lines}
    return all(asked.get(line.id, 0) >= line.quantity for line in ctx.case.order.lines)


def shipping_refunded(ctx: Context, refunds: Refunds) -> bool:
    """A cancelled order gets its shipping back; otherwise the policy says when, and only for a request for the whole
    order (the rest of a parcel still used it, and two claims must not refund it twice)."""
    if not whole_order(ctx):
        return False
    if ctx.kind is Kind.CANCEL:
        return True
    if ctx.case.international and not refunds.international_shipping_refunded:
        return False
    rule = refunds.original_shipping
    faulty = ctx.kind is not Kind.RETURN
    return rule is ShippingRefund.ALWAYS or (rule is ShippingRefund.IF_FAULTY and faulty)


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


def fit_to(parts: list[Decimal], target: Decimal) -> list[Decimal]:
    """`parts` changed so they add up to `target`: a shortfall comes off the first parts first (never below
    zero), an excess goes onto the first part (what the platform took beyond the lines: duties, tips)."""
    difference = sum(parts, _ZERO) - target
    fitted = list(parts)
    if difference < 0:
        fitted[0] -= difference
        return fitted
    for index, part in enumerate(fitted):
        taken = min(part, difference)
        fitted[index] -= taken
        difference -= taken
    return fitted


def gift_card_share(order: Order, total: Decimal) -> Decimal:
    """The part of a refund that goes back to gift cards or store credit: their share of what was paid."""
    if order.paid is None or order.paid == 0 or order.gift_card_paid == 0:
        return _ZERO
    return min(total, round_money(total * order.gift_card_paid / order.paid, order.currency))


def compute_refund(ctx: Context) -> Refund:
    order = ctx.case.order
    currency, refunds = order.currency, ctx.policy.refunds
    lines = tuple(line_refund(asked, currency) for asked in ctx.lines)
    items = sum((line.amount for line in lines), _ZERO)
    with_shipping = shipping_refunded(ctx, refunds)
    none = round_money(_ZERO, currency)  # "0.00", "0" in JPY
    shipping = round_money(order.shipping.amount, currency) if with_shipping else none
    shipping_tax = round_money(order.shipping.tax, currency) if with_shipping else none
    tax = none if order.taxes_included else sum((line.tax for line in lines), shipping_tax)
    # Fees never take the refund below zero.
    charged = round_money(max(fees(ctx, refunds, items), -(items + shipping + tax)), currency)
    total = items + shipping + tax + charged
    refundable = order.refundable
    if refundable is not None and (total > refundable or (ctx.kind is Kind.CANCEL and whole_order(ctx))):
        items, shipping, tax = fit_to([items, shipping, tax], refundable - charged)
        total = items + shipping + tax + charged
    return Refund(currency=currency, items=items, shipping=shipping, tax=tax, fees=charged, total=total,
                  to_gift_card=round_money(gift_card_share(order, total), currency), lines=lines,
                  shipping_tax=shipping_tax)
