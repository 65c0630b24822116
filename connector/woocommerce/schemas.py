"""A WooCommerce REST order (webhook payload or GET orders/<id>) -> the contract's `order` document.

- Times come from the `*_gmt` fields, which WooCommerce gives in UTC without an offset.
- A line's `subtotal` is its price before coupons and `total` after, so the unit price is subtotal/quantity
  and the coupon discount is subtotal - total. Both are net of tax, which is `subtotal_tax` / `total_tax`
  (per rate in `taxes`). When the store enters prices with tax (`prices_include_tax`, the case's
  `taxes_included`), tax is added to both (and to shipping): product prices, and so the compare-at price,
  are then tax-inclusive too, and comparing a net price with a gross one would make every line look like a
  sale. A line's `tax` is its `total_tax`, the tax after coupons; shipping's is `shipping_tax`.
- What was paid, refunded and paid by gift card or store credit: see payments.py.
- Sale status is not in the order: it is taken from the product (or variation) when the order arrives, as
  `compare_at_price` = the regular price while the product is on sale.
- WooCommerce has no product type: the first category stands in for it, and every category name is a tag
  too, beside the product's tags, so a policy's listed exclusions match either.
- Personalization is the line's item meta (Product Add-Ons' "Engraving ($10.00)"); "_" keys are plugins'
  bookkeeping and "pa_" keys are the variation's attributes (a ring size is a choice, not a personalization).
- `completed` is WooCommerce's "fulfilled": `date_completed_gmt` is the fulfilment date. Core tracks no
  delivery: `delivered_at` is the order meta `_assay_delivered_at` (ISO 8601), which the Assay plugin copies
  from Advanced Shipment Tracking or TrackShip, and null without it (a "delivered" status then stands in).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from connector.case_parts import ProductFacts, amount, custom_properties, instant, line_document, load_payload
from connector.woocommerce.errors import WooCommercePayloadError
from connector.woocommerce.payments import StoreCreditShare, order_payment, store_credit_shares
from connector.woocommerce.rest_fields import GmtTime, SignedMoney, WooId
from connector.woocommerce.statuses import status_slug
from policies.fields import CurrencyCode, Flag, Money, Whole, at_least
from policies.money import round_money

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
    data = load_payload(_ORDER, payload, "woocommerce order", error=WooCommercePayloadError)
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
