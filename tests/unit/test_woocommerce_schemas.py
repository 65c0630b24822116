"""A WooCommerce REST order -> the contract's order document; products -> sale status; the site's calendar."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from connector.case_parts import ProductFacts
from connector.woocommerce.payloads import (
    ProductSnapshot,
    WooCommercePayloadError,
    order_document,
    parse_order,
    product_snapshot,
    site_calendar,
)
from policies.batch import decide_document

LINE: dict[str, Any] = {
    "id": 31, "name": "Rose quartz pendant", "product_id": 11, "variation_id": 0, "quantity": 2,
    "subtotal": "98.00", "subtotal_tax": "18.62", "total": "88.20", "total_tax": "16.76", "sku": "RQ-1",
    "price": 44.1, "meta_data": [],
}
ORDER: dict[str, Any] = {
    "id": 101, "number": "101", "order_key": "wc_order_abc123", "status": "processing", "currency": "EUR",
    "prices_include_tax": False, "date_created": "2026-03-01T10:30:00", "date_created_gmt": "2026-03-01T09:30:00",
    "date_modified_gmt": "2026-03-01T09:31:00", "date_completed_gmt": None, "date_paid_gmt": "2026-03-01T09:30:05",
    "shipping_total": "6.90", "shipping_tax": "1.31", "total": "113.17", "total_tax": "18.07",
    "payment_method": "stripe",
    "billing": {"email": "Ada@Example.com", "country": "AT"}, "shipping": {"country": "DE"},
    "line_items": [LINE], "some_plugin_field": {"anything": True},
}


def order(**changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(ORDER)
    line_changes = changes.pop("line", {})
    made["line_items"] = [{**LINE, **line_changes}]
    made.update(changes)
    return made


def document(payload: dict[str, Any], products: dict[Any, ProductSnapshot] | None = None) -> dict[str, Any]:
    return order_document(parse_order(payload), "DE", products)


def test_an_order_becomes_the_contracts_order_document_in_utc() -> None:
    assert document(order()) == {
        "id": "101", "placed_at": "2026-03-01T09:30:00Z", "currency": "EUR", "country": "DE",
        "taxes_included": False, "shipping": {"amount": "6.90", "tax": "1.31", "international": False},
        "fulfilled_at": None, "delivered_at": None,
        "lines": [{"id": "31", "title": "Rose quartz pendant", "sku": "RQ-1", "quantity": 2, "unit_price": "49.00",
                   "compare_at_price": None, "discount": "9.80", "tax": "16.76", "product_type": None, "tags": [],
                   "gift_card": False, "properties": {}, "fulfilled_quantity": None}],
        "paid": "113.17", "refunded": "0.00", "gift_card_paid": "0.00",
    }


@pytest.mark.parametrize(("changes", "unit_price", "discount", "shipping"), [
    ({}, "49.00", "9.80", "6.90"),  # net prices: before coupons / quantity, coupons = subtotal - total
    ({"prices_include_tax": True}, "58.31", "11.66", "8.21"),  # gross prices: tax on both sides of the compare
    ({"line": {"quantity": 3, "subtotal": "100.00", "total": "100.00"}}, "33.33", "0.00", "6.90"),
    ({"line": {"total": "0.00"}}, "49.00", "98.00", "6.90"),  # a 100 % coupon
    ({"line": {"quantity": 3, "subtotal": "100.00", "total": "0.00"}}, "33.33", "99.99", "6.90"),  # never above
])
def test_prices_come_before_coupons_and_coupons_are_the_discount(
    changes: dict[str, Any], unit_price: str, discount: str, shipping: str
) -> None:
    made = document(order(**changes))
    assert (made["lines"][0]["unit_price"], made["lines"][0]["discount"]) == (unit_price, discount)
    assert made["shipping"]["amount"] == shipping


@pytest.mark.parametrize(("meta", "properties"), [
    ([{"key": "Engraving ($10.00)", "value": "A+B", "display_key": "Engraving ($10.00)"}],
     {"Engraving": "A+B"}),  # Product Add-Ons' price is not part of the field's name
    ([{"key": "Gravur (+5,00 €)", "value": "A"}, {"key": "Initials (max 3)", "value": "AB"}],
     {"Gravur": "A", "Initials (max 3)": "AB"}),
    ([{"key": "_reduced_stock", "value": "1"}, {"key": "_wcpdf_hidden", "value": "x"}], {}),
    ([{"key": "pa_ring-size", "value": "7", "display_key": "Ring size"}], {}),
    ([{"key": "Gift message", "value": "Happy birthday"}, {"key": "_qty", "value": "1"}],
     {"Gift message": "Happy birthday"}),
])
def test_personalization_is_the_lines_meta_without_bookkeeping_or_attributes(
    meta: list[dict[str, Any]], properties: dict[str, Any]
) -> None:
    assert document(order(line={"meta_data": meta}))["lines"][0]["properties"] == properties


@pytest.mark.parametrize(("addresses", "country", "international"), [
    ({"shipping": {"country": "DE"}}, "DE", False),
    ({"shipping": {"country": "FR"}}, "FR", True),
    ({"shipping": {"country": ""}, "billing": {"country": "AT"}}, "AT", True),  # virtual goods ship nowhere
    ({"shipping": {"country": ""}, "billing": {"country": ""}}, None, False),
])
def test_the_customers_country_is_the_shipping_address_then_the_billing_one(
    addresses: dict[str, Any], country: str | None, international: bool
) -> None:
    made = document(order(**addresses))
    assert (made["country"], made["shipping"]["international"]) == (country, international)


def test_a_completed_order_is_fulfilled_at_its_completion_date() -> None:
    made = document(order(status="completed", date_completed_gmt="2026-03-03T10:00:00"))
    assert made["fulfilled_at"] == "2026-03-03T10:00:00Z"


def test_what_assay_reads_off_the_order_besides_the_document() -> None:
    found = parse_order(order(status="wc-Cancel-Request", number=""))
    assert (found.id, found.number, found.status) == ("101", "101", "cancel-request")
    assert (found.order_key, found.billing_email) == ("wc_order_abc123", "Ada@Example.com")
    assert found.modified_at is not None and found.modified_at.isoformat() == "2026-03-01T09:31:00+00:00"


def test_a_products_sale_status_and_facts_are_snapshotted() -> None:
    product = {"type": "simple", "regular_price": "59.00", "sale_price": "49.00", "price": "49.00", "on_sale": True,
               "categories": [{"name": "Necklaces"}, {"name": "Crystal"}], "tags": [{"name": "custom"}]}
    snapshot = product_snapshot(product)
    assert snapshot == ProductSnapshot(Decimal("59.00"), ProductFacts("Necklaces", ("custom", "Necklaces", "Crystal")))
    made = document(order(line={"quantity": 1, "subtotal": "49.00", "total": "49.00"}), {("11", None): snapshot})
    assert made["lines"][0]["compare_at_price"] == "59.00"


@pytest.mark.parametrize(("priced", "compare_at"), [
    ({"regular_price": "59.00", "sale_price": "", "price": "59.00", "on_sale": False}, None),
    ({"regular_price": "59.00", "sale_price": "49.00", "price": "49.00", "on_sale": False}, None),  # scheduled later
    ({"regular_price": "", "sale_price": "", "price": "", "on_sale": False}, None),
    ({"regular_price": "49.00", "sale_price": "49.00", "price": "49.00", "on_sale": True}, None),
])
def test_only_a_product_on_sale_for_less_has_a_compare_at_price(priced: dict[str, Any], compare_at: Any) -> None:
    assert product_snapshot(priced).compare_at_price == compare_at


def test_a_variations_prices_decide_the_sale_and_the_parents_facts_the_rest() -> None:
    parent = {"type": "variable", "regular_price": "", "price": "40.00", "categories": [{"name": "Rings"}]}
    variation = {"regular_price": "80.00", "sale_price": "60.00", "price": "60.00", "on_sale": True}
    assert product_snapshot(parent, variation) == ProductSnapshot(Decimal("80.00"), ProductFacts("Rings", ("Rings",)))


@pytest.mark.parametrize("product", [{"type": "pw-gift-card"}, {"type": "simple", "meta_data": [
    {"key": "_gift_card", "value": "yes"}]}])
def test_gift_card_products_are_gift_cards(product: dict[str, Any]) -> None:
    assert product_snapshot(product).gift_card


@pytest.mark.parametrize(("changes", "field"), [
    ({"id": "abc"}, "id"),
    ({"id": 0}, "id"),
    ({"currency": "EURO"}, "currency"),
    ({"date_created_gmt": "yesterday"}, "date_created_gmt"),
    ({"line_items": []}, "line_items"),
    ({"line": {"quantity": 0}}, "line_items.0.quantity"),
    ({"line": {"subtotal": "-3.00"}}, "line_items.0.subtotal"),
])
def test_an_unusable_order_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(WooCommercePayloadError) as raised:
        parse_order(order(**changes))
    assert field in raised.value.fields


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(WooCommercePayloadError) as raised:
        parse_order(order(currency="?", status=""))
    assert set(raised.value.fields) == {"currency", "status"}


def test_the_document_is_a_valid_case_order() -> None:
    request = {"kind": "cancel", "submitted_at": "2026-03-01T12:00:00Z", "lines": []}
    decision = decide_document({"policy": {"preset": "pristine-crystals"}, "store": {"country": "DE",
                                "timezone": "Europe/Berlin"}, "order": document(order()), "request": request})
    assert decision["outcome"] == "approve"


@pytest.mark.parametrize(("value", "index", "calendar"), [
    ("DE:BE", {"timezone_string": "Europe/Berlin", "gmt_offset": 1}, ("DE", "Europe/Berlin")),
    ("IT", {"timezone_string": "", "gmt_offset": 2}, ("IT", "Etc/GMT-2")),
    ("US:NY", {"timezone_string": "", "gmt_offset": -5}, ("US", "Etc/GMT+5")),
    ("IN", {"timezone_string": "", "gmt_offset": 5.5}, ("IN", "UTC")),
    ("GB", {"timezone_string": "Not/AZone", "gmt_offset": 0}, ("GB", "UTC")),
])
def test_the_sites_calendar_is_its_store_country_and_wordpress_time_zone(
    value: str, index: dict[str, Any], calendar: tuple[str, str]
) -> None:
    assert site_calendar([{"id": "woocommerce_default_country", "value": value}], index) == calendar


def test_a_site_without_a_store_country_is_named_as_such() -> None:
    with pytest.raises(WooCommercePayloadError, match="woocommerce_default_country"):
        site_calendar([], {})
