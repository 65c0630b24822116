"""A WooCommerce order's taxes, what it says was paid and refunded, and the gift cards and store credit it was paid
with, each the way its plugin records it (connector/woocommerce/payloads.py says where each was checked)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connector.woocommerce.payloads import order_document, parse_order
from policies.batch import decide_document

LINE: dict[str, Any] = {
    "id": 31, "name": "Rose quartz pendant", "product_id": 11, "variation_id": 0, "quantity": 2,
    "subtotal": "98.00", "subtotal_tax": "18.62", "total": "98.00", "total_tax": "18.62",
    "taxes": [{"id": 1, "total": "18.62", "subtotal": "18.62"}], "meta_data": [],
}
# 98.00 + 18.62 VAT and shipping 6.90 + 1.31 VAT: 124.83.
ORDER: dict[str, Any] = {
    "id": 101, "status": "processing", "currency": "EUR", "prices_include_tax": False,
    "date_created_gmt": "2026-03-01T09:30:00", "date_paid_gmt": "2026-03-01T09:30:05",
    "shipping_total": "6.90", "shipping_tax": "1.31", "total_tax": "19.93", "total": "124.83",
    "shipping": {"country": "DE"}, "line_items": [LINE],
    "shipping_lines": [{"id": 40, "total": "6.90", "total_tax": "1.31", "taxes": [{"id": 1, "total": "1.31"}]}],
}


def order(**changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(ORDER)
    made["line_items"] = [{**LINE, **changes.pop("line", {})}]
    made.update(changes)
    return made


def document(payload: dict[str, Any]) -> dict[str, Any]:
    return order_document(parse_order(payload), "DE")


def money(made: dict[str, Any]) -> tuple[str, str, str]:
    return made["paid"], made["refunded"], made["gift_card_paid"]


@pytest.mark.parametrize(("changes", "taxes_included", "line", "shipping"), [
    # Tax added on top: prices are net, each line's tax is its total_tax (after coupons), shipping's shipping_tax.
    ({}, False, ("49.00", "0.00", "18.62"), ("6.90", "1.31")),
    # Tax included: prices as the customer saw them, the same tax inside them.
    ({"prices_include_tax": True}, True, ("58.31", "0.00", "18.62"), ("8.21", "1.31")),
    # A coupon lowers the line's tax too: the tax is what was charged after it.
    ({"line": {"total": "88.20", "total_tax": "16.76"}, "total": "113.17", "total_tax": "18.07"}, False,
     ("49.00", "9.80", "16.76"), ("6.90", "1.31")),
])
def test_a_lines_tax_is_its_tax_after_coupons_and_prices_follow_prices_include_tax(
    changes: dict[str, Any], taxes_included: bool, line: tuple[str, str, str], shipping: tuple[str, str]
) -> None:
    made = document(order(**changes))
    found = made["lines"][0]
    assert made["taxes_included"] is taxes_included
    assert (found["unit_price"], found["discount"], found["tax"]) == line
    assert (made["shipping"]["amount"], made["shipping"]["tax"]) == shipping


OFFICIAL_CARD = {"gift_cards": [{"id": 7, "code": "GIFT-1234", "amount": "30.00"}], "total": "94.83"}
STORE_CREDIT = {  # Smart Coupons applied as a coupon: 10.00 + 1.90 VAT off the line, recorded as used
    "line": {"total": "88.00", "total_tax": "16.72", "taxes": [{"id": 1, "total": "16.72", "subtotal": "18.62"}]},
    "total_tax": "18.03", "total": "112.93",
    "coupon_lines": [{"id": 50, "code": "credit-ada", "discount": "10.00", "discount_tax": "1.90",
                      "discount_type": "smart_coupon"}],
    "meta_data": [{"id": 3, "key": "smart_coupons_contribution", "value": {"credit-ada": 11.9}}],
}


@pytest.mark.parametrize(("changes", "paid", "refunded", "gift_card_paid"), [
    ({}, "124.83", "0.00", "0.00"),  # paid: its total
    ({"refunds": [{"id": 90, "total": "-10.00"}, {"id": 91, "total": "-5.50"}]}, "124.83", "15.50", "0.00"),
    ({"date_paid_gmt": None, "status": "on-hold"}, "0.00", "0.00", "0.00"),  # a bank transfer not yet made
    # WooCommerce Gift Cards lists the card and lowers the total by it.
    (OFFICIAL_CARD, "124.83", "0.00", "30.00"),
    ({**OFFICIAL_CARD, "date_paid_gmt": None}, "30.00", "0.00", "30.00"),  # the card was taken at checkout
    # PW Gift Cards lists nothing: the total falls short of what the order adds up to.
    ({"total": "94.83"}, "124.83", "0.00", "30.00"),
    ({"total": "124.81"}, "124.81", "0.00", "0.00"),  # cents lost to each item's rounding are not a gift card
    # Smart Coupons' store credit: what it recorded as used, else the coupon's discount and its tax.
    (STORE_CREDIT, "124.83", "0.00", "11.90"),
    ({**STORE_CREDIT, "meta_data": []}, "124.83", "0.00", "11.90"),
    # Credit beyond the coupon's discount came off the total: still the store credit, not a second gift card.
    ({**STORE_CREDIT, "total": "104.83",
      "meta_data": [{"id": 3, "key": "smart_coupons_contribution", "value": {"CREDIT-ADA": "20.00"}}]},
     "124.83", "0.00", "20.00"),
])
def test_paid_is_everything_the_customer_paid_with_and_refunded_is_every_earlier_refund(
    changes: dict[str, Any], paid: str, refunded: str, gift_card_paid: str
) -> None:
    assert money(document(order(**changes))) == (paid, refunded, gift_card_paid)


def test_store_credit_taken_off_a_line_as_a_coupon_is_paid_not_a_discount() -> None:
    line = document(order(**STORE_CREDIT))["lines"][0]
    assert (line["unit_price"], line["discount"], line["tax"]) == ("49.00", "0.00", "18.62")


def test_store_credit_is_put_back_on_the_lines_in_proportion_to_their_coupon_discounts() -> None:
    chain = {**LINE, "id": 32, "name": "Silver chain", "quantity": 1, "subtotal": "25.00", "subtotal_tax": "4.75",
             "total": "22.00", "total_tax": "4.18", "taxes": [{"id": 1, "total": "4.18", "subtotal": "4.75"}]}
    pendant = {**LINE, "total": "92.00", "total_tax": "17.48", "taxes": [{"id": 1, "total": "17.48"}]}
    payload = order(total_tax="22.97", total="143.87", coupon_lines=[
        {"id": 50, "code": "credit-ada", "discount": "9.00", "discount_tax": "1.71", "discount_type": "smart_coupon"}])
    payload["line_items"] = [pendant, chain]
    lines = document(payload)["lines"]
    assert [(line["discount"], line["tax"]) for line in lines] == [("0.00", "18.62"), ("0.00", "4.75")]
    assert money(document(payload)) == ("154.58", "0.00", "10.71")


@pytest.mark.parametrize(("changes", "total", "to_gift_card"), [
    ({}, "124.83", "0.00"),
    ({"prices_include_tax": True}, "124.83", "0.00"),
    (OFFICIAL_CARD, "124.83", "30.00"),
    ({"refunds": [{"id": 90, "total": "-24.83"}]}, "100.00", "0.00"),
])
def test_a_cancelled_order_refunds_what_it_says_was_paid(changes: dict[str, Any], total: str,
                                                         to_gift_card: str) -> None:
    case = {"policy": {"preset": "pristine-crystals"}, "store": {"country": "DE", "timezone": "Europe/Berlin"},
            "order": document(order(**changes)),
            "request": {"kind": "cancel", "submitted_at": "2026-03-01T12:00:00Z", "lines": []}}
    refund = decide_document(case)["refund"]
    assert (refund["total"], refund["to_gift_card"]) == (total, to_gift_card)
