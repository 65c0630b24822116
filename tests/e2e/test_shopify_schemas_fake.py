"""An order seeded in the fake Admin API from a contract `order` reads back, through the real GraphQL documents
and the schemas, as that same order; its return reads back as a request the case validator accepts."""

from __future__ import annotations

import copy
from typing import Any

from connector.shopify import payloads
from connector.shopify.api import AdminApi
from connector.shopify.payloads import numeric_id, order_from_graphql, return_request_from_graphql, shop_facts
from policies.case_schema import load_case

from .fakes.shopify import FakeShopify

# Prices with 19% VAT inside; 174.60 paid in all, 25.00 of it with a gift card.
ORDER: dict[str, Any] = {
    "id": "ignored: the fake numbers its orders",
    "placed_at": "2026-03-02T09:00:00Z",
    "currency": "EUR",
    "country": "AT",
    "taxes_included": True,
    "shipping": {"amount": "12.50", "international": True, "tax": "2.00"},
    "fulfilled_at": "2026-03-03T08:00:00Z",
    "delivered_at": "2026-03-05T10:00:00Z",
    "paid": "174.60",
    "refunded": "0.00",
    "gift_card_paid": "25.00",
    "lines": [
        {"id": "L1", "title": "Rose quartz pendant", "sku": "RQ-1", "quantity": 1, "unit_price": "49.00",
         "compare_at_price": None, "discount": "4.90", "tax": "7.04", "product_type": "Necklace", "tags": ["crystal"],
         "gift_card": False, "properties": {"Engraving": "A+B"}, "fulfilled_quantity": 1, "refunded_quantity": 0},
        {"id": "L2", "title": "Amethyst ring", "sku": "AM-R", "quantity": 2, "unit_price": "59.00",
         "compare_at_price": "79.00", "discount": "0.00", "tax": "18.84", "product_type": "Ring", "tags": ["sale"],
         "gift_card": False, "properties": {}, "fulfilled_quantity": 2, "refunded_quantity": 0},
    ],
}


def test_a_seeded_order_reads_back_as_the_order_it_was_seeded_from(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    seeded = fake_shopify.seed_order(ORDER)
    facts = shop_facts(admin_api.execute(payloads.SHOP_FACTS))
    made = order_from_graphql(admin_api.execute(payloads.ORDER_FOR_CASE, {"id": seeded.gid}), facts.country)

    expected = copy.deepcopy(ORDER)
    expected["id"] = numeric_id(seeded.gid)
    for line, line_gid in zip(expected["lines"], seeded.line_gids, strict=True):
        line["id"] = numeric_id(line_gid)
    assert made.order == expected
    assert made.admin_graphql_id == seeded.gid


def test_a_seeded_return_reads_back_as_a_request_the_case_validator_accepts(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    seeded = fake_shopify.seed_order(ORDER)
    return_gid = fake_shopify.seed_return(seeded, [
        {"line_gid": seeded.line_gids[1], "quantity": 1, "reason": "too-small", "customer_note": "Too tight"},
    ])
    facts = shop_facts(admin_api.execute(payloads.SHOP_FACTS))
    order = order_from_graphql(admin_api.execute(payloads.ORDER_FOR_CASE, {"id": seeded.gid}), facts.country).order
    made = return_request_from_graphql(admin_api.execute(payloads.RETURN_FOR_CASE, {"id": return_gid}), order)

    assert (made.return_gid, made.order_gid) == (return_gid, seeded.gid)
    assert made.request["lines"] == [{"line_id": numeric_id(seeded.line_gids[1]), "quantity": 1, "condition": None}]
    assert (made.request["kind"], made.request["reason"], made.request["note"]) == ("return", "wrong_size", "Too tight")
    case = {"policy": {"preset": "pristine-crystals"}, "store": facts.store, "order": order, "request": made.request}
    assert load_case(case).case.request.lines[0].quantity == 1
