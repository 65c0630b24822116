"""What a WooCommerce order says was paid, and how: its total, what was refunded, and gift cards or store credit.

WooCommerce core has no gift cards. The plugins that add them each record a redemption their own way:

- WooCommerce Gift Cards (the official extension) adds an order item of type `gift_card` (code, amount) that
  the REST order lists as `gift_cards: [{id, code, amount}]` (read so by WooCommerce's own mobile app). It
  lowers the order's `total` by the cards, after tax (WC_GC_Order::after_calculate_totals), and credits the
  cards back when the order moves to cancelled, failed or refunded.
- PW WooCommerce Gift Cards adds an order item of type `pw_gift_card` (card number, amount) that the REST
  order does not list. It too lowers `total` after tax and credits the card back on cancelled, refunded or
  failed. It shows only as a `total` short of what the order's lines, fees, shipping and taxes add up to;
  nothing in core lowers a total that way, so the shortfall is taken as an unlisted gift card.
- Smart Coupons' store credit is a coupon of discount type `smart_coupon` in `coupon_lines`; the amount used
  is the order meta `smart_coupons_contribution` ({code: amount}), else the coupon's discount and its tax.
  As a coupon it was taken off the lines' totals (its `discount` and `discount_tax`): that part is put back
  on the lines, in proportion to each line's coupon discount, so a line reads what it cost however it was
  paid. REST gives no line's share of each coupon, so the split is exact where the store credit is the
  order's only coupon and an estimate beside other coupons (the order's sums stay exact either way). Any
  part of the credit beyond the coupon's discount was taken off the total, like a gift card.

`paid` is the total plus every part paid by gift card or store credit; an order never paid (no
`date_paid_gmt`: awaiting a bank transfer, cash on delivery) paid only those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.woocommerce.apportion import apportion
from policies.money import minor_unit

OFFICIAL = "WooCommerce Gift Cards"
UNLISTED = "unlisted"  # PW WooCommerce Gift Cards, or another plugin that lowers the total the same way
SMART_COUPONS = "Smart Coupons"
STORE_CREDIT_TYPE = "smart_coupon"
CONTRIBUTION_META = "smart_coupons_contribution"

ZERO = Decimal(0)


@dataclass(frozen=True)
class GiftCardPart:
    """Money that came from a gift card or store credit: which plugin keeps it, its code, how much."""

    plugin: str
    code: str | None
    amount: Decimal
    credited_on_cancel: bool  # the plugin puts it back by itself when the order is cancelled

    def describe(self) -> str:
        """How a merchant finds it: "WooCommerce Gift Cards card GIFT-1234"."""
        if self.plugin == UNLISTED:
            return "a gift card the order does not list (as PW WooCommerce Gift Cards records them)"
        kind = "store credit" if self.plugin == SMART_COUPONS else "card"
        return f"{self.plugin} {kind} {self.code}" if self.code else f"{self.plugin} {kind}"


@dataclass(frozen=True)
class Payment:
    paid: Decimal
    refunded: Decimal
    gift_card_paid: Decimal
    parts: tuple[GiftCardPart, ...]


@dataclass(frozen=True)
class StoreCreditShare:
    """The part of a line's coupon discount that was store credit, so really paid: net and tax."""

    net: Decimal = ZERO
    tax: Decimal = ZERO


def order_payment(data: Mapping[str, Any]) -> Payment:
    """What the loaded order says was paid in all, refunded before, and paid by gift card or store credit."""
    parts = tuple(gift_card_parts(data))
    from_cards = sum((part.amount for part in parts), ZERO)
    total = data["total"] if data["date_paid_gmt"] is not None else ZERO
    refunded = sum((-refund["total"] for refund in data["refunds"]), ZERO)
    paid = total + from_cards
    return Payment(paid=paid, refunded=min(max(refunded, ZERO), paid), gift_card_paid=from_cards, parts=parts)


def gift_card_parts(data: Mapping[str, Any]) -> list[GiftCardPart]:
    """Every gift card and store credit the order was paid with, as the plugins record them."""
    parts = [GiftCardPart(OFFICIAL, card["code"] or None, card["amount"], True)
             for card in data["gift_cards"] if card["amount"] > 0]
    credits = [(coupon, _credit_used(data, coupon)) for coupon in _store_credits(data)]
    parts += [GiftCardPart(SMART_COUPONS, coupon["code"] or None, used, False) for coupon, used in credits if used > 0]
    if not data["gift_cards"]:
        # The part of the store credit not in the coupon's discount came off the total, like a gift card.
        off_total = sum((max(used - coupon["discount"] - coupon["discount_tax"], ZERO) for coupon, used in credits),
                        ZERO)
        shortfall = charged_before_gift_cards(data) - data["total"] - off_total
        if shortfall > _rounding_slack(data):
            parts.append(GiftCardPart(UNLISTED, None, shortfall, True))
    return parts


def charged_before_gift_cards(data: Mapping[str, Any]) -> Decimal:
    """What WooCommerce's own totals add up to: lines after coupons, fees, shipping and every tax."""
    lines = sum((line["total"] for line in data["line_items"]), ZERO)
    fees = sum((fee["total"] for fee in data["fee_lines"]), ZERO)
    shipping: Decimal = data["shipping_total"]
    taxes: Decimal = data["total_tax"]
    return lines + fees + shipping + taxes


def store_credit_shares(data: Mapping[str, Any]) -> dict[str, StoreCreditShare]:
    """Each line's part of the store credit taken off the lines (Smart Coupons applied as a coupon), by line id."""
    credits = _store_credits(data)
    net = sum((coupon["discount"] for coupon in credits), ZERO)
    tax = sum((coupon["discount_tax"] for coupon in credits), ZERO)
    if net == 0 and tax == 0:
        return {}
    unit = minor_unit(data["currency"])
    lines: Sequence[Mapping[str, Any]] = data["line_items"]
    nets = apportion(net, [max(line["subtotal"] - line["total"], ZERO) for line in lines], unit)
    taxes = apportion(tax, [max(line["subtotal_tax"] - line["total_tax"], ZERO) for line in lines], unit)
    return {line["id"]: StoreCreditShare(n, t) for line, n, t in zip(lines, nets, taxes, strict=True)}


def _store_credits(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [coupon for coupon in data["coupon_lines"] if coupon["discount_type"] == STORE_CREDIT_TYPE]


def _credit_used(data: Mapping[str, Any], coupon: Mapping[str, Any]) -> Decimal:
    """Smart Coupons' own record of the credit used ({code: amount}), else the coupon's discount with its tax."""
    for meta in data["meta_data"]:
        if meta["key"] == CONTRIBUTION_META and isinstance(meta["value"], Mapping):
            recorded = {str(code).lower(): value for code, value in meta["value"].items()}
            used = _decimal(recorded.get(str(coupon["code"]).lower()))
            if used is not None:
                return used
    return Decimal(coupon["discount"] + coupon["discount_tax"])


def _rounding_slack(data: Mapping[str, Any]) -> Decimal:
    """REST rounds each item's total to the minor unit, so their sum may miss the order's total by that much."""
    items = len(data["line_items"]) + len(data["fee_lines"]) + len(data["shipping_lines"]) + 1
    return minor_unit(data["currency"]) * items


def _decimal(value: Any) -> Decimal | None:
    try:
        found = Decimal(str(value))
    except ArithmeticError:
        return None
    return found if found.is_finite() and found >= 0 else None
