"""Placing a decided refund on a Shopify return: its gift-card part on gift cards, the rest on the other payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.shopify.payloads import ShopifyPayloadError
from connector.shopify.write_back import (
    Payment,
    Placed,
    ReturnLine,
    lines_to_process,
    place,
    return_process_input,
    return_to_refund,
)

GIFT = Payment("gid://shopify/OrderTransaction/1", gift_card=True, amount=Decimal("20.00"), refunded=Decimal("0"))
CARD = Payment("gid://shopify/OrderTransaction/2", gift_card=False, amount=Decimal("99.00"), refunded=Decimal("0"))
SECOND_CARD = Payment("gid://shopify/OrderTransaction/3", gift_card=False, amount=Decimal("10.00"),
                      refunded=Decimal("0"))


def d(value: str) -> Decimal:
    return Decimal(value)


@pytest.mark.parametrize(("amount", "to_gift_card", "payments", "placed", "short"), [
    ("55.39", "9.31", [GIFT, CARD], [(GIFT, "9.31"), (CARD, "46.08")], "0"),
    ("55.39", "0.00", [GIFT, CARD], [(CARD, "55.39")], "0"),  # no gift-card part: all to the card
    ("119.00", "20.00", [GIFT, CARD], [(GIFT, "20.00"), (CARD, "99.00")], "0"),  # everything back where it was paid
    ("105.00", "0.00", [CARD, SECOND_CARD], [(CARD, "99.00"), (SECOND_CARD, "6.00")], "0"),  # oldest payment first
    ("30.00", "30.00", [GIFT, CARD], [(GIFT, "20.00")], "10.00"),  # the gift card can't take more than it paid
    ("30.00", "50.00", [GIFT, CARD], [(GIFT, "20.00")], "10.00"),  # a gift-card part is never more than the refund
    ("12.00", "2.00", [GIFT], [(GIFT, "2.00")], "10.00"),  # no card: its part is not put on the gift card
])
def test_each_part_goes_back_to_payments_of_its_kind_and_what_none_can_take_is_short(
        amount: str, to_gift_card: str, payments: list[Payment], placed: list[tuple[Payment, str]],
        short: str) -> None:
    placement = place(d(amount), d(to_gift_card), payments)

    assert placement.placed == tuple(Placed(p.id, p.gift_card, d(value)) for p, value in placed)
    assert placement.short == d(short)
    assert placement.amount + placement.short == d(amount)


def test_what_was_refunded_from_a_payment_before_is_no_longer_there_to_refund() -> None:
    used = Payment(GIFT.id, gift_card=True, amount=d("20.00"), refunded=d("15.00"))

    placement = place(d("30.00"), d("8.00"), [used, CARD])

    assert placement.placed == (Placed(GIFT.id, True, d("5.00")), Placed(CARD.id, False, d("22.00")))
    assert placement.short == d("3.00")


def transaction(number: int, kind: str, gateway: str, amount: str, parent: int | None = None,
                status: str = "SUCCESS") -> dict[str, Any]:
    bag = {"shopMoney": {"amount": amount}, "presentmentMoney": {"amount": amount, "currencyCode": "EUR"}}
    parent_ref = {"id": f"gid://shopify/OrderTransaction/{parent}"} if parent else None
    return {"id": f"gid://shopify/OrderTransaction/{number}", "kind": kind, "status": status, "gateway": gateway,
            "amountSet": bag, "parentTransaction": parent_ref}


def return_data(**changes: Any) -> dict[str, Any]:
    found = {
        "id": "gid://shopify/Return/7", "status": "OPEN",
        "order": {"id": "gid://shopify/Order/1001", "currencyCode": "EUR", "presentmentCurrencyCode": "EUR",
                  "transactions": [
                      transaction(1, "SALE", "gift_card", "20.00"),
                      transaction(2, "AUTHORIZATION", "shopify_payments", "99.00"),
                      transaction(3, "CAPTURE", "shopify_payments", "99.00", parent=2),
                      transaction(4, "REFUND", "shopify_payments", "10.00", parent=3),
                      transaction(5, "REFUND", "gift_card", "5.00", parent=1, status="FAILURE"),
                      transaction(6, "SALE", "shopify_payments", "99.00", status="FAILURE"),
                  ]},
        "returnLineItems": {"nodes": [
            {"id": "gid://shopify/ReturnLineItem/71", "quantity": 1, "processedQuantity": 0,
             "fulfillmentLineItem": {"lineItem": {"id": "gid://shopify/LineItem/11"}}},
            {"id": "gid://shopify/ReturnLineItem/72", "quantity": 2, "processedQuantity": 0,
             "fulfillmentLineItem": {"lineItem": {"id": "gid://shopify/LineItem/11"}}},
        ]},
        "refunds": {"nodes": [{"id": "gid://shopify/Refund/9", "note": None,
                               "totalRefundedSet": {"shopMoney": {"amount": "10.00"}}}]},
    }
    found.update(changes)
    return {"return": found}


def test_a_returns_payments_are_its_successful_sales_and_captures_less_their_refunds() -> None:
    found = return_to_refund(return_data())

    assert [(p.id.rsplit("/", 1)[1], p.gift_card, p.amount, p.refundable) for p in found.payments] == [
        ("1", True, d("20.00"), d("20.00")),  # the failed refund took nothing back
        ("3", False, d("99.00"), d("89.00")),  # captured after its authorization, 10.00 refunded since
    ]
    assert (found.order_gid, found.refunded, found.in_shop_currency) == ("gid://shopify/Order/1001", d("10.00"), True)


def test_an_order_paid_in_another_currency_is_not_refunded_in_the_shops_amounts() -> None:
    data = return_data()
    data["return"]["order"]["presentmentCurrencyCode"] = "CHF"

    assert not return_to_refund(data).in_shop_currency


@pytest.mark.parametrize(("change", "field"), [
    ({"status": None}, "return.status"),
    ({"order": {"id": "gid://shopify/Order/1001", "currencyCode": "XXX"}}, "return.order.currencyCode"),
    ({"returnLineItems": {"nodes": [{"id": "gid://shopify/ReturnLineItem/71", "quantity": "one"}]}},
     "return.returnLineItems.nodes.0.quantity"),
])
def test_a_bad_return_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ShopifyPayloadError) as raised:
        return_to_refund(return_data(**change))
    assert raised.value.fields == [field]


def test_a_missing_return_is_a_clear_error() -> None:
    with pytest.raises(ShopifyPayloadError, match="return: not found"):
        return_to_refund({"return": None})


def test_a_line_split_over_two_return_lines_fills_them_in_order() -> None:
    lines = return_to_refund(return_data()).lines

    chosen = lines_to_process([{"line_id": "11", "quantity": 2}], lines)

    assert [(line.id.rsplit("/", 1)[1], quantity) for line, quantity in chosen] == [("71", 1), ("72", 1)]


def test_a_decided_line_that_is_not_on_the_return_is_refused_naming_it() -> None:
    lines = (ReturnLine("gid://shopify/ReturnLineItem/71", "11", 1, 0),)

    with pytest.raises(ShopifyPayloadError) as raised:
        lines_to_process([{"line_id": "11", "quantity": 1}, {"line_id": "12", "quantity": 1}], lines)

    assert raised.value.errors == ["refund.lines.1: 1 unit(s) of line 12 are not on the return"]


@pytest.mark.parametrize(("shipping", "refund_shipping"), [
    ("0.00", None),
    ("6.90", {"shippingRefundAmount": {"currencyCode": "EUR", "amount": "6.90"}}),
])
def test_the_return_process_input_names_the_lines_the_shipping_and_the_money_per_payment(
        shipping: str, refund_shipping: dict[str, Any] | None) -> None:
    found = return_to_refund(return_data())
    chosen = lines_to_process([{"line_id": "11", "quantity": 1}], found.lines)
    placement = place(d("55.39"), d("9.31"), found.payments)

    made = return_process_input(found, chosen, placement, d(shipping), "Assay refund [key]")

    assert made.pop("refundShipping", None) == refund_shipping
    assert made == {
        "returnId": "gid://shopify/Return/7",
        "returnLineItems": [{"id": "gid://shopify/ReturnLineItem/71", "quantity": 1}],
        "notifyCustomer": True,
        "note": "Assay refund [key]",
        "financialTransfer": {"issueRefund": {"orderTransactions": [
            {"parentId": "gid://shopify/OrderTransaction/1",
             "transactionAmount": {"currencyCode": "EUR", "amount": "9.31"}},
            {"parentId": "gid://shopify/OrderTransaction/3",
             "transactionAmount": {"currencyCode": "EUR", "amount": "46.08"}},
        ]}},
    }
