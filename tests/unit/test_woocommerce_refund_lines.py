"""A decision's refund as a WooCommerce refund's line items: net and tax per rate, scaled to what is paid back;
and what earlier refunds took from each line."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from connector.woocommerce.payloads import apportion, parse_order, refunded_quantities
from connector.woocommerce.write_back import refund_line_items

D = Decimal
CENT = D("0.01")

PENDANT: dict[str, Any] = {  # 2 x 49.00, taxed at two rates (19 % state, 1 % local)
    "id": 31, "name": "Rose quartz pendant", "quantity": 2, "subtotal": "98.00", "subtotal_tax": "19.60",
    "total": "98.00", "total_tax": "19.60",
    "taxes": [{"id": 1, "total": "18.62", "subtotal": "18.62"}, {"id": 2, "total": "0.98", "subtotal": "0.98"}],
}
CHAIN: dict[str, Any] = {  # 25.00 less a 5.00 coupon, at 19 %
    "id": 32, "name": "Silver chain", "quantity": 1, "subtotal": "25.00", "subtotal_tax": "4.75", "total": "20.00",
    "total_tax": "3.80", "taxes": [{"id": 1, "total": "3.80", "subtotal": "4.75"}],
}
ORDER: dict[str, Any] = {
    "id": 101, "status": "processing", "currency": "EUR", "prices_include_tax": False,
    "date_created_gmt": "2026-03-01T09:30:00", "shipping_total": "6.90", "shipping_tax": "1.31",
    "total_tax": "24.71", "total": "152.61", "line_items": [PENDANT, CHAIN],
    "shipping_lines": [{"id": 40, "total": "6.90", "total_tax": "1.31", "taxes": [{"id": 1, "total": "1.31"}]}],
    "fee_lines": [{"id": 41, "name": "Gift wrap", "total": "3.00", "total_tax": "0.00"}],
}


def loaded(**changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(ORDER)
    made.update(changes)
    return parse_order(made).data


def line(line_id: str, quantity: int, amount: str, tax: str) -> dict[str, Any]:
    return {"line_id": line_id, "quantity": quantity, "amount": amount, "tax": tax}


def items(refund: dict[str, Any], amount: str, **changes: Any) -> list[dict[str, Any]]:
    order = loaded(**{k: v for k, v in changes.items() if k not in ("refunded", "whole_order")})
    return refund_line_items(refund, order, D(amount), refunded=changes.get("refunded"),
                             whole_order=changes.get("whole_order", False))


def total_of(made: list[dict[str, Any]]) -> Decimal:
    return sum((D(i["refund_total"]) + sum((D(t["refund_total"]) for t in i["refund_tax"]), D(0)) for i in made), D(0))


@pytest.mark.parametrize(("amount", "weights", "parts"), [
    ("10.00", ["1", "1", "1"], ["3.34", "3.33", "3.33"]),  # the odd cent to the first of the largest remainders
    ("0.05", ["3", "1"], ["0.04", "0.01"]),
    ("7.00", ["0", "2"], ["0.00", "7.00"]),
    ("7.00", ["0", "0"], ["0.00", "0.00"]),
    ("0.00", ["5", "1"], ["0.00", "0.00"]),
])
def test_an_amount_is_apportioned_by_weight_to_the_cent_adding_up_exactly(amount: str, weights: list[str],
                                                                          parts: list[str]) -> None:
    assert apportion(D(amount), [D(w) for w in weights], CENT) == [D(p) for p in parts]


def test_apportioning_refuses_negative_amounts_by_name() -> None:
    with pytest.raises(ValueError, match="`amount` and `weights` must be zero or more"):
        apportion(D("-1"), [D(1)], CENT)


def test_tax_added_on_top_is_refunded_per_rate_beside_the_net_amount() -> None:
    made = items({"lines": [line("31", 1, "49.00", "9.80")]}, "58.80")
    assert made == [{"id": 31, "quantity": 1, "refund_total": "49.00",
                     "refund_tax": [{"id": 1, "refund_total": "9.31"}, {"id": 2, "refund_total": "0.49"}]}]


def test_tax_included_in_the_amount_is_taken_out_of_it() -> None:
    made = items({"lines": [line("32", 1, "23.80", "3.80")]}, "23.80", prices_include_tax=True)
    assert made == [{"id": 32, "quantity": 1, "refund_total": "20.00",
                     "refund_tax": [{"id": 1, "refund_total": "3.80"}]}]


@pytest.mark.parametrize(("included", "shipping"), [
    (False, {"shipping": "6.90", "shipping_tax": "1.31"}),
    (True, {"shipping": "8.21", "shipping_tax": "1.31"}),
])
def test_shipping_is_refunded_on_the_orders_shipping_line(included: bool, shipping: dict[str, str]) -> None:
    made = items(shipping, "8.21", prices_include_tax=included)
    assert made == [{"id": 40, "refund_total": "6.90", "refund_tax": [{"id": 1, "refund_total": "1.31"}]}]


def test_the_parts_are_scaled_to_what_the_refund_pays_back_adding_up_to_it() -> None:
    # A cancellation of everything, 30.00 of which goes back to a gift card: the gateway pays 119.61 of 149.61.
    refund = {"lines": [line("31", 2, "98.00", "19.60"), line("32", 1, "20.00", "3.80")],
              "shipping": "6.90", "shipping_tax": "1.31"}
    made = items(refund, "119.61")
    assert total_of(made) == D("119.61")
    assert [i["id"] for i in made] == [31, 32, 40] and [i.get("quantity") for i in made] == [2, 1, None]
    unscaled = items(refund, "149.61")
    assert total_of(unscaled) == D("149.61") and unscaled[0]["refund_total"] == "98.00"


def test_a_whole_orders_refund_carries_its_fees_when_the_lines_fall_short() -> None:
    refund = {"lines": [line("31", 2, "98.00", "19.60"), line("32", 1, "20.00", "3.80")],
              "shipping": "6.90", "shipping_tax": "1.31"}
    made = items(refund, "152.61", whole_order=True)
    assert made[-1] == {"id": 41, "refund_total": "3.00", "refund_tax": []}
    assert total_of(made) == D("152.61")


def test_units_earlier_refunds_took_are_not_refunded_again_and_unknown_lines_are_left_out() -> None:
    made = items({"lines": [line("31", 2, "49.00", "9.80"), line("99", 1, "5.00", "0.00")]}, "58.80",
                 refunded={"31": 1})
    assert [(i["id"], i["quantity"]) for i in made] == [(31, 1)]


def test_a_line_without_tax_rates_refunds_its_tax_with_its_amount() -> None:
    made = items({"lines": [line("32", 1, "20.00", "3.80")]}, "23.80",
                 line_items=[{**CHAIN, "taxes": []}])
    assert made == [{"id": 32, "quantity": 1, "refund_total": "23.80", "refund_tax": []}]


def test_earlier_refunds_name_the_items_they_refunded() -> None:
    refunds = [
        {"id": 900, "line_items": [{"id": 60, "quantity": -1, "meta_data": [{"key": "_refunded_item_id",
                                                                            "value": "31"}]}]},
        {"id": 901, "line_items": [{"id": 61, "quantity": -1, "meta_data": [{"key": "_refunded_item_id",
                                                                            "value": "31"}]},
                                   {"id": 62, "quantity": "-1", "meta_data": []}]},
        {"id": 902, "amount": "5.00"},  # an amount refunded without lines
    ]
    assert refunded_quantities(refunds) == {"31": 2}
