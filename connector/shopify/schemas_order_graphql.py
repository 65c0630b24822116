"""The ORDER_FOR_CASE query's `data` -> the contract's `order` document, like the webhook's but with what only
the Admin API knows: the variant's compare-at price, the product's type and tags, the delivery date, and the
payments by gift card. Amounts are the shop's money (`shopMoney`), the order's `currencyCode`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from marshmallow import fields

from connector.shopify.schemas_common import (
    Edge,
    Gid,
    ProductFacts,
    ShopifyOrder,
    ShopifyPayloadError,
    amount,
    custom_properties,
    instant,
    line_document,
    load,
    numeric_id,
    snapshot_amount,
    total,
    with_refunded_quantity,
)
from connector.shopify.schemas_order import CompareAtPrices
from connector.shopify.schemas_payments import PaymentTransaction, ShopMoneyBag, payment_facts
from policies.fields import CountryCode, CurrencyCode, Flag, Instant, Money, Whole, at_least

_VOID_FULFILLMENTS = frozenset({"CANCELLED", "ERROR", "FAILURE"})


class _Allocation(Edge):
    allocatedAmountSet = fields.Nested(ShopMoneyBag, required=True)


class _TaxLine(Edge):
    priceSet = fields.Nested(ShopMoneyBag, required=True)


class _Attribute(Edge):
    key = fields.String(required=True)
    value = fields.Raw(load_default=None, allow_none=True)


class _Variant(Edge):
    id = Gid("ProductVariant", required=True)
    compareAtPrice = Money(load_default=None, allow_none=True)


class _Product(Edge):
    productType = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(), load_default=list)


class _LineItem(Edge):
    id = Gid("LineItem", required=True)
    title = fields.String(load_default="", allow_none=True)
    sku = fields.String(load_default=None, allow_none=True)
    quantity = Whole(required=True, validate=at_least(1))
    currentQuantity = Whole(load_default=None, allow_none=True)
    unfulfilledQuantity = Whole(load_default=None, allow_none=True)
    nonFulfillableQuantity = Whole(load_default=None, allow_none=True)
    isGiftCard = Flag(load_default=False)
    customAttributes = fields.List(fields.Nested(_Attribute), load_default=list)
    originalUnitPriceSet = fields.Nested(ShopMoneyBag, required=True)
    discountAllocations = fields.List(fields.Nested(_Allocation), load_default=list)
    taxLines = fields.List(fields.Nested(_TaxLine), load_default=list)
    variant = fields.Nested(_Variant, load_default=None, allow_none=True)  # null once the variant is deleted
    product = fields.Nested(_Product, load_default=None, allow_none=True)


class _PageInfo(Edge):
    hasNextPage = Flag(load_default=False)


class _LineItems(Edge):
    nodes = fields.List(fields.Nested(_LineItem), required=True)
    pageInfo = fields.Nested(_PageInfo, load_default=None, allow_none=True)


class _ShippingLine(Edge):
    originalPriceSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    discountedPriceSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    taxLines = fields.List(fields.Nested(_TaxLine), load_default=list)


class _ShippingLines(Edge):
    nodes = fields.List(fields.Nested(_ShippingLine), load_default=list)


class _Event(Edge):
    status = fields.String(required=True)
    happenedAt = Instant(required=True)


class _Events(Edge):
    nodes = fields.List(fields.Nested(_Event), load_default=list)


class _Fulfillment(Edge):
    status = fields.String(load_default=None, allow_none=True)
    createdAt = Instant(required=True)
    deliveredAt = Instant(load_default=None, allow_none=True)
    events = fields.Nested(_Events, load_default=None, allow_none=True)


class _Address(Edge):
    countryCodeV2 = CountryCode(load_default=None, allow_none=True)


class _Customer(Edge):
    id = Gid("Customer", required=True)


class GraphQLOrderSchema(Edge):
    id = Gid("Order", required=True)
    createdAt = Instant(required=True)
    processedAt = Instant(load_default=None, allow_none=True)
    currencyCode = CurrencyCode(required=True)
    taxesIncluded = Flag(load_default=False)
    totalReceivedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    totalRefundedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    transactions = fields.List(fields.Nested(PaymentTransaction), load_default=list)
    customer = fields.Nested(_Customer, load_default=None, allow_none=True)
    shippingAddress = fields.Nested(_Address, load_default=None, allow_none=True)
    shippingLines = fields.Nested(_ShippingLines, load_default=None, allow_none=True)
    lineItems = fields.Nested(_LineItems, required=True)
    fulfillments = fields.List(fields.Nested(_Fulfillment), load_default=list)


_SCHEMA = GraphQLOrderSchema()


def order_from_graphql(
    data: Mapping[str, Any], shop_country: str, *, compare_at_prices: CompareAtPrices | None = None
) -> ShopifyOrder:
    """ORDER_FOR_CASE's `data` (every lineItems page merged) as the contract's order; raises ShopifyPayloadError.

    The variant's compareAtPrice is today's; pass the snapshot taken when the order arrived as
    `compare_at_prices` (variant id -> price) and it wins.
    """
    raw = data.get("order") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("OrderForCase", ["order: not found (deleted, or not visible to the app)"])
    order = load(_SCHEMA, raw, "OrderForCase", "order")
    if (order["lineItems"]["pageInfo"] or {}).get("hasNextPage"):
        # Deciding on a partial order would miss lines; the caller pages with $lineItemsAfter and merges.
        raise ShopifyPayloadError("OrderForCase", ["order.lineItems: has more pages; fetch every page and "
                                                   "merge_line_pages them"])
    country = (order["shippingAddress"] or {}).get("countryCodeV2")
    fulfillments = [f for f in order["fulfillments"] if (f["status"] or "") not in _VOID_FULFILLMENTS]
    delivered = [at for at in map(_delivered_at, fulfillments) if at is not None]
    shipping_lines = (order["shippingLines"] or {}).get("nodes", [])
    document = {
        "id": numeric_id(order["id"]),
        "placed_at": instant(order["processedAt"] or order["createdAt"]),
        "currency": order["currencyCode"],
        "country": country,
        "taxes_included": order["taxesIncluded"],
        "shipping": {
            "amount": amount(total(map(_shipping_paid, shipping_lines))),
            "international": country is not None and country != shop_country,
            "tax": amount(total(map(_tax, shipping_lines))),
        },
        "fulfilled_at": instant(min(f["createdAt"] for f in fulfillments)) if fulfillments else None,
        # The latest known delivery: a window "from receipt" starts when the last parcel arrived.
        "delivered_at": instant(max(delivered)) if delivered else None,
        **payment_facts(order["totalReceivedSet"], order["totalRefundedSet"], order["transactions"],
                        order["currencyCode"]),
        "lines": [_line(item, compare_at_prices or {}) for item in order["lineItems"]["nodes"]],
    }
    customer = order["customer"]
    return ShopifyOrder(document, numeric_id(customer["id"]) if customer else None, order["id"])


def merge_line_pages(pages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """ORDER_FOR_CASE results for successive $lineItemsAfter cursors as one result holding every line."""
    if not pages:
        raise ValueError("merge_line_pages needs at least one page")
    first = dict(pages[0])
    order = dict(first.get("order") or {})
    nodes = [node for page in pages for node in (((page.get("order") or {}).get("lineItems") or {}).get("nodes") or [])]
    last_info = ((pages[-1].get("order") or {}).get("lineItems") or {}).get("pageInfo")
    order["lineItems"] = {"nodes": nodes, "pageInfo": last_info}
    first["order"] = order
    return first


def _line(item: dict[str, Any], compare_at_prices: CompareAtPrices) -> dict[str, Any]:
    variant, product = item["variant"], item["product"]
    compare_at = variant["compareAtPrice"] if variant else None
    if variant and numeric_id(variant["id"]) in compare_at_prices:
        variant_number = numeric_id(variant["id"])
        compare_at = snapshot_amount(compare_at_prices[variant_number], f"variant {variant_number}")
    unfulfilled, unfulfillable = item["unfulfilledQuantity"], item["nonFulfillableQuantity"]
    fulfilled = None if unfulfilled is None else item["quantity"] - unfulfilled - (unfulfillable or 0)
    document = line_document(
        line_id=numeric_id(item["id"]),
        title=item["title"] or "",
        sku=item["sku"],
        quantity=item["quantity"],
        unit_price=item["originalUnitPriceSet"]["shopMoney"]["amount"],
        compare_at_price=compare_at,
        discount=total(a["allocatedAmountSet"]["shopMoney"]["amount"] for a in item["discountAllocations"]),
        product=ProductFacts(product["productType"], tuple(product["tags"])) if product else ProductFacts(),
        gift_card=item["isGiftCard"],
        properties=custom_properties((a["key"], a["value"]) for a in item["customAttributes"]),
        fulfilled_quantity=fulfilled,
        tax=_tax(item),
    )
    return with_refunded_quantity(document, item["quantity"], item["currentQuantity"])


def _tax(line: dict[str, Any]) -> Decimal:
    """Shopify's taxLines of a line item (its whole quantity, after discounts) or of a shipping line."""
    return total(tax["priceSet"]["shopMoney"]["amount"] for tax in line["taxLines"])


def _delivered_at(fulfillment: dict[str, Any]) -> datetime | None:
    if fulfillment["deliveredAt"] is not None:
        at: datetime = fulfillment["deliveredAt"]
        return at
    events = (fulfillment["events"] or {}).get("nodes", [])
    return max((e["happenedAt"] for e in events if e["status"] == "DELIVERED"), default=None)


def _shipping_paid(line: dict[str, Any]) -> Decimal:
    """After shipping discounts, like the webhook path, so both paths agree on the same order."""
    bag = line["discountedPriceSet"] or line["originalPriceSet"]
    return bag["shopMoney"]["amount"] if bag else Decimal("0.00")
