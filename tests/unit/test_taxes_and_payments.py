"""Refunds are what the customer paid, taxes included, never more than is left (contract.md, "Taxes")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from support.cases import case, decision, line

from policies.batch import CaseError, decide_document

APPROVE_ALL = {
    "key": "custom", "name": "Custom",
    "cancellation": {"outcome": "approve", "until_fulfilment": False},
    "returns": {"accepted": True, "outcome": "approve"},
    "claims": {"reasons": {"damaged_in_transit": "approve", "defective": "approve", "wrong_item": "approve"}},
    "refunds": {"original_shipping": "if_faulty"},
}


def request(kind: str = "return", asked: list[dict[str, Any]] | None = None, reason: str | None = None,
            **order: Any) -> dict[str, Any]:
    reason = reason or {"return": "changed_mind", "claim": "defective", "cancel": None}[kind]
    return case(policy=APPROVE_ALL, order=order,
                request={"kind": kind, "reason": reason, "lines": [{"line_id": "L1"}] if asked is None else asked})


def refund(document: dict[str, Any]) -> dict[str, Any]:
    made = decision(document)
    assert made["outcome"] == "approve", made["reasons"]
    paid: dict[str, Any] = made["refund"]
    assert Decimal(paid["total"]) == sum(Decimal(paid[k]) for k in ("items", "shipping", "tax", "fees"))
    return paid


def amounts(paid: dict[str, Any], *names: str) -> tuple[str, ...]:
    return tuple(paid[name] for name in names)


# --- tax added on top, or included in the prices ----------------------------------------------------

@pytest.mark.parametrize(("included", "items", "tax", "total"), [
    # A US-style order: 49.00 net, 3.92 sales tax charged on top.
    (False, "49.00", "3.92", "52.92"),
    # An EU-style order: 49.00 with 7.82 VAT inside it.
    (True, "49.00", "0.00", "49.00"),
])
def test_a_returned_line_refunds_its_price_and_the_tax_on_it(included: bool, items: str, tax: str, total: str) -> None:
    paid = refund(request(lines=[line(tax="3.92" if not included else "7.82")], taxes_included=included))
    assert amounts(paid, "items", "tax", "total") == (items, tax, total)
    assert paid["lines"] == [{"line_id": "L1", "quantity": 1, "amount": "49.00",
                              "tax": "3.92" if not included else "7.82"}]


def test_a_claim_for_the_whole_order_refunds_the_shipping_and_its_tax_on_top() -> None:
    paid = refund(request("claim", lines=[line(tax="9.80")], shipping={"amount": "6.90", "tax": "1.38"}))
    assert amounts(paid, "items", "shipping", "shipping_tax", "tax", "total") == (
        "49.00", "6.90", "1.38", "11.18", "67.08")


def test_included_shipping_tax_is_recorded_but_not_added() -> None:
    paid = refund(request("claim", lines=[line(tax="8.17")], taxes_included=True,
                          shipping={"amount": "6.90", "tax": "1.15"}))
    assert amounts(paid, "items", "shipping", "shipping_tax", "tax", "total") == (
        "49.00", "6.90", "1.15", "0.00", "55.90")


def test_the_tax_on_a_discounted_line_is_the_tax_on_what_was_paid() -> None:
    paid = refund(request(lines=[line(unit_price="50.00", discount="10.00", tax="8.00")]))
    assert amounts(paid, "items", "tax", "total") == ("40.00", "8.00", "48.00")


# --- part of a line: pro rata, rounded down, exact in the end ---------------------------------------

@pytest.mark.parametrize(("asked", "before", "amount", "tax"), [
    (1, 0, "9.66", "0.63"),
    (2, 0, "19.33", "1.26"),
    (3, 0, "29.00", "1.90"),
    # The second and third unit, counted on from the first: the last gets what is left.
    (1, 1, "9.67", "0.63"),
    (1, 2, "9.67", "0.64"),
    (2, 1, "19.34", "1.27"),
])
def test_part_of_a_line_refunds_its_share_counted_on_from_what_was_refunded_before(
        asked: int, before: int, amount: str, tax: str) -> None:
    order_line = line(quantity=3, unit_price="10.00", discount="1.00", tax="1.90", fulfilled_quantity=3,
                      refunded_quantity=before)
    paid = refund(request(lines=[order_line], asked=[{"line_id": "L1", "quantity": asked}]))
    assert paid["lines"] == [{"line_id": "L1", "quantity": asked, "amount": amount, "tax": tax}]
    assert amounts(paid, "items", "tax") == (amount, tax)


@pytest.mark.parametrize(("quantity", "price", "discount", "tax", "currency"), [
    (3, "10.00", "1.00", "1.90", "EUR"),
    (7, "19.99", "3.33", "9.71", "EUR"),
    (6, "1000", "7", "99", "JPY"),
    (9, "12.345", "0.101", "1.777", "KWD"),
])
def test_returning_every_unit_one_at_a_time_refunds_exactly_what_the_line_was_paid(
        quantity: int, price: str, discount: str, tax: str, currency: str) -> None:
    items = taxes = Decimal(0)
    for before in range(quantity):
        order_line = line(quantity=quantity, unit_price=price, discount=discount, tax=tax,
                          fulfilled_quantity=quantity, refunded_quantity=before)
        paid = refund(request(lines=[order_line], currency=currency, asked=[{"line_id": "L1", "quantity": 1}]))
        items += Decimal(paid["items"])
        taxes += Decimal(paid["tax"])
    assert items == Decimal(price) * quantity - Decimal(discount)
    assert taxes == Decimal(tax)


# --- what was paid: the platform's word is the ceiling, and a full cancellation's total -------------

UNSENT = {"fulfilled_at": None, "delivered_at": None}


def test_a_full_cancellation_refunds_exactly_what_the_platform_says_was_paid() -> None:
    paid = refund(request("cancel", asked=[], lines=[line(tax="3.92", fulfilled_quantity=0)],
                          shipping={"amount": "6.90", "tax": "0.55"}, paid="60.37", **UNSENT))
    assert amounts(paid, "items", "shipping", "tax", "total") == ("49.00", "6.90", "4.47", "60.37")


def test_a_full_cancellation_after_an_earlier_refund_refunds_what_is_left() -> None:
    paid = refund(request("cancel", asked=[], lines=[line(tax="3.92", fulfilled_quantity=0)],
                          shipping={"amount": "6.90", "tax": "0.55"}, paid="60.37", refunded="10.00", **UNSENT))
    assert amounts(paid, "items", "shipping", "tax", "total") == ("39.00", "6.90", "4.47", "50.37")


def test_a_full_cancellation_refunds_what_was_paid_beyond_the_lines_too() -> None:
    # Shopify reports 2.00 more than the lines and shipping (duties, a tip): a cancellation gives it all back.
    paid = refund(request("cancel", asked=[], lines=[line(fulfilled_quantity=0)], paid="57.90", **UNSENT))
    assert amounts(paid, "items", "shipping", "total") == ("51.00", "6.90", "57.90")


def test_no_refund_exceeds_what_is_left_to_refund() -> None:
    paid = refund(request(lines=[line(tax="3.92")], paid="59.82", refunded="30.00"))
    assert amounts(paid, "items", "tax", "total") == ("25.90", "3.92", "29.82")


def test_what_is_left_is_a_ceiling_after_fees_too() -> None:
    policy = {**APPROVE_ALL, "refunds": {"restocking_fee_percent": "10"}}
    document = request(lines=[line()], paid="49.00", refunded="20.00")
    document["policy"] = policy
    paid = refund(document)
    assert amounts(paid, "fees", "total") == ("-4.90", "29.00")


def test_without_a_stated_payment_the_refund_is_reckoned_from_the_lines() -> None:
    paid = refund(request("cancel", asked=[], lines=[line(tax="3.92", fulfilled_quantity=0)], **UNSENT))
    assert paid["total"] == "59.82"


# --- gift cards and store credit --------------------------------------------------------------------

@pytest.mark.parametrize(("document", "total", "to_gift_card"), [
    # A full cancellation: the whole gift-card part goes back to the gift card.
    (request("cancel", asked=[], lines=[line(fulfilled_quantity=0)], paid="55.90", gift_card_paid="20.00",
             **UNSENT), "55.90", "20.00"),
    # A partial return: the gift card's share of what was paid.
    (request(lines=[line("L1"), line("L2", unit_price="51.00")], asked=[{"line_id": "L1"}],
             paid="106.90", gift_card_paid="53.45"), "49.00", "24.50"),
    # Paid by gift card alone.
    (request(lines=[line()], paid="55.90", gift_card_paid="55.90"), "49.00", "49.00"),
    (request(lines=[line()], paid="55.90"), "49.00", "0.00"),
])
def test_the_part_paid_by_gift_card_goes_back_to_it(document: dict[str, Any], total: str, to_gift_card: str) -> None:
    paid = refund(document)
    assert amounts(paid, "total", "to_gift_card") == (total, to_gift_card)


# --- bad payment facts are named, never guessed -----------------------------------------------------

@pytest.mark.parametrize(("order", "error"), [
    ({"paid": "10.00", "refunded": "10.01"}, "order.refunded: must be at most order.paid (10.00), got 10.01"),
    ({"paid": "10.00", "gift_card_paid": "11"}, "order.gift_card_paid: must be at most order.paid (10.00), got 11"),
    ({"refunded": "5.00"}, "order.refunded: needs order.paid, the whole amount it is part of, got 5.00"),
    ({"taxes_included": True, "lines": [line(tax="49.01")]},
     "order.lines.0.tax: must be at most the line's paid price (49.00) when taxes are included, got 49.01"),
    ({"taxes_included": True, "shipping": {"amount": "1.00", "tax": "2.00"}},
     "order.shipping.tax: must be at most shipping.amount (1.00) when taxes are included, got 2.00"),
    ({"lines": [line(tax="-1")]}, "order.lines.0.tax: must be a finite amount of zero or more, got '-1'"),
    ({"lines": [line(refunded_quantity=2)]}, "order.lines.0.refunded_quantity: must be at most the line's quantity 1, "
                                             "got 2"),
    ({"paid": "lots"}, "order.paid: must be a decimal amount such as \"49.00\", got 'lots'"),
])
def test_payment_facts_that_cannot_be_true_are_refused_by_field(order: dict[str, Any], error: str) -> None:
    with pytest.raises(CaseError) as raised:
        decide_document(case(order=order))
    assert error in raised.value.errors


@pytest.mark.parametrize("code", ["XXX", "ABC", "XTS", "XAU", "DEM", "eur", "EURO"])
def test_a_currency_that_no_shop_charges_in_is_refused(code: str) -> None:
    with pytest.raises(CaseError) as raised:
        decide_document(case(order={"currency": code}))
    assert f"order.currency: must be an ISO 4217 currency code such as \"EUR\", got {code!r}" in raised.value.errors


@pytest.mark.parametrize("code", ["EUR", "GBP", "USD", "JPY", "KWD", "XOF", "XAF", "CHF"])
def test_real_currencies_are_accepted(code: str) -> None:
    assert decision(case(order={"currency": code}))["outcome"] == "approve"


def test_units_already_refunded_are_not_refunded_again() -> None:
    order_line = line(quantity=3, unit_price="10.00", tax="1.90", fulfilled_quantity=3, refunded_quantity=2)
    paid = refund(request(lines=[order_line], asked=[{"line_id": "L1", "quantity": 3}]))
    assert paid["lines"] == [{"line_id": "L1", "quantity": 1, "amount": "10.00", "tax": "0.64"}]
