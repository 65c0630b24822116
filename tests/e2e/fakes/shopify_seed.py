"""Builds Admin-API-shaped orders and returns for the fake Shopify from case-like specs.

An order spec uses the contract's `order` keys (placed_at, currency, country, taxes_included, shipping.amount
and .tax, fulfilled_at, delivered_at, paid, refunded, gift_card_paid, lines[...] with their tax), so a test can
seed the very order a case describes. The customer paid `paid` (by default what the order comes to: prices
less discounts plus shipping, plus the taxes where they were added on top), `gift_card_paid` of it with a
gift card and the rest by card; `refunded` of it went back to the card already. The dicts use the schema's
field names; graphql-core's default resolvers read them directly (calling the callables, for derived totals).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .shopify_money import money as money
from .shopify_money import money_bag as money_bag
from .shopify_money import received, refunded, transaction

Connection = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class SeededOrder:
    gid: str
    line_gids: list[str]
    fulfillment_line_item_gids: dict[str, str]  # line item gid -> fulfillment line item gid


@dataclass
class Ids:
    """Numeric ids per resource, like Shopify's, wrapped as gid://shopify/<Type>/<n>."""

    counters: dict[str, Iterator[int]] = field(default_factory=dict)

    def gid(self, resource: str, start: int = 1) -> str:
        counter = self.counters.setdefault(resource, itertools.count(start))
        return f"gid://shopify/{resource}/{next(counter)}"


def paged(items: Sequence[dict[str, Any]]) -> Connection:
    """A connection honouring first/after with the item's index as its cursor."""

    def resolve(_info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
        start = int(after) + 1 if after else 0
        stop = len(items) if first is None else min(len(items), start + first)
        window = list(items[start:stop])
        edges = [{"cursor": str(i), "node": node} for i, node in enumerate(window, start)]
        return {
            "nodes": window,
            "edges": edges,
            "pageInfo": {
                "hasNextPage": stop < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }

    return resolve


def default_shop() -> dict[str, Any]:
    return {
        "id": "gid://shopify/Shop/1",
        "ianaTimezone": "Europe/Berlin",
        "currencyCode": "EUR",
        "shopAddress": {"countryCodeV2": "DE"},
    }


def build_order(spec: Mapping[str, Any], ids: Ids) -> tuple[dict[str, Any], SeededOrder]:
    """An Order dict plus the ids a test needs to refer to its parts."""
    currency = spec.get("currency", "EUR")
    placed_at = spec.get("placed_at", "2026-03-01T09:30:00Z")
    lines = [build_line(line, currency, ids) for line in spec.get("lines") or [{}]]
    fulfilled_quantities = [int(line.get("fulfilled_quantity", 0)) for line in spec.get("lines") or [{}]]
    shipping_amount = (spec.get("shipping") or {}).get("amount", "0.00")
    shipping_tax = Decimal(str((spec.get("shipping") or {}).get("tax", "0.00")))
    taxes_included = bool(spec.get("taxes_included", False))
    order_gid = ids.gid("Order", 1001)
    fulfillments, fli_gids = build_fulfillments(spec, lines, fulfilled_quantities, ids)
    order = {
        "id": order_gid,
        "name": f"#{order_gid.rsplit('/', 1)[1]}",
        "createdAt": placed_at,
        "processedAt": placed_at,
        "cancelledAt": None,
        "cancelReason": None,
        "cancellation": None,
        "currencyCode": currency,
        "presentmentCurrencyCode": spec.get("presentment_currency", currency),
        "taxesIncluded": taxes_included,
        "tags": list(spec.get("tags", [])),
        "note": spec.get("note"),
        "email": spec.get("email", "customer@example.com"),
        "customer": {"id": f"gid://shopify/Customer/{spec['customer_id']}"} if spec.get("customer_id") else None,
        "shippingAddress": {"countryCodeV2": spec.get("country", "DE")},
        "totalShippingPriceSet": money_bag(shipping_amount, currency),
        "shippingLines": paged([{
            "title": "Standard",
            "originalPriceSet": money_bag(shipping_amount, currency),
            "discountedPriceSet": money_bag(shipping_amount, currency),
            "taxLines": tax_lines(shipping_tax, currency),
        }]),
        "lineItems": paged(lines),
        "fulfillments": fulfillments,
        "transactions": [],
        "refunds": [],
    }
    order["totalReceivedSet"] = lambda _info: money_bag(received(order), currency)
    order["totalRefundedSet"] = lambda _info: money_bag(refunded(order), currency)
    order["netPaymentSet"] = lambda _info: money_bag(received(order) - refunded(order), currency)
    comes_to = order_total(lines, Decimal(str(shipping_amount)), shipping_tax, taxes_included)
    pay(order, spec, comes_to, ids)
    return order, SeededOrder(order_gid, [line["id"] for line in lines], fli_gids)


def order_total(lines: list[dict[str, Any]], shipping: Decimal, shipping_tax: Decimal, taxes_included: bool) -> Decimal:
    """What the order comes to: prices less discounts and shipping, plus the taxes where added on top."""
    items = sum((Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"]) * line["quantity"]
                 - sum((Decimal(a["allocatedAmountSet"]["shopMoney"]["amount"]) for a in line["discountAllocations"]),
                       Decimal("0"))
                 for line in lines), Decimal("0"))
    taxes = sum((Decimal(t["priceSet"]["shopMoney"]["amount"]) for line in lines for t in line["taxLines"]),
                shipping_tax)
    return items + shipping + (Decimal("0") if taxes_included else taxes)


def pay(order: dict[str, Any], spec: Mapping[str, Any], comes_to: Decimal, ids: Ids) -> None:
    """The customer's payments (a gift card's part first, then the card) and any refund made before."""
    currency, presentment = order["currencyCode"], order["presentmentCurrencyCode"]
    paid = Decimal(str(spec.get("paid", comes_to)))
    gift_card = Decimal(str(spec.get("gift_card_paid", "0.00")))
    made = [transaction(ids, "SALE", gateway, amount, currency, presentment=presentment)
            for gateway, amount in (("gift_card", gift_card), ("shopify_payments", paid - gift_card)) if amount > 0]
    order["transactions"].extend(made)
    before = Decimal(str(spec.get("refunded", "0.00")))
    if before > 0 and made:
        order["transactions"].append(transaction(ids, "REFUND", made[-1]["gateway"], before, currency, made[-1],
                                                 presentment))


def tax_lines(tax: Decimal, currency: str) -> list[dict[str, Any]]:
    if not tax:
        return []
    return [{"title": "VAT", "rate": None, "ratePercentage": None, "source": "Shopify", "channelLiable": False,
             "priceSet": money_bag(tax, currency)}]


def build_line(spec: Mapping[str, Any], currency: str, ids: Ids) -> dict[str, Any]:
    quantity = int(spec.get("quantity", 1))
    fulfilled = int(spec.get("fulfilled_quantity", 0))
    unit_price = spec.get("unit_price", "49.00")
    discount = Decimal(str(spec.get("discount", "0.00")))
    tax = Decimal(str(spec.get("tax", "0.00")))
    compare_at = spec.get("compare_at_price")
    return {
        "__typename": "LineItem",
        "id": ids.gid("LineItem"),
        "title": spec.get("title", "Rose quartz pendant"),
        "sku": spec.get("sku", "RQ-1"),
        "quantity": quantity,
        "currentQuantity": quantity,
        "unfulfilledQuantity": quantity - fulfilled,
        "nonFulfillableQuantity": 0,
        "refundableQuantity": quantity,
        "isGiftCard": bool(spec.get("gift_card", False)),
        "customAttributes": [{"key": k, "value": v} for k, v in (spec.get("properties") or {}).items()],
        "originalUnitPriceSet": money_bag(unit_price, currency),
        "discountedUnitPriceSet": money_bag(unit_price, currency),
        "discountAllocations": [{"allocatedAmountSet": money_bag(discount, currency)}] if discount else [],
        "taxLines": tax_lines(tax, currency),
        "variant": {"id": ids.gid("ProductVariant"), "compareAtPrice": str(compare_at) if compare_at else None},
        "product": {
            "id": ids.gid("Product"),
            "productType": spec.get("product_type", "Necklace"),
            "tags": list(spec.get("tags", [])),
        },
    }


def build_fulfillments(
    spec: Mapping[str, Any], lines: list[dict[str, Any]], fulfilled: list[int], ids: Ids
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One fulfillment holding every fulfilled unit, when the spec says the order was fulfilled."""
    fulfilled_at, delivered_at = spec.get("fulfilled_at"), spec.get("delivered_at")
    if not fulfilled_at:
        return [], {}
    items: list[dict[str, Any]] = [
        {"id": ids.gid("FulfillmentLineItem"), "quantity": quantity, "lineItem": line}
        for line, quantity in zip(lines, fulfilled, strict=True)
        if quantity
    ]
    events = [{"status": "DELIVERED", "happenedAt": delivered_at}] if delivered_at else []
    fulfillment = {
        "id": ids.gid("Fulfillment"),
        "status": "SUCCESS",
        "displayStatus": "DELIVERED" if delivered_at else "FULFILLED",
        "createdAt": fulfilled_at,
        "inTransitAt": None,
        "deliveredAt": delivered_at,
        "events": {"nodes": events},
        "fulfillmentLineItems": paged(items),
    }
    return [fulfillment], {item["lineItem"]["id"]: item["id"] for item in items}


def build_return(
    order: dict[str, Any], seeded: SeededOrder, lines: Sequence[Mapping[str, Any]], status: str, ids: Ids
) -> dict[str, Any]:
    """A return on `order`; each line spec names a `line_gid`, a `quantity`, a reason `handle` and a note."""
    by_gid = {
        item["lineItem"]["id"]: item
        for fulfillment in order["fulfillments"]
        for item in fulfillment["fulfillmentLineItems"](None)["nodes"]
    }
    return_lines = []
    for spec in lines:
        line_gid = spec.get("line_gid", seeded.line_gids[0])
        if line_gid not in by_gid:
            raise ValueError(f"line {line_gid} was never fulfilled, so it can't be returned")
        handle = spec.get("reason", "unwanted")
        return_lines.append({
            "__typename": "ReturnLineItem",
            "id": ids.gid("ReturnLineItem"),
            "quantity": int(spec.get("quantity", 1)),
            "customerNote": spec.get("customer_note"),
            "returnReasonNote": spec.get("reason_note", ""),
            "returnReasonDefinition": {"handle": handle, "name": handle.replace("-", " ").capitalize()},
            "fulfillmentLineItem": by_gid[line_gid],
            "processedQuantity": 0,
        })
    return_gid = ids.gid("Return")
    refunds: list[dict[str, Any]] = []
    return {
        "id": return_gid,
        "name": f"{order['name']}-R{return_gid.rsplit('/', 1)[1]}",
        "status": status,
        "createdAt": order["createdAt"],
        "requestApprovedAt": None,
        "decline": None,
        "order": order,
        "returnLineItems": paged(return_lines),
        "returnLineList": return_lines,
        "refundList": refunds,
        "refunds": paged(refunds),
    }
