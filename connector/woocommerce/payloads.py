"""WooCommerce orders into the contract's case: the REST order, its payments and request statuses, and the
topics' handlers that open, close and reopen cases."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from connector.adapter import FollowUps, Handlers, PermanentEventError
from connector.case_opening import open_case
from connector.case_parts import (
    PayloadError,
    ProductFacts,
    amount,
    custom_properties,
    instant,
    line_document,
    payload_errors,
)
from connector.woocommerce.api import (
    WooCommerceApi,
    WooCommerceRejected,
    woocommerce_api,
)
from policies.fields import MAX_AMOUNT, CurrencyCode, Flag, Money, Whole, at_least, flatten_errors
from policies.money import minor_unit, round_money
from storage.db import storage_of
from storage.models import Event, OrderSnapshot, Platform, Store, StoreStatus
from storage.repositories import (
    advance_platform_status,
    close_cases,
    find_order_snapshot,
    find_store,
    record_delivery,
    reopen_closed_cases,
    save_order_snapshot,
    store_credentials,
)
from storage.settings import settings_of


class WooCommercePayloadError(PayloadError):
    """A WooCommerce payload that can't become a case; `errors` name each field."""


# marshmallow fields for WooCommerce REST values: ids, `*_gmt` times, signed amounts.

class WooId(fields.Field[str]):
    """A WooCommerce id: a JSON integer (or its digits), kept as its digits; "0" means none (no variation)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(f"must be a numeric WooCommerce id, got {value!r}")
        return str(value)


class GmtTime(fields.Field[datetime]):
    """A `*_gmt` time: ISO 8601 in UTC with no offset ("2026-03-01T09:30:00")."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError(f"must be an ISO 8601 time such as \"2026-03-01T09:30:00\", got {value!r}") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class SignedMoney(fields.Field[Decimal]):
    """A decimal amount that may be negative (a refund's total, a discount given as a fee); "" is zero."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Decimal:
        if value in ("", None):
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(f"must be a decimal amount such as \"-6.90\", got {value!r}")
        try:
            found = Decimal(str(value))
        except ArithmeticError:
            raise ValidationError(f"must be a decimal amount such as \"-6.90\", got {value!r}") from None
        if not found.is_finite() or abs(found) > MAX_AMOUNT:
            raise ValidationError(f"must be a finite amount of at most {MAX_AMOUNT:f} either way, got {value!r}")
        return found


# A WooCommerce REST order (webhook payload or GET orders/<id>) -> the contract's `order` document.
#
# - Times come from the `*_gmt` fields, which WooCommerce gives in UTC without an offset.
# - A line's `subtotal` is its price before coupons and `total` after, so the unit price is subtotal/quantity
#   and the coupon discount is subtotal - total. Both are net of tax, which is `subtotal_tax` / `total_tax`
#   (per rate in `taxes`). When the store enters prices with tax (`prices_include_tax`, the case's
#   `taxes_included`), tax is added to both (and to shipping): product prices, and so the compare-at price,
#   are then tax-inclusive too, and comparing a net price with a gross one would make every line look like a
#   sale. A line's `tax` is its `total_tax`, the tax after coupons; shipping's is `shipping_tax`.
# - What was paid, refunded and paid by gift card or store credit: see order_payment, below.
# - Sale status is not in the order: it is taken from the product (or variation) when the order arrives, as
#   `compare_at_price` = the regular price while the product is on sale.
# - WooCommerce has no product type: the first category stands in for it, and every category name is a tag
#   too, beside the product's tags, so a policy's listed exclusions match either.
# - Personalization is the line's item meta (Product Add-Ons' "Engraving ($10.00)"); "_" keys are plugins'
#   bookkeeping and "pa_" keys are the variation's attributes (a ring size is a choice, not a personalization).
# - `completed` is WooCommerce's "fulfilled": `date_completed_gmt` is the fulfilment date. Core tracks no
#   delivery: `delivered_at` is the order meta `_assay_delivered_at` (ISO 8601), which the Assay plugin copies
#   from Advanced Shipment Tracking or TrackShip, and null without it (a "delivered" status then stands in).

ProductKey = tuple[str, str | None]  # (product id, variation id)
GIFT_CARD_TYPES = frozenset({"gift-card", "pw-gift-card", "giftcard"})


class _Edge(Schema):
    class Meta:
        unknown = EXCLUDE  # plugins add fields to every resource


class _Meta(_Edge):
    key = fields.String(required=True)
    value = fields.Raw(load_default=None, allow_none=True)


class _Tax(_Edge):
    """One tax rate's part of an item's tax: `id` is the rate's id (a refund names it to refund that tax)."""

    id = WooId(required=True)
    total = SignedMoney(load_default=Decimal(0))
    subtotal = SignedMoney(load_default=Decimal(0))


class _ShippingLine(_Edge):
    id = WooId(required=True)
    total = SignedMoney(load_default=Decimal(0))
    total_tax = SignedMoney(load_default=Decimal(0))
    taxes = fields.List(fields.Nested(_Tax), load_default=list)


class _FeeLine(_Edge):
    id = WooId(required=True)
    name = fields.String(load_default="", allow_none=True)
    total = SignedMoney(load_default=Decimal(0))
    total_tax = SignedMoney(load_default=Decimal(0))


class _CouponLine(_Edge):
    code = fields.String(load_default="", allow_none=True)
    discount = Money(load_default=Decimal(0))
    discount_tax = Money(load_default=Decimal(0))
    discount_type = fields.String(load_default=None, allow_none=True)  # in the REST order since WooCommerce 8.x


class _Refund(_Edge):
    id = WooId(required=True)
    total = SignedMoney(load_default=Decimal(0))  # negative: "-6.90"


class _GiftCard(_Edge):
    """A card applied to the order, as WooCommerce Gift Cards lists it."""

    code = fields.String(load_default="", allow_none=True)
    amount = Money(load_default=Decimal(0))


class _Line(_Edge):
    id = WooId(required=True)
    name = fields.String(load_default="", allow_none=True)
    product_id = WooId(load_default="0", allow_none=True)
    variation_id = WooId(load_default="0", allow_none=True)
    quantity = Whole(required=True, validate=at_least(1))
    subtotal = Money(required=True)
    subtotal_tax = Money(load_default=Decimal(0))
    total = Money(required=True)
    total_tax = Money(load_default=Decimal(0))
    taxes = fields.List(fields.Nested(_Tax), load_default=list)
    sku = fields.String(load_default=None, allow_none=True)
    meta_data = fields.List(fields.Nested(_Meta), load_default=list)


class _Address(_Edge):
    country = fields.String(load_default="", allow_none=True)
    email = fields.String(load_default="", allow_none=True)


class OrderSchema(_Edge):
    id = WooId(required=True, validate=validate.Regexp(r"^[1-9]\d*\Z", error="must be a positive id, got {input!r}"))
    number = fields.Raw(load_default=None, allow_none=True)
    order_key = fields.String(load_default="", allow_none=True)
    status = fields.String(required=True, validate=validate.Length(min=1))
    currency = CurrencyCode(required=True)
    prices_include_tax = Flag(load_default=False)
    date_created_gmt = GmtTime(required=True)
    date_modified_gmt = GmtTime(load_default=None, allow_none=True)
    date_completed_gmt = GmtTime(load_default=None, allow_none=True)
    date_paid_gmt = GmtTime(load_default=None, allow_none=True)
    shipping_total = Money(load_default=Decimal(0))
    shipping_tax = Money(load_default=Decimal(0))
    total = Money(load_default=Decimal(0))
    total_tax = Money(load_default=Decimal(0))
    payment_method = fields.String(load_default="", allow_none=True)
    billing = fields.Nested(_Address, load_default=dict)
    shipping = fields.Nested(_Address, load_default=dict)
    line_items = fields.List(fields.Nested(_Line), required=True,
                             validate=validate.Length(min=1, error="must list at least one line item"))
    shipping_lines = fields.List(fields.Nested(_ShippingLine), load_default=list)
    fee_lines = fields.List(fields.Nested(_FeeLine), load_default=list)
    coupon_lines = fields.List(fields.Nested(_CouponLine), load_default=list)
    refunds = fields.List(fields.Nested(_Refund), load_default=list)
    gift_cards = fields.List(fields.Nested(_GiftCard), load_default=list)
    meta_data = fields.List(fields.Nested(_Meta), load_default=list)


_ORDER = OrderSchema()


@dataclass(frozen=True)
class WooOrder:
    """A loaded order: what Assay reads off it, and the loaded fields the document is built from."""

    id: str
    number: str
    order_key: str
    status: str
    modified_at: datetime | None
    billing_email: str
    data: dict[str, Any] = field(repr=False)

    @property
    def products(self) -> list[ProductKey]:
        """The products (and variations) bought, each once, for the sale-status lookup."""
        keys = [product_key(line) for line in self.data["line_items"] if line["product_id"] not in (None, "0")]
        return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class ProductSnapshot:
    """A product (or variation) as it was when the order arrived."""

    compare_at_price: Decimal | None = None
    facts: ProductFacts = ProductFacts()
    gift_card: bool = False


def parse_order(payload: Any) -> WooOrder:
    """Load an order; raises WooCommercePayloadError naming every field it can't use."""
    with payload_errors(payload, "woocommerce order", error=WooCommercePayloadError) as document:
        data: dict[str, Any] = _ORDER.load(document)
    return WooOrder(
        id=data["id"],
        number=str(data["number"] if data["number"] not in (None, "") else data["id"]),
        order_key=data["order_key"] or "",
        status=status_slug(data["status"]),
        modified_at=data["date_modified_gmt"],
        billing_email=(data["billing"].get("email") or "").strip(),
        data=data,
    )


def order_document(order: WooOrder, store_country: str,
                   products: Mapping[ProductKey, ProductSnapshot] | None = None) -> dict[str, Any]:
    """The contract's order document; `products` are the sale-status snapshots (none on a progress update)."""
    data = order.data
    currency, with_tax = data["currency"], data["prices_include_tax"]
    country = (data["shipping"].get("country") or data["billing"].get("country") or "").upper() or None
    shipping = data["shipping_total"] + (data["shipping_tax"] if with_tax else Decimal(0))
    credit = store_credit_shares(data)
    return {
        "id": order.id,
        "placed_at": instant(data["date_created_gmt"]),
        "currency": currency,
        "country": country,
        "taxes_included": with_tax,
        "shipping": {"amount": amount(round_money(shipping, currency)),
                     "tax": amount(round_money(data["shipping_tax"], currency)),
                     "international": country is not None and country != store_country},
        "fulfilled_at": instant(data["date_completed_gmt"]),
        "delivered_at": delivered_at(data),
        "lines": [_line(line, currency, with_tax, (products or {}).get(product_key(line)),
                        credit.get(line["id"], StoreCreditShare()))
                  for line in data["line_items"]],
        **payment_document(order),
    }


DELIVERED_META = "_assay_delivered_at"


def delivered_at(data: Mapping[str, Any]) -> str | None:
    """The delivery date the plugin put on the order, in UTC; a value that isn't a date and time is ignored."""
    value = next((meta["value"] for meta in data["meta_data"] if meta["key"] == DELIVERED_META), None)
    text = value.strip() if isinstance(value, str) else ""
    if len(text) < 16:  # nothing, or a bare date that says no time of day
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant(when if when.tzinfo else when.replace(tzinfo=UTC))


def payment_document(order: WooOrder) -> dict[str, Any]:
    """The order's `paid`, `refunded` and `gift_card_paid` as they are now (they move after the order is placed)."""
    payment, currency = order_payment(order.data), order.data["currency"]
    return {"paid": amount(round_money(payment.paid, currency)),
            "refunded": amount(round_money(payment.refunded, currency)),
            "gift_card_paid": amount(round_money(payment.gift_card_paid, currency))}


# Product Add-Ons names the meta after the field and its price: "Engraving ($10.00)", "Gravur (+5,00 €)".
_ADD_ON_PRICE = re.compile(r"\s*\(\s*\+?\s*[^\w\s()]{0,3}\s*\d[\d.,\s]*[^\w\s()]{0,3}\s*\)\s*$")


def field_name(key: str) -> str:
    """The customization field's own name, as the product page shows it, without the add-on's price."""
    return _ADD_ON_PRICE.sub("", key) or key


def product_key(line: Mapping[str, Any]) -> ProductKey:
    variation = line["variation_id"]
    return str(line["product_id"]), (variation if variation not in (None, "0") else None)


def _line(line: dict[str, Any], currency: str, with_tax: bool, product: ProductSnapshot | None,
          credit: StoreCreditShare) -> dict[str, Any]:
    quantity: int = line["quantity"]
    tax = line["total_tax"] + credit.tax  # store credit is a way of paying, not a discount
    before_coupons = line["subtotal"] + (line["subtotal_tax"] if with_tax else Decimal(0))
    after_coupons = line["total"] + credit.net + (tax if with_tax else Decimal(0))
    unit_price = round_money(before_coupons / quantity, currency)
    discount = min(max(before_coupons - after_coupons, Decimal(0)), unit_price * quantity)
    product = product or ProductSnapshot()
    return line_document(
        line_id=line["id"],
        title=line["name"] or "",
        sku=line["sku"],
        quantity=quantity,
        unit_price=unit_price,
        compare_at_price=product.compare_at_price,
        discount=round_money(discount, currency),
        product=product.facts,
        gift_card=product.gift_card,
        properties=custom_properties((field_name(meta["key"]), meta["value"]) for meta in line["meta_data"]
                                     if not meta["key"].startswith("pa_")),
        fulfilled_quantity=None,  # the order's completion date says whether it shipped
        tax=round_money(tax, currency),
    )


def product_snapshot(product: Mapping[str, Any], variation: Mapping[str, Any] | None = None) -> ProductSnapshot:
    """Sale status from the variation's prices (or the product's), facts and gift-card-ness from the product."""
    priced = variation if variation is not None else product
    categories = [str(c.get("name")) for c in product.get("categories") or () if c.get("name")]
    tags = [str(t.get("name")) for t in product.get("tags") or () if t.get("name")]
    gift_card = str(product.get("type") or "") in GIFT_CARD_TYPES or any(
        meta.get("key") == "_gift_card" and meta.get("value") == "yes" for meta in product.get("meta_data") or ())
    return ProductSnapshot(
        compare_at_price=_compare_at(priced),
        facts=ProductFacts(categories[0] if categories else None, tuple(dict.fromkeys(tags + categories))),
        gift_card=gift_card,
    )


def _compare_at(priced: Mapping[str, Any]) -> Decimal | None:
    """The regular price while the product is on sale for less, else None."""
    regular, price = _price(priced.get("regular_price")), _price(priced.get("price"))
    if not priced.get("on_sale") or regular is None or price is None or regular <= price:
        return None
    return regular


def _price(value: Any) -> Decimal | None:
    try:
        found = Money().deserialize(value) if value not in (None, "") else None
    except ValidationError:
        return None
    return found


# What a WooCommerce order says was paid, and how: its total, what was refunded, and gift cards or store credit.
#
# WooCommerce core has no gift cards. The plugins that add them each record a redemption their own way:
#
# - WooCommerce Gift Cards (the official extension) adds an order item of type `gift_card` (code, amount) that
#   the REST order lists as `gift_cards: [{id, code, amount}]` (read so by WooCommerce's own mobile app). It
#   lowers the order's `total` by the cards, after tax (WC_GC_Order::after_calculate_totals), and credits the
#   cards back when the order moves to cancelled, failed or refunded.
# - PW WooCommerce Gift Cards adds an order item of type `pw_gift_card` (card number, amount) that the REST
#   order does not list. It too lowers `total` after tax and credits the card back on cancelled, refunded or
#   failed. It shows only as a `total` short of what the order's lines, fees, shipping and taxes add up to;
#   nothing in core lowers a total that way, so the shortfall is taken as an unlisted gift card.
# - Smart Coupons' store credit is a coupon of discount type `smart_coupon` in `coupon_lines`; the amount used
#   is the order meta `smart_coupons_contribution` ({code: amount}), else the coupon's discount and its tax.
#   As a coupon it was taken off the lines' totals (its `discount` and `discount_tax`): that part is put back
#   on the lines, in proportion to each line's coupon discount, so a line reads what it cost however it was
#   paid. REST gives no line's share of each coupon, so the split is exact where the store credit is the
#   order's only coupon and an estimate beside other coupons (the order's sums stay exact either way). Any
#   part of the credit beyond the coupon's discount was taken off the total, like a gift card.
#
# `paid` is the total plus every part paid by gift card or store credit; an order never paid (no
# `date_paid_gmt`: awaiting a bank transfer, cash on delivery) paid only those.

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


# A refund's line items name the item they refund in this meta, with a negative quantity.
REFUNDED_ITEM_META = "_refunded_item_id"


def refunded_quantities(refunds: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Units refunded so far per order line item id, from GET orders/<id>/refunds."""
    found: dict[str, int] = {}
    for refund in refunds:
        for item in refund.get("line_items") or ():
            original = next((str(meta.get("value")) for meta in item.get("meta_data") or ()
                             if meta.get("key") == REFUNDED_ITEM_META), None)
            quantity = item.get("quantity")
            if original and isinstance(quantity, int) and not isinstance(quantity, bool):
                found[original] = found.get(original, 0) + abs(quantity)
    return found



# Splitting an amount over parts in proportion to their weights, to the minor unit, adding up exactly.

def apportion(amount: Decimal, weights: Sequence[Decimal], unit: Decimal) -> list[Decimal]:
    """`amount` split by `weights` in steps of `unit` (largest remainders first), so the parts add up to it; a
    weight of zero gets nothing unless every weight is zero, when every part is."""
    if amount < 0 or any(weight < 0 for weight in weights):
        raise ValueError(f"`amount` and `weights` must be zero or more, got {amount} and {list(weights)}")
    whole = sum(weights, Decimal(0))
    if not weights:
        return []
    if whole == 0:
        return [Decimal(0) * unit for _ in weights]
    steps = (amount / unit).to_integral_value(rounding=ROUND_FLOOR)
    exact = [steps * weight / whole for weight in weights]
    floors = [share.to_integral_value(rounding=ROUND_FLOOR) for share in exact]
    left = int(steps - sum(floors, Decimal(0)))
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return [steps_of * unit for steps_of in floors]


# Order statuses as requests: WooCommerce has no return or cancellation request, plugins add statuses for them.
#
# A store's mapping says which statuses are requests of which kind, and which status a decision leaves the
# order in. Without one, the defaults below cover the common plugins. Statuses are the REST API's slugs,
# without the "wc-" prefix WordPress stores them with ("cancel-request", not "wc-cancel-request").
#
# Which statuses say the parcel has arrived: WooCommerce core has no delivery date, but shipment-tracking
# plugins (Advanced Shipment Tracking, TrackShip) move an order to "delivered" when the carrier reports it. The
# moment Assay sees an order move into one is its delivery date, which "from receipt" windows count from.
#
# What a decision sets, by default (for the kind the request was judged under, write_back.judged_kind):
# - an approved cancel: `cancelled` (always; contract.md). A statutory cancel of a delivered order is judged as
#   a return and takes a return's status.
# - a declined cancel: the status the order had before the request ("previous"), when Assay saw it. Moving
#   back to processing or on-hold sends the customer no email.
# - an approved or declined return, claim or warranty: nothing; the order keeps its request status for the
#   merchant's return plugin to carry on. Moving back to `completed` would send the "order complete" email
#   again, so it is left to the store's mapping (for example "return-declined" from its plugin).

KINDS = ("cancel", "return", "claim", "warranty")
PREVIOUS = "previous"  # a status_after value: back to where the order was before the request
CANCELLED = "cancelled"
# Once an order is in one of these, nothing is left to decide for it.
ENDED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})

DEFAULT_REQUEST_STATUSES: dict[str, str] = {
    # "Cancel order request" plugins
    "cancel-request": "cancel",
    "cancel-requested": "cancel",
    "cancellation-request": "cancel",
    "request-cancel": "cancel",
    # RMA / return and refund request plugins
    "return-requested": "return",
    "return-request": "return",
    "refund-requested": "return",
    "refund-request": "return",
    "exchange-requested": "return",
    "exchange-request": "return",
    "claim-requested": "claim",
    "damage-claim": "claim",
    "warranty-requested": "warranty",
    "warranty-claim": "warranty",
}
DEFAULT_DELIVERED_STATUSES = frozenset({"delivered"})
DEFAULT_STATUS_AFTER: dict[str, dict[str, str | None]] = {
    "cancel": {"decline": PREVIOUS},
    "return": {"approve": None, "decline": None},
    "claim": {"approve": None, "decline": None},
    "warranty": {"approve": None, "decline": None},
}

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def status_slug(status: str) -> str:
    """The REST API's form of a status: lower case, without WordPress's "wc-" prefix."""
    text = status.strip().lower()
    return text.removeprefix("wc-")


class _Slug(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        text = status_slug(super()._deserialize(value, attr, data, **kw))
        if not _SLUG.fullmatch(text):
            raise ValidationError(f"must be an order status slug such as \"return-requested\", got {value!r}")
        return text


class _StatusAfter(Schema):
    class Meta:
        unknown = EXCLUDE

    approve = _Slug(allow_none=True)
    decline = _Slug(allow_none=True)


class _MappingSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    # A status mapped to null is not a request at this store, even if a default says so.
    requests = fields.Dict(keys=_Slug(), values=fields.String(allow_none=True, validate=validate.OneOf(
        KINDS, error="must be one of cancel, return, claim, warranty or null, got {input!r}")), load_default=dict)
    status_after = fields.Dict(keys=fields.String(validate=validate.OneOf(
        KINDS, error="must be one of cancel, return, claim, warranty, got {input!r}")),
        values=fields.Nested(_StatusAfter), load_default=dict)
    # Replaces the default list: [] says no status at this store means delivered.
    delivered = fields.List(_Slug(), load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def check_delivered(self, data: dict[str, Any], **kw: Any) -> None:
        requests = {**DEFAULT_REQUEST_STATUSES, **data["requests"]}
        both = sorted(status for status in data["delivered"] or () if requests.get(status) is not None)
        if both:
            raise ValidationError(f"{', '.join(both)} can't mean delivered: already a request status", "delivered")


@dataclass(frozen=True)
class StatusMapping:
    """Which statuses are requests (status -> kind), and the status each decision leaves the order in."""

    requests: Mapping[str, str]
    status_after: Mapping[str, Mapping[str, str | None]]
    delivered: frozenset[str] = DEFAULT_DELIVERED_STATUSES

    def request_kind(self, status: str) -> str | None:
        return self.requests.get(status_slug(status))

    def means_delivered(self, status: str) -> bool:
        return status_slug(status) in self.delivered

    def status_after_decision(self, kind: str, outcome: str, previous: str | None) -> str | None:
        """The status to set once decided, or None to leave it; `previous` is the status before the request."""
        if kind == "cancel" and outcome == "approve":
            return CANCELLED
        chosen = self.status_after.get(kind, {}).get(outcome)
        if chosen == PREVIOUS:
            return previous if previous and self.request_kind(previous) is None else None
        return chosen

    def document(self) -> dict[str, Any]:
        return {"requests": dict(self.requests),
                "status_after": {kind: dict(after) for kind, after in self.status_after.items()},
                "delivered": sorted(self.delivered)}


def load_status_mapping(document: Mapping[str, Any] | None) -> StatusMapping:
    """A store's mapping over the defaults; raises WooCommercePayloadError naming every bad entry."""
    try:
        loaded = _MappingSchema().load(document or {})
    except ValidationError as error:
        raise WooCommercePayloadError("status mapping", flatten_errors(error.messages)) from None
    requests = {**DEFAULT_REQUEST_STATUSES, **loaded["requests"]}
    status_after = {kind: {**DEFAULT_STATUS_AFTER[kind], **loaded["status_after"].get(kind, {})} for kind in KINDS}
    return StatusMapping(
        requests={status: kind for status, kind in requests.items() if kind is not None},
        status_after=status_after,
        delivered=DEFAULT_DELIVERED_STATUSES if loaded["delivered"] is None else frozenset(loaded["delivered"]),
    )


# The site's own facts, which set the case calendar: its country (WooCommerce's store address) and time zone.
#
# The time zone is WordPress's, from the public REST index: `timezone_string` ("Europe/Berlin") when the
# merchant picked a city, else only `gmt_offset` (hours), which becomes a fixed Etc/GMT zone.

def site_calendar(general_settings: Sequence[Mapping[str, Any]], index: Mapping[str, Any]) -> tuple[str, str]:
    """(country, IANA time zone) from GET settings/general and GET /wp-json/."""
    setting = next((s for s in general_settings if s.get("id") == "woocommerce_default_country"), None)
    value = str((setting or {}).get("value") or "")
    country = value.split(":", 1)[0].upper()  # "DE:BE" is Germany, Berlin
    if len(country) != 2 or not country.isalpha():
        raise WooCommercePayloadError("settings/general", [
            f"woocommerce_default_country: must name the store's country, such as \"DE\", got {value!r}"])
    return country, _time_zone(index)


def _time_zone(index: Mapping[str, Any]) -> str:
    name = str(index.get("timezone_string") or "")
    if name:
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        offset = float(index.get("gmt_offset") or 0)
    except (TypeError, ValueError):
        offset = 0.0
    if offset == 0 or not offset.is_integer() or abs(offset) > 14:
        return "UTC"  # a half-hour offset has no Etc zone; UTC is off by at most that much
    # Etc/GMT zones count the other way: UTC+2 is Etc/GMT-2.
    return f"Etc/GMT{-int(offset):+d}"


# A request status -> the contract's `request` document (the storefront form's is storefront.request_from_form).
#
# A request status carries no reason, lines or photos: a cancel is for the whole order, a return, claim or
# warranty for every line, with the kind's usual reason. Only the storefront form can say more.

# What a request status means when it cannot say why: a return is a change of mind by definition.
STATUS_REASONS: dict[str, str | None] = {"cancel": None, "return": "changed_mind", "claim": "other",
                                         "warranty": "defective"}


def status_request_key(order: WooOrder) -> str:
    """One case per time the order moved into a request status; the modification time tells the times apart."""
    modified = instant(order.modified_at) or "unknown"
    return f"status:{order.id}:{order.status}:{modified}"


def request_from_status(order: WooOrder, kind: str, order_document: Mapping[str, Any]) -> dict[str, Any]:
    """The request an order in a request status stands for, asked when the status was set."""
    return {
        "kind": kind,
        "submitted_at": instant(order.modified_at or order.data["date_created_gmt"]),
        "reason": STATUS_REASONS[kind],
        "lines": [] if kind == "cancel" else every_line(order_document),
        "evidence": {"photos": 0},
        "note": "",
    }


def every_line(order_document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"line_id": line["id"], "quantity": line["quantity"], "condition": None}
            for line in order_document["lines"]]


# What the payload lacks, read from the site: its calendar, the products' sale status, the refunds' lines.

def status_mapping(store: Store) -> StatusMapping:
    """The store's saved mapping over the defaults (it was validated when saved)."""
    return load_status_mapping(store.status_mapping)


def ensure_calendar(store: Store, api: WooCommerceApi) -> None:
    """The site's country and time zone, read once: every case needs them."""
    if store.country and store.timezone:
        return
    store.country, store.timezone = site_calendar(api.get("settings/general"), api.site_index())


def record_order_snapshot(session: Session, store: Store, api: WooCommerceApi, order: WooOrder) -> OrderSnapshot:
    """First sighting: the order with its products' sale status as of now; afterwards only its progress moves."""
    assert store.country is not None, "ensure_calendar first"
    known = find_order_snapshot(session, store.id, order.id)
    products = None if known is not None else snapshot_products(api, order)
    return save_order_snapshot(session, store_id=store.id, order_id=order.id,
                               document=order_document(order, store.country, products))


def case_order(api: WooCommerceApi, snapshot: OrderSnapshot, order: WooOrder) -> dict[str, Any]:
    """The snapshot's lines as bought, with what was paid and refunded as the order stands now."""
    document = {**snapshot.document, **payment_document(order), "taxes_included": order.data["prices_include_tax"]}
    if order.data["refunds"]:  # which units earlier refunds took back: only the refunds themselves say
        refunded = refunded_quantities(api.get_all(f"orders/{order.id}/refunds"))
        document["lines"] = [{**line, "refunded_quantity": min(line["quantity"], refunded.get(line["id"], 0))}
                             for line in document["lines"]]
    return document


def snapshot_products(api: WooCommerceApi, order: WooOrder) -> Mapping[ProductKey, ProductSnapshot]:
    """Each bought product (or variation) as it is now; one since deleted is simply not known."""
    found: dict[ProductKey, ProductSnapshot] = {}
    for product_id, variation_id in order.products:
        try:
            product = api.get(f"products/{product_id}")
            variation = api.get(f"products/{product_id}/variations/{variation_id}") if variation_id else None
        except WooCommerceRejected:
            continue
        found[(product_id, variation_id)] = product_snapshot(product, variation)
    return found


# What each WooCommerce topic does: snapshot orders, open a case when an order moves into a request status,
# close and reopen cases when an order is trashed and restored.
#
# The webhook carries the order as it is when WooCommerce sends it, not as it was when the change was made:
# quick successive changes arrive as one delivery, so each one is judged on the order's current state. The
# catch-up poll (connector.woocommerce.poll) feeds the orders it finds through these same handlers.
# A WooCommerceUnavailable from a fetch propagates: the event stays `received` and RQ runs the job again.

log = logging.getLogger("assay.jobs")
WOOCOMMERCE = Platform.WOOCOMMERCE.value
HANDLERS = Handlers()  # topic -> handler, for process_event (through the adapter)


def _store(session: Session, event: Event) -> Store:
    store = find_store(session, WOOCOMMERCE, event.shop_domain)
    if store is None:
        raise PermanentEventError(f"no WooCommerce store {event.shop_domain} is set up")
    if store.status != StoreStatus.ACTIVE.value:
        raise PermanentEventError(f"store {store.domain} is {store.status}")
    return store


def _api(store: Store) -> WooCommerceApi:
    return woocommerce_api(store, store_credentials(store, storage_of(current_app).cipher), settings_of(current_app))


def _order(payload: dict[str, Any]) -> WooOrder:
    try:
        return parse_order(payload)
    except WooCommercePayloadError as error:
        raise PermanentEventError(str(error)) from error


@HANDLERS.on("order.created", "order.updated")
def record_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Snapshot the order (sale status as of its first sighting), then act on where its status has moved."""
    store = _store(session, event)
    order = _order(event.payload)
    try:
        with _api(store) as api:
            ensure_calendar(store, api)
            snapshot = record_order_snapshot(session, store, api, order)
            follow_status(session, store, snapshot, order, follow_ups, api)
    except WooCommercePayloadError as error:
        raise PermanentEventError(str(error)) from error


def follow_status(session: Session, store: Store, snapshot: OrderSnapshot, order: WooOrder,
                  follow_ups: FollowUps, api: WooCommerceApi) -> None:
    """A move into a request status opens a case; into an ended one (cancelled, refunded) closes its cases."""
    change = advance_platform_status(snapshot, order.status, order.modified_at)
    if change is None:  # the same status reported again, or an older report arriving late
        return
    if order.status in ENDED_STATUSES:  # nothing is left to decide, or to review
        close_cases(session, store.id, order.id, including_decided=True)
        return
    mapping = status_mapping(store)
    if mapping.means_delivered(order.status):
        # The status was set when the carrier reported delivery, so the order's modification time is when.
        record_delivery(snapshot, instant(order.modified_at or datetime.now(UTC)))
        return
    kind = mapping.request_kind(order.status)
    if kind is None:
        return
    refs = {"order_id": order.id, "request_status": order.status, "previous_status": change.previous}
    case_id, created = open_case(session, store, order=case_order(api, snapshot, order),
                                 request=request_from_status(order, kind, snapshot.document),
                                 request_key=status_request_key(order), refs=refs)
    if created:
        log.info("case.opened", extra={"case_id": case_id, "store_id": store.id, "kind": kind})
        follow_ups.decide(case_id, job_id=f"case-{case_id}")


@HANDLERS.on("order.deleted")
def close_cases_of_deleted_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Trashed (the payload is only its id): nothing is left to decide for its open cases, nor to review."""
    store = _store(session, event)
    order_id = event.payload.get("id")
    if not isinstance(order_id, int | str) or not str(order_id).isdigit():
        raise PermanentEventError(f"order.deleted names no order id, got {order_id!r}")
    close_cases(session, store.id, str(order_id))  # other decided ones stay: restoring changes nothing for them


@HANDLERS.on("order.restored")
def reopen_cases_of_restored_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Back from the trash: cases it closed before they were decided are decided after all, unless it ended."""
    order = _order(event.payload)
    store = _store(session, event)
    if order.status not in ENDED_STATUSES:
        for case_id in reopen_closed_cases(session, store.id, order.id):
            follow_ups.decide(case_id, job_id=f"case-{case_id}-restored-{event.id}")
    record_order(session, event, follow_ups)
