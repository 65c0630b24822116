"""Shopify orders and shop facts become the contract's case pieces; bad payloads name their fields."""

from __future__ import annotations

from typing import Any

import pytest
from support.shopify_payloads import payload

from connector.shopify.payloads import (
    ProductFacts,
    ShopifyPayloadError,
    line_map_from_graphql,
    merge_line_pages,
    order_from_graphql,
    order_from_webhook,
    return_request_from_graphql,
    return_request_from_webhook,
    shop_facts,
)
from policies.case_schema import load_case
from policies.engine import decide

PENDANT, EARRINGS, CARD = "14851429007434", "14851429040202", "14851429072970"
WEBHOOK_UNKNOWN_ORDER_FIELDS = ("delivered_at",)
ADMIN_ONLY_LINE_FIELDS = ("compare_at_price", "product_type", "tags")


def line(order: dict[str, Any], line_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(line for line in order["lines"] if line["id"] == line_id)
    return found


def test_an_orders_create_payload_becomes_the_contract_order() -> None:
    made = order_from_webhook(payload("orders_create"), "DE")
    assert made.customer_id == "7029431102139"
    assert made.admin_graphql_id == "gid://shopify/Order/5731562143766"
    assert {k: v for k, v in made.order.items() if k != "lines"} == {
        "id": "5731562143766",
        "placed_at": "2026-03-01T09:30:11Z",  # processed_at, in UTC
        "currency": "EUR",
        "country": "DE",
        "taxes_included": True,
        "shipping": {"amount": "6.90", "international": False, "tax": "1.10"},
        "fulfilled_at": None,
        "delivered_at": None,
        "paid": "194.00",  # current_total_price less total_outstanding, plus what was refunded
        "refunded": "0.00",
        "gift_card_paid": "0.00",  # paid through shopify_payments only
    }
    assert made.order["lines"][0] == {
        "id": PENDANT, "title": "Rose quartz pendant", "sku": "RQ-1", "quantity": 1, "unit_price": "49.00",
        "compare_at_price": None, "discount": "4.90", "tax": "7.04", "product_type": None, "tags": [],
        "gift_card": False, "properties": {"Engraving": "A+B"}, "fulfilled_quantity": 0, "refunded_quantity": 0,
    }
    assert line(made.order, EARRINGS)["quantity"] == 2
    assert line(made.order, CARD)["gift_card"] is True
    assert line(made.order, CARD)["sku"] is None  # Shopify sends "" for no SKU


def test_amounts_are_the_shops_money_even_when_the_customer_paid_in_another_currency() -> None:
    body = payload("orders_create")
    body["presentment_currency"] = "CHF"
    item = body["line_items"][0]
    item["price_set"] = {"shop_money": {"amount": "49.00", "currency_code": "EUR"},
                         "presentment_money": {"amount": "47.60", "currency_code": "CHF"}}
    item["discount_allocations"][0]["amount_set"]["presentment_money"] = {"amount": "4.76", "currency_code": "CHF"}
    order = order_from_webhook(body, "DE").order
    assert order["currency"] == "EUR"
    assert (line(order, PENDANT)["unit_price"], line(order, PENDANT)["discount"]) == ("49.00", "4.90")


def test_a_fulfilled_order_is_fulfilled_when_its_first_live_fulfillment_was_created() -> None:
    order = order_from_webhook(payload("orders_updated_fulfilled"), "DE").order
    assert order["fulfilled_at"] == "2026-03-02T14:04:31Z"  # the cancelled one at 08:12 shipped nothing
    assert [line["fulfilled_quantity"] for line in order["lines"]] == [1, 1, 1]
    assert order["delivered_at"] is None  # the REST payload has no delivery date


@pytest.mark.parametrize(("fulfillable", "status", "expected"), [
    (None, "fulfilled", 2),
    (None, None, 0),
    (None, "partial", None),  # unsaid: the case infers it from the order's dates
    (0, "fulfilled", 2),
    (2, None, 0),
])
def test_fulfilled_quantity_is_quantity_less_fulfillable_else_the_fulfillment_status(
    fulfillable: int | None, status: str | None, expected: int | None
) -> None:
    body = payload("orders_create")
    item = body["line_items"][1]
    item["fulfillment_status"] = status
    if fulfillable is None:
        del item["fulfillable_quantity"]
    else:
        item["fulfillable_quantity"] = fulfillable
    assert line(order_from_webhook(body, "DE").order, EARRINGS)["fulfilled_quantity"] == expected


def test_shipping_is_what_the_customer_paid_for_every_method_still_on_the_order() -> None:
    body = payload("orders_create")
    free = body["shipping_lines"][0]
    free["discounted_price"] = "0.00"
    free["discounted_price_set"]["shop_money"]["amount"] = "0.00"
    insured = {"price": "4.50", "price_set": {"shop_money": {"amount": "4.50", "currency_code": "EUR"}}}
    removed = {"price": "9.90", "is_removed": True}
    body["shipping_lines"] += [insured, removed]
    assert order_from_webhook(body, "DE").order["shipping"]["amount"] == "4.50"


@pytest.mark.parametrize(("address", "shop_country", "country", "international"), [
    ({"country_code": "DE"}, "DE", "DE", False),
    ({"country_code": "AT"}, "DE", "AT", True),
    ({"country_code": "DE"}, "CH", "DE", True),
    (None, "DE", None, False),  # local pickup or digital only: no shipping country
])
def test_shipping_is_international_when_the_country_differs_from_the_shops(
    address: dict[str, str] | None, shop_country: str, country: str | None, international: bool
) -> None:
    body = payload("orders_create")
    body["shipping_address"] = address
    order = order_from_webhook(body, shop_country).order
    assert (order["country"], order["shipping"]["international"]) == (country, international)


def test_what_the_line_payload_lacks_comes_from_snapshots_taken_when_the_order_arrived() -> None:
    order = order_from_webhook(
        payload("orders_create"), "DE",
        compare_at_prices={"44610569240808": "39.00", "44610569208040": None},
        products={"8191762432278": ("Necklace", ["crystal"]), "8191762465046": ProductFacts("Earrings", ("sale",))},
    ).order
    assert (line(order, EARRINGS)["compare_at_price"], line(order, PENDANT)["compare_at_price"]) == ("39.00", None)
    assert (line(order, PENDANT)["product_type"], line(order, PENDANT)["tags"]) == ("Necklace", ["crystal"])
    assert (line(order, EARRINGS)["product_type"], line(order, EARRINGS)["tags"]) == ("Earrings", ["sale"])
    assert (line(order, CARD)["product_type"], line(order, CARD)["tags"]) == (None, [])


def test_a_bad_snapshot_price_names_its_variant() -> None:
    with pytest.raises(ShopifyPayloadError) as raised:
        order_from_webhook(payload("orders_create"), "DE", compare_at_prices={"44610569240808": "thirty"})
    assert raised.value.errors == ['variant 44610569240808: must be a decimal amount such as "49.00", got \'thirty\'']


def test_a_guest_checkout_has_no_customer_and_the_gid_is_built_when_absent() -> None:
    body = payload("orders_create")
    body["customer"] = None
    del body["admin_graphql_api_id"]
    made = order_from_webhook(body, "DE")
    assert (made.customer_id, made.admin_graphql_id) == (None, "gid://shopify/Order/5731562143766")


def _without(key: str) -> Any:
    return lambda body: body.pop(key)


def _set(path: str, value: Any) -> Any:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            body = body[int(part)] if part.isdigit() else body[part]  # type: ignore[index]
        body[int(last) if last.isdigit() else last] = value  # type: ignore[index]
    return change


@pytest.mark.parametrize(("change", "field"), [
    (_without("id"), "id"),
    (_set("id", "#1042"), "id"),
    (_set("line_items.0.price", "forty-nine"), "line_items.0.price"),
    (_set("line_items.0.price_set.shop_money.amount", "4,90"), "line_items.0.price_set.shop_money.amount"),
    (_set("currency", "XYZ"), "currency"),
    (_set("currency", None), "currency"),
    (_set("created_at", "2026-03-01T10:30:12"), "created_at"),
    (_set("line_items", []), "line_items"),
    (_without("line_items"), "line_items"),
    (_set("line_items.1.id", None), "line_items.1.id"),
    (_set("line_items.1.quantity", "2"), "line_items.1.quantity"),
    (_set("line_items.0.discount_allocations.0.amount_set.shop_money", None),
     "line_items.0.discount_allocations.0.amount_set.shop_money"),
    (_set("shipping_address.country_code", "Germany"), "shipping_address.country_code"),
    (_set("fulfillments", [{"status": "success"}]), "fulfillments.0.created_at"),
])
def test_a_bad_orders_payload_is_refused_naming_the_field(change: Any, field: str) -> None:
    body = payload("orders_create")
    change(body)
    with pytest.raises(ShopifyPayloadError) as raised:
        order_from_webhook(body, "DE")
    assert raised.value.fields == [field]
    assert str(raised.value).startswith(f"orders webhook: {field}: ")


def test_every_bad_field_is_reported_at_once_and_a_non_object_is_refused() -> None:
    body = payload("orders_create")
    body["currency"], body["line_items"][2]["price"] = "EURO", "-85.00"
    with pytest.raises(ShopifyPayloadError) as raised:
        order_from_webhook(body, "DE")
    assert sorted(raised.value.fields) == ["currency", "line_items.2.price"]
    with pytest.raises(ShopifyPayloadError, match="document: must be a JSON object, got list"):
        order_from_webhook([], "DE")  # type: ignore[arg-type]


def test_the_order_for_case_result_becomes_the_contract_order_with_what_only_the_api_knows() -> None:
    made = order_from_graphql(payload("order_for_case"), "DE")
    assert (made.customer_id, made.admin_graphql_id) == ("7029431102139", "gid://shopify/Order/5731562143766")
    assert made.order["delivered_at"] == "2026-03-05T10:02:40Z"
    assert line(made.order, EARRINGS) == {
        "id": EARRINGS, "title": "Amethyst stud earrings", "sku": "AM-STUD", "quantity": 2, "unit_price": "29.00",
        "compare_at_price": "39.00", "discount": "0.00", "tax": "9.26", "product_type": "Earrings",
        "tags": ["crystal", "sale"], "gift_card": False, "properties": {}, "fulfilled_quantity": 1,
        "refunded_quantity": 0,
    }
    assert (made.order["taxes_included"], made.order["shipping"]["tax"]) == (True, "1.10")
    assert (made.order["paid"], made.order["refunded"], made.order["gift_card_paid"]) == ("194.00", "0.00", "0.00")


def test_the_webhook_and_the_admin_api_give_the_same_order_where_both_know() -> None:
    def common(order: dict[str, Any]) -> dict[str, Any]:
        lines = [{k: v for k, v in line.items() if k not in ADMIN_ONLY_LINE_FIELDS} for line in order["lines"]]
        return {**{k: v for k, v in order.items() if k not in WEBHOOK_UNKNOWN_ORDER_FIELDS}, "lines": lines}

    webhook = order_from_webhook(payload("orders_updated_fulfilled"), "DE")
    admin = order_from_graphql(payload("order_for_case"), "DE")
    assert common(webhook.order) == common(admin.order)
    assert (webhook.customer_id, webhook.admin_graphql_id) == (admin.customer_id, admin.admin_graphql_id)


def test_delivery_is_the_latest_known_one_from_the_field_or_a_delivered_event() -> None:
    data = payload("order_for_case")
    live, gift = data["order"]["fulfillments"][1:]
    live["deliveredAt"] = None
    assert order_from_graphql(data, "DE").order["delivered_at"] == "2026-03-05T10:02:40Z"  # from its event
    gift["events"]["nodes"] = [{"status": "DELIVERED", "happenedAt": "2026-03-06T09:00:00+01:00"}]
    assert order_from_graphql(data, "DE").order["delivered_at"] == "2026-03-06T08:00:00Z"
    live["events"]["nodes"], gift["events"]["nodes"] = [], []
    assert order_from_graphql(data, "DE").order["delivered_at"] is None


def test_a_compare_at_snapshot_wins_over_the_variants_price_today() -> None:
    order = order_from_graphql(payload("order_for_case"), "DE", compare_at_prices={"44610569240808": None}).order
    assert line(order, EARRINGS)["compare_at_price"] is None


def test_a_deleted_variant_or_product_leaves_its_facts_unknown() -> None:
    data = payload("order_for_case")
    data["order"]["lineItems"]["nodes"][0].update(variant=None, product=None)
    pendant = line(order_from_graphql(data, "DE").order, PENDANT)
    assert (pendant["compare_at_price"], pendant["product_type"], pendant["tags"]) == (None, None, [])


def test_line_pages_must_be_merged_before_the_order_is_read() -> None:
    first, second = payload("order_for_case"), payload("order_for_case")
    nodes = first["order"]["lineItems"]["nodes"]
    first["order"]["lineItems"] = {"nodes": nodes[:2], "pageInfo": {"hasNextPage": True, "endCursor": "1"}}
    second["order"]["lineItems"] = {"nodes": nodes[2:], "pageInfo": {"hasNextPage": False, "endCursor": "2"}}
    with pytest.raises(ShopifyPayloadError, match="order.lineItems: has more pages"):
        order_from_graphql(first, "DE")
    merged = order_from_graphql(merge_line_pages([first, second]), "DE").order
    assert [line["id"] for line in merged["lines"]] == [PENDANT, EARRINGS, CARD]


@pytest.mark.parametrize(("change", "field"), [
    (_set("order.id", "5731562143766"), "order.id"),
    (_set("order.currencyCode", "ZZZ"), "order.currencyCode"),
    (_set("order.lineItems.nodes.1.originalUnitPriceSet.shopMoney.amount", "x"),
     "order.lineItems.nodes.1.originalUnitPriceSet.shopMoney.amount"),
    (_set("order.lineItems.nodes.0.id", "gid://shopify/Product/1"), "order.lineItems.nodes.0.id"),
    (_set("order.fulfillments.1.deliveredAt", "yesterday"), "order.fulfillments.1.deliveredAt"),
])
def test_a_bad_order_for_case_result_is_refused_naming_the_field(change: Any, field: str) -> None:
    data = payload("order_for_case")
    change(data)
    with pytest.raises(ShopifyPayloadError) as raised:
        order_from_graphql(data, "DE")
    assert raised.value.fields == [field]


def test_an_order_the_api_did_not_return_is_a_clear_error() -> None:
    with pytest.raises(ShopifyPayloadError, match="order: not found"):
        order_from_graphql({"order": None}, "DE")


def test_shop_facts_give_the_store_country_time_zone_and_currency() -> None:
    facts = shop_facts(payload("shop_facts"))
    assert (facts.country, facts.timezone, facts.currency) == ("DE", "Europe/Berlin", "EUR")
    assert facts.store == {"country": "DE", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(("change", "field"), [
    (_set("shop.ianaTimezone", "Berlin"), "shop.ianaTimezone"),
    (_set("shop.shopAddress", {"countryCodeV2": None}), "shop.shopAddress.countryCodeV2"),
    (_set("shop.currencyCode", "EU"), "shop.currencyCode"),
])
def test_bad_shop_facts_are_refused_naming_the_field(change: Any, field: str) -> None:
    data = payload("shop_facts")
    change(data)
    with pytest.raises(ShopifyPayloadError) as raised:
        shop_facts(data)
    assert raised.value.fields == [field]


def _webhook_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    order = order_from_webhook(payload("orders_create"), "DE").order
    return order, return_request_from_webhook(payload("returns_request"), order,
                                              submitted_at="2026-03-09T18:45:03+01:00").request


def _fulfilled_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    order = order_from_webhook(payload("orders_updated_fulfilled"), "DE").order
    line_map = line_map_from_graphql(payload("return_for_case"))
    return order, return_request_from_webhook(payload("returns_request_2026"), order, line_map,
                                              submitted_at="2026-03-09T17:45:03Z").request


def _admin_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    order = order_from_graphql(payload("order_for_case"), "DE").order
    return order, return_request_from_graphql(payload("return_for_case"), order).request


@pytest.mark.parametrize("pair", [_webhook_pair, _fulfilled_pair, _admin_pair])
def test_every_output_makes_a_case_the_engine_decides(pair: Any) -> None:
    order, request = pair()
    store = shop_facts(payload("shop_facts")).store
    loaded = load_case({"policy": {"preset": "pristine-crystals"}, "store": store, "order": order, "request": request})
    assert [line.id for line in loaded.case.order.lines] == [PENDANT, EARRINGS, CARD]
    assert decide(loaded.case, loaded.policy).outcome.value in ("approve", "decline", "review")
