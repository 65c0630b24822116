"""An `orders/create` or `orders/updated` webhook payload (REST-style JSON) -> the contract's `order` document.

Amounts come from each `*_set.shop_money` (falling back to the plain field, which Shopify documents as the
same shop-currency amount), and the order's currency is `currency`, the shop's: the policy's fees and the
refunds Assay writes back are in the shop's money, while `presentment_currency` varies per customer.

What was paid is what the order comes to now (`current_total_price`, after refunded and removed items) less
what is still owed (`total_outstanding`), plus what was refunded (the refunds' successful transactions): the
Admin API's `totalReceivedSet`. Refund transactions are in the customer's currency, so where that is not the
shop's, the payload can't say what was paid in the shop's money and the order states none of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from marshmallow import fields, validate

from connector.shopify.schemas_common import (
    Edge,
    NumericId,
    ProductFacts,
    ShopifyOrder,
    amount,
    custom_properties,
    gid,
    instant,
    line_document,
    load,
    snapshot_amount,
    total,
    with_refunded_quantity,
)
from connector.shopify.schemas_payments import SignedMoney, gift_card_share_of_gateways, money_facts
from policies.fields import CountryCode, CurrencyCode, Flag, Instant, Money, Whole, at_least

# A fulfillment in one of these states shipped nothing.
_VOID_FULFILLMENTS = frozenset({"cancelled", "error", "failure"})

CompareAtPrices = Mapping[str, Any]  # variant id -> compare-at price captured when the order arrived
ProductLookup = Mapping[str, ProductFacts | tuple[str | None, Sequence[str]]]  # product id -> facts


class _ShopMoney(Edge):
    amount = Money(required=True)


class _MoneySet(Edge):
    shop_money = fields.Nested(_ShopMoney, required=True)


class _DiscountAllocation(Edge):
    amount = Money(load_default=None, allow_none=True)
    amount_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)


class _TaxLine(Edge):
    price = Money(load_default=None, allow_none=True)
    price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)


class _Property(Edge):
    name = fields.String(required=True)
    value = fields.Raw(load_default=None, allow_none=True)


class _LineItem(Edge):
    id = NumericId(required=True)
    title = fields.String(load_default="", allow_none=True)
    sku = fields.String(load_default=None, allow_none=True)
    quantity = Whole(required=True, validate=at_least(1))
    price = Money(required=True)
    price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    discount_allocations = fields.List(fields.Nested(_DiscountAllocation), load_default=list)
    gift_card = Flag(load_default=False)
    properties = fields.List(fields.Nested(_Property), load_default=list, allow_none=True)
    tax_lines = fields.List(fields.Nested(_TaxLine), load_default=list)
    current_quantity = Whole(load_default=None, allow_none=True)
    fulfillable_quantity = Whole(load_default=None, allow_none=True)
    fulfillment_status = fields.String(load_default=None, allow_none=True)
    variant_id = NumericId(load_default=None, allow_none=True)
    product_id = NumericId(load_default=None, allow_none=True)


class _ShippingLine(Edge):
    price = Money(load_default=None, allow_none=True)
    price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    discounted_price = Money(load_default=None, allow_none=True)
    discounted_price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    is_removed = Flag(load_default=False)
    tax_lines = fields.List(fields.Nested(_TaxLine), load_default=list)


class _Fulfillment(Edge):
    created_at = Instant(required=True)
    status = fields.String(load_default=None, allow_none=True)


class _Address(Edge):
    country_code = CountryCode(load_default=None, allow_none=True)


class _Customer(Edge):
    id = NumericId(required=True)


class _RefundTransaction(Edge):
    kind = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    amount = Money(required=True)
    currency = fields.String(load_default=None, allow_none=True)


class _Refund(Edge):
    transactions = fields.List(fields.Nested(_RefundTransaction), load_default=list)


class WebhookOrderSchema(Edge):
    id = NumericId(required=True)
    admin_graphql_api_id = fields.String(load_default=None, allow_none=True)
    created_at = Instant(required=True)
    processed_at = Instant(load_default=None, allow_none=True)
    currency = CurrencyCode(required=True)
    taxes_included = Flag(load_default=False)
    current_total_price = Money(load_default=None, allow_none=True)
    current_total_price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    total_outstanding = SignedMoney(load_default=None, allow_none=True)
    payment_gateway_names = fields.List(fields.String(), load_default=list)
    refunds = fields.List(fields.Nested(_Refund), load_default=list)
    customer = fields.Nested(_Customer, load_default=None, allow_none=True)
    shipping_address = fields.Nested(_Address, load_default=None, allow_none=True)
    shipping_lines = fields.List(fields.Nested(_ShippingLine), load_default=list)
    fulfillments = fields.List(fields.Nested(_Fulfillment), load_default=list)
    line_items = fields.List(fields.Nested(_LineItem), required=True,
                             validate=validate.Length(min=1, error="must list at least one line item"))


_SCHEMA = WebhookOrderSchema()


def order_from_webhook(
    payload: Mapping[str, Any],
    shop_country: str,
    *,
    compare_at_prices: CompareAtPrices | None = None,
    products: ProductLookup | None = None,
) -> ShopifyOrder:
    """An orders/create or orders/updated payload as the contract's order; raises ShopifyPayloadError."""
    data = load(_SCHEMA, payload, "orders webhook")
    country = (data["shipping_address"] or {}).get("country_code")
    fulfilled = [f["created_at"] for f in data["fulfillments"] if (f["status"] or "").lower() not in _VOID_FULFILLMENTS]
    shipping_lines = [line for line in data["shipping_lines"] if not line["is_removed"]]
    order = {
        "id": data["id"],
        # processed_at is the date Shopify shows on the order; it differs from created_at for imported orders.
        "placed_at": instant(data["processed_at"] or data["created_at"]),
        "currency": data["currency"],
        "country": country,
        "taxes_included": data["taxes_included"],
        "shipping": {
            "amount": amount(total(map(_shipping_paid, shipping_lines))),
            "international": country is not None and country != shop_country,
            "tax": amount(total(_tax(line) for line in shipping_lines)),
        },
        "fulfilled_at": instant(min(fulfilled)) if fulfilled else None,
        "delivered_at": None,  # the REST payload carries no delivery date; ORDER_FOR_CASE has it
        **_payments(data),
        "lines": [_line(item, compare_at_prices or {}, products or {}) for item in data["line_items"]],
    }
    customer = data["customer"]
    return ShopifyOrder(
        order=order,
        customer_id=customer["id"] if customer else None,
        admin_graphql_id=data["admin_graphql_api_id"] or gid("Order", data["id"]),
    )


def product_facts(products: ProductLookup, product_id: str | None) -> ProductFacts:
    found = products.get(product_id) if product_id is not None else None
    if found is None or isinstance(found, ProductFacts):
        return found or ProductFacts()
    product_type, tags = found
    return ProductFacts(product_type, tuple(tags))


def _payments(data: dict[str, Any]) -> dict[str, str]:
    """paid, refunded and, where the gateways tell it, gift_card_paid; nothing where the payload can't say."""
    now = data["current_total_price_set"]
    if (now is None and data["current_total_price"] is None) or data["total_outstanding"] is None:
        return {}
    refund_transactions = [t for refund in data["refunds"] for t in refund["transactions"]
                           if (t["kind"] or "").lower() == "refund" and (t["status"] or "").lower() == "success"]
    if any(t["currency"] not in (None, data["currency"]) for t in refund_transactions):
        return {}  # refunded in the customer's currency: not comparable with the shop's
    refunded = total(t["amount"] for t in refund_transactions)
    paid = _shop_amount(now, data["current_total_price"]) - data["total_outstanding"] + refunded
    return money_facts(paid, refunded, gift_card_share_of_gateways(data["payment_gateway_names"], paid),
                       data["currency"])


def _line(item: dict[str, Any], compare_at_prices: CompareAtPrices, products: ProductLookup) -> dict[str, Any]:
    variant = item["variant_id"]
    document = line_document(
        line_id=item["id"],
        title=item["title"] or "",
        sku=item["sku"],
        quantity=item["quantity"],
        unit_price=_shop_amount(item["price_set"], item["price"]),
        compare_at_price=snapshot_amount(compare_at_prices.get(variant), f"variant {variant}") if variant else None,
        discount=total(_shop_amount(a["amount_set"], a["amount"]) for a in item["discount_allocations"]),
        product=product_facts(products, item["product_id"]),
        gift_card=item["gift_card"],
        properties=custom_properties((p["name"], p["value"]) for p in item["properties"] or []),
        fulfilled_quantity=_fulfilled_quantity(item),
        tax=_tax(item),
    )
    return with_refunded_quantity(document, item["quantity"], item["current_quantity"])


def _fulfilled_quantity(item: dict[str, Any]) -> int | None:
    quantity: int = item["quantity"]
    if item["fulfillable_quantity"] is not None:
        return quantity - int(item["fulfillable_quantity"])
    status = (item["fulfillment_status"] or "").lower()
    if status == "fulfilled":
        return quantity
    return 0 if not status else None  # "partial": how many is unsaid; the case infers it from the dates


def _tax(line: dict[str, Any]) -> Decimal:
    """The tax Shopify charged on a line item or shipping line: after its discounts, on its whole quantity."""
    return total(_shop_amount(tax["price_set"], tax["price"]) for tax in line["tax_lines"])


def _shipping_paid(line: dict[str, Any]) -> Decimal:
    """What the customer paid for the method: after shipping discounts, so a refund never exceeds it."""
    if line["discounted_price_set"] is not None or line["discounted_price"] is not None:
        return _shop_amount(line["discounted_price_set"], line["discounted_price"])
    return _shop_amount(line["price_set"], line["price"])


def _shop_amount(money_set: dict[str, Any] | None, plain: Decimal | None) -> Decimal:
    if money_set is not None:
        found: Decimal = money_set["shop_money"]["amount"]
        return found
    return plain if plain is not None else Decimal("0.00")
