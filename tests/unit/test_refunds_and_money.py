"""Refund arithmetic: Decimal, rounded to the currency's minor unit; fees negative; shipping per the policy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from support.cases import case, decision, line

from policies.money import minor_unit, round_money

ALL_FAULTS = {"damaged_in_transit": "approve", "defective": "approve", "wrong_item": "approve",
              "not_as_described": "approve"}


def policy(**refunds: Any) -> dict[str, Any]:
    """A policy that approves everything asked in time, with the given refund settings."""
    return {
        "key": "custom", "name": "Custom",
        "cancellation": {"outcome": "approve", "until_fulfilment": False},
        "returns": {"accepted": True, "outcome": "approve"},
        "claims": {"reasons": ALL_FAULTS},
        "refunds": refunds,
    }


def refund(made: dict[str, Any]) -> dict[str, str]:
    assert made["outcome"] == "approve", made["reasons"]
    paid: dict[str, str] = made["refund"]
    return paid


def sale(currency: str = "EUR", *, lines: list[dict[str, Any]] | None = None, asked: list[dict[str, Any]] | None = None,
         kind: str = "return", reason: str | None = "changed_mind", shipping: str = "6.90",
         country: str = "DE", international: bool = False, **refunds: Any) -> dict[str, Any]:
    return case(
        policy=policy(**refunds),
        order={"currency": currency, "country": country, "lines": lines or [line()],
               "shipping": {"amount": shipping, "international": international}},
        request={"kind": kind, "reason": reason, "lines": asked if asked is not None else [{"line_id": "L1"}]},
    )


@pytest.mark.parametrize(("currency", "unit"), [("EUR", "0.01"), ("JPY", "1"), ("KWD", "0.001"), ("GBP", "0.01")])
def test_the_minor_unit_is_the_currencys_smallest_amount(currency: str, unit: str) -> None:
    assert minor_unit(currency) == Decimal(unit)


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("2.345", "EUR", "2.35"),
    ("2.344", "EUR", "2.34"),
    ("2.5", "JPY", "3"),
    ("966.6666", "JPY", "967"),
    ("0.0005", "KWD", "0.001"),
    ("12.4666", "KWD", "12.467"),
    ("49", "EUR", "49.00"),
])
def test_money_rounds_half_up_to_the_minor_unit(amount: str, currency: str, expected: str) -> None:
    assert str(round_money(Decimal(amount), currency)) == expected


@pytest.mark.parametrize(("currency", "quantity", "price", "discount", "asked", "items"), [
    ("EUR", 1, "49.00", "0.00", 1, "49.00"),
    ("EUR", 3, "10.00", "1.00", 3, "29.00"),
    # Two of three: the discount code's share is taken pro rata, 2/3 of 1.00.
    ("EUR", 3, "10.00", "1.00", 2, "19.33"),
    # A part of a line rounds down: three returns of one unit each must not refund 29.01.
    ("EUR", 3, "10.00", "1.00", 1, "9.66"),
    ("JPY", 1, "4999", "0", 1, "4999"),
    ("JPY", 3, "1000", "100", 1, "966"),
    ("KWD", 3, "12.500", "0.100", 1, "12.466"),
    ("KWD", 1, "1.2345", "0", 1, "1.235"),
])
def test_the_items_refund_is_the_price_paid_for_the_quantity_asked(
        currency: str, quantity: int, price: str, discount: str, asked: int, items: str) -> None:
    made = sale(currency, lines=[line(quantity=quantity, unit_price=price, discount=discount, fulfilled_quantity=None)],
                asked=[{"line_id": "L1", "quantity": asked}])
    paid = refund(decision(made))
    assert paid["currency"] == currency
    assert paid["items"] == items


def test_the_items_refund_adds_up_every_line_asked() -> None:
    made = sale(lines=[line("L1", unit_price="49.00"), line("L2", unit_price="12.50", quantity=2, discount="5.00",
                                                           fulfilled_quantity=2)],
                asked=[{"line_id": "L1"}, {"line_id": "L2"}])
    assert refund(decision(made))["items"] == "69.00"


@pytest.mark.parametrize(("settings", "currency", "price", "fees", "total"), [
    ({"restocking_fee_percent": "15"}, "EUR", "49.00", "-7.35", "41.65"),
    ({"restocking_fee_percent": "10"}, "EUR", "0.05", "-0.01", "0.04"),
    ({"return_label_fee": "4.95", "return_shipping": "customer"}, "EUR", "49.00", "-4.95", "44.05"),
    ({"return_label_fee": "4.95", "return_shipping": "merchant_if_faulty"}, "EUR", "49.00", "-4.95", "44.05"),
    ({"return_label_fee": "4.95", "return_shipping": "merchant"}, "EUR", "49.00", "0.00", "49.00"),
    ({"restocking_fee_percent": "15", "return_label_fee": "4.95", "return_shipping": "customer"},
     "EUR", "49.00", "-12.30", "36.70"),
    ({"restocking_fee_percent": "10"}, "JPY", "4999", "-500", "4499"),
    ({"restocking_fee_percent": "15"}, "KWD", "12.500", "-1.875", "10.625"),
    # Fees never take the refund below zero.
    ({"restocking_fee_percent": "100", "return_label_fee": "5", "return_shipping": "customer"},
     "EUR", "49.00", "-49.00", "0.00"),
    ({"return_label_fee": "60", "return_shipping": "customer"}, "EUR", "49.00", "-49.00", "0.00"),
])
def test_change_of_mind_returns_pay_the_restocking_fee_and_return_label_as_negative_fees(
        settings: dict[str, str], currency: str, price: str, fees: str, total: str) -> None:
    paid = refund(decision(sale(currency, lines=[line(unit_price=price)], **settings)))
    assert (paid["fees"], paid["total"]) == (fees, total)


def test_fees_that_would_exceed_the_refund_leave_the_shipping_refund_too_at_zero() -> None:
    paid = refund(decision(sale(original_shipping="always", restocking_fee_percent="100", return_label_fee="10",
                                return_shipping="customer")))
    assert paid | {"lines": []} == {"currency": "EUR", "items": "49.00", "shipping": "6.90", "tax": "0.00",
                                    "fees": "-55.90", "total": "0.00", "to_gift_card": "0.00", "lines": [],
                                    "shipping_tax": "0.00"}


@pytest.mark.parametrize("kind", ["claim", "warranty"])
def test_a_fault_pays_no_restocking_fee_or_return_label(kind: str) -> None:
    made = sale(kind=kind, reason="defective", restocking_fee_percent="15", return_label_fee="4.95",
                return_shipping="customer", original_shipping="never")
    paid = refund(decision(made))
    assert (paid["fees"], paid["total"]) == ("0.00", "49.00")


@pytest.mark.parametrize(("rule", "kind", "reason", "shipping"), [
    ("always", "return", "changed_mind", "6.90"),
    ("always", "claim", "defective", "6.90"),
    ("if_faulty", "return", "changed_mind", "0.00"),
    ("if_faulty", "return", "wrong_size", "0.00"),
    ("if_faulty", "claim", "damaged_in_transit", "6.90"),
    ("if_faulty", "claim", "wrong_item", "6.90"),
    # A "return" of a defective item is judged as a claim.
    ("if_faulty", "return", "defective", "6.90"),
    ("never", "return", "changed_mind", "0.00"),
    ("never", "claim", "defective", "0.00"),
])
def test_the_original_shipping_is_refunded_as_the_policy_says(rule: str, kind: str, reason: str, shipping: str) -> None:
    paid = refund(decision(sale(kind=kind, reason=reason, original_shipping=rule)))
    assert paid["shipping"] == shipping
    assert Decimal(paid["total"]) == Decimal(paid["items"]) + Decimal(paid["shipping"]) + Decimal(paid["fees"])


@pytest.mark.parametrize(("country", "flagged", "refunded", "shipping"), [
    ("FR", False, False, "0.00"),
    ("DE", True, False, "0.00"),
    ("FR", False, True, "6.90"),
    ("DE", False, False, "6.90"),
])
def test_international_shipping_is_not_refunded_where_the_policy_says_so(
        country: str, flagged: bool, refunded: bool, shipping: str) -> None:
    made = sale(kind="claim", reason="defective", country=country, international=flagged,
                original_shipping="always", international_shipping_refunded=refunded)
    assert refund(decision(made))["shipping"] == shipping


TWO_LINES = [line("L1", unit_price="49.00", quantity=2, fulfilled_quantity=0),
             line("L2", unit_price="20.00", fulfilled_quantity=0)]


@pytest.mark.parametrize(("asked", "items", "shipping"), [
    ([], "118.00", "6.90"),
    ([{"line_id": "L1", "quantity": 2}, {"line_id": "L2"}], "118.00", "6.90"),
    ([{"line_id": "L2"}], "20.00", "0.00"),
    ([{"line_id": "L1", "quantity": 1}, {"line_id": "L2"}], "69.00", "0.00"),
])
def test_cancelling_the_whole_order_refunds_shipping_and_a_partial_cancel_does_not(
        asked: list[dict[str, Any]], items: str, shipping: str) -> None:
    made = sale(lines=TWO_LINES, asked=asked, kind="cancel", reason=None, original_shipping="never",
                restocking_fee_percent="15")
    made["order"].update(fulfilled_at=None, delivered_at=None)
    paid = refund(decision(made))
    assert (paid["items"], paid["shipping"]) == (items, shipping)
    assert paid["fees"] == "0.00"
    assert Decimal(paid["total"]) == Decimal(items) + Decimal(shipping)


def test_shipping_is_refunded_in_the_currencys_minor_unit() -> None:
    made = sale("JPY", lines=[line(unit_price="5000")], shipping="800", kind="claim", reason="defective")
    assert refund(decision(made)) == {"currency": "JPY", "items": "5000", "shipping": "800", "tax": "0", "fees": "0",
                                      "total": "5800", "to_gift_card": "0", "shipping_tax": "0",
                                      "lines": [{"line_id": "L1", "quantity": 1, "amount": "5000", "tax": "0"}]}


@pytest.mark.parametrize(("document", "outcome"), [
    (case(request={"submitted_at": "2026-06-01T10:00:00Z"}), "decline"),
    (case("pandorana"), "review"),
    (case(order={"lines": [line("L1"), line("L2", compare_at_price="60.00")]},
          request={"lines": [{"line_id": "L1"}, {"line_id": "L2"}]}), "review"),
])
def test_only_an_approval_carries_a_refund(document: dict[str, Any], outcome: str) -> None:
    made = decision(document)
    assert (made["outcome"], made["refund"]) == (outcome, None)
