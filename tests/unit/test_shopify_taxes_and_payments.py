"""Shopify orders state their taxes and what was paid the way the case reads them, the same from either path.

The webhook (REST JSON) and ORDER_FOR_CASE (GraphQL) describe order #1042 (tests/fixtures/shopify/payloads):
a pendant (49.00 less 4.90), two earrings (29.00 each), a gift card (85.00) and 6.90 shipping, 194.00 in all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from support.shopify_payloads import payload

from connector.shopify.payloads import ShopifyPayloadError, order_from_graphql, order_from_webhook, order_payments
from policies.case_schema import load_case

PENDANT, EARRINGS, CARD = "14851429007434", "14851429040202", "14851429072970"
ADMIN_ONLY_LINE_FIELDS = ("compare_at_price", "product_type", "tags")
Rest = dict[str, Any]
Graph = dict[str, Any]


def rest_line(body: Rest, line_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in body["line_items"] if str(item["id"]) == line_id)
    return found


def graph_line(data: Graph, line_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(node for node in data["order"]["lineItems"]["nodes"] if node["id"].endswith(line_id))
    return found


def rest_money(amount: str) -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": "EUR"},
            "presentment_money": {"amount": amount, "currency_code": "EUR"}}


def graph_money(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount}}


@dataclass(frozen=True)
class Order:
    """One change to order #1042, said as each path says it."""

    name: str
    rest: Callable[[Rest], None]
    graph: Callable[[Graph], None]


def taxed(included: bool, pendant: list[str], earrings: list[str], shipping: list[str], comes_to: str) -> Order:
    def rest(body: Rest) -> None:
        body["taxes_included"] = included
        rest_line(body, PENDANT)["tax_lines"] = [{"price": tax, "price_set": rest_money(tax)} for tax in pendant]
        rest_line(body, EARRINGS)["tax_lines"] = [{"price": tax, "price_set": rest_money(tax)} for tax in earrings]
        body["shipping_lines"][0]["tax_lines"] = [{"price": tax, "price_set": rest_money(tax)} for tax in shipping]
        body["current_total_price"], body["current_total_price_set"] = comes_to, rest_money(comes_to)

    def graph(data: Graph) -> None:
        order = data["order"]
        order["taxesIncluded"] = included
        graph_line(data, PENDANT)["taxLines"] = [{"priceSet": graph_money(tax)} for tax in pendant]
        graph_line(data, EARRINGS)["taxLines"] = [{"priceSet": graph_money(tax)} for tax in earrings]
        order["shippingLines"]["nodes"][0]["taxLines"] = [{"priceSet": graph_money(tax)} for tax in shipping]
        order["totalReceivedSet"] = graph_money(comes_to)
        order["transactions"][0]["amountSet"] = graph_money(comes_to)

    return Order(f"taxes {'included' if included else 'added'}", rest, graph)


def paid_by_gift_card() -> Order:
    def rest(body: Rest) -> None:
        body["payment_gateway_names"] = ["gift_card"]

    def graph(data: Graph) -> None:
        data["order"]["transactions"] = [{"kind": "SALE", "status": "SUCCESS", "gateway": "gift_card",
                                          "amountSet": graph_money("194.00")}]

    return Order("paid by gift card", rest, graph)


def one_earring_refunded() -> Order:
    def rest(body: Rest) -> None:
        rest_line(body, EARRINGS)["current_quantity"] = 1
        body["current_total_price"], body["current_total_price_set"] = "165.00", rest_money("165.00")
        body["refunds"] = [{"id": 1, "transactions": [{"kind": "refund", "status": "success", "amount": "29.00",
                                                       "currency": "EUR"}]}]

    def graph(data: Graph) -> None:
        graph_line(data, EARRINGS)["currentQuantity"] = 1
        data["order"]["totalRefundedSet"] = graph_money("29.00")

    return Order("an earring refunded before", rest, graph)


ORDERS = [
    Order("as it is: taxes inside the prices", lambda body: None, lambda data: None),
    # 19% added on the discounted pendant (44.10), the earrings (58.00) and shipping: 214.71 in all.
    taxed(False, ["8.38"], ["11.02"], ["1.31"], "214.71"),
    # Two taxes on one line (state and county), each on the price after the discount.
    taxed(False, ["2.65", "0.44"], [], [], "197.09"),
    taxed(True, ["7.04"], ["9.26"], ["1.10"], "194.00"),
    paid_by_gift_card(),
    one_earring_refunded(),
]


def both(order: Order) -> tuple[dict[str, Any], dict[str, Any]]:
    body, data = payload("orders_updated_fulfilled"), payload("order_for_case")
    order.rest(body)
    order.graph(data)
    return order_from_webhook(body, "DE").order, order_from_graphql(data, "DE").order


def money_and_lines(order: dict[str, Any]) -> dict[str, Any]:
    lines = [{k: v for k, v in line.items() if k not in ADMIN_ONLY_LINE_FIELDS} for line in order["lines"]]
    return {**{k: v for k, v in order.items() if k != "delivered_at"}, "lines": lines}


@pytest.mark.parametrize("order", ORDERS, ids=lambda order: order.name)
def test_the_webhook_and_the_admin_api_give_the_same_taxes_and_payments(order: Order) -> None:
    webhook, admin = both(order)
    assert money_and_lines(webhook) == money_and_lines(admin)


@pytest.mark.parametrize(("order", "expected"), [
    (ORDERS[1], {"taxes_included": False, "shipping_tax": "1.31", "taxes": ["8.38", "11.02", "0.00"],
                 "paid": "214.71", "refunded": "0.00", "gift_card_paid": "0.00", "refunded_quantities": [0, 0, 0]}),
    (ORDERS[2], {"taxes_included": False, "shipping_tax": "0.00", "taxes": ["3.09", "0.00", "0.00"],
                 "paid": "197.09", "refunded": "0.00", "gift_card_paid": "0.00", "refunded_quantities": [0, 0, 0]}),
    (ORDERS[4], {"taxes_included": True, "shipping_tax": "1.10", "taxes": ["7.04", "9.26", "0.00"],
                 "paid": "194.00", "refunded": "0.00", "gift_card_paid": "194.00", "refunded_quantities": [0, 0, 0]}),
    (ORDERS[5], {"taxes_included": True, "shipping_tax": "1.10", "taxes": ["7.04", "9.26", "0.00"],
                 "paid": "194.00", "refunded": "29.00", "gift_card_paid": "0.00", "refunded_quantities": [0, 1, 0]}),
], ids=lambda value: value.name if isinstance(value, Order) else "")
def test_the_order_states_its_taxes_what_was_paid_refunded_and_paid_by_gift_card(
        order: Order, expected: dict[str, Any]) -> None:
    _, admin = both(order)
    assert {
        "taxes_included": admin["taxes_included"], "shipping_tax": admin["shipping"]["tax"],
        "taxes": [line["tax"] for line in admin["lines"]], "paid": admin["paid"], "refunded": admin["refunded"],
        "gift_card_paid": admin["gift_card_paid"],
        "refunded_quantities": [line["refunded_quantity"] for line in admin["lines"]],
    } == expected


def transaction(kind: str, status: str, gateway: str, amount: str) -> dict[str, Any]:
    return {"kind": kind, "status": status, "gateway": gateway, "amountSet": graph_money(amount)}


@pytest.mark.parametrize(("transactions", "gift_card_paid"), [
    ([transaction("SALE", "SUCCESS", "gift_card", "50.00"), transaction("SALE", "SUCCESS", "shopify_payments",
                                                                        "144.00")], "50.00"),
    ([transaction("SALE", "SUCCESS", "shopify_store_credit", "20.00"),
      transaction("CAPTURE", "SUCCESS", "gift_card", "30.00")], "50.00"),  # store credit counts as a gift card
    ([transaction("SALE", "FAILURE", "gift_card", "50.00")], "0.00"),  # a declined card paid nothing
    ([transaction("AUTHORIZATION", "SUCCESS", "gift_card", "50.00")], "0.00"),  # held, not taken
    ([transaction("REFUND", "SUCCESS", "gift_card", "50.00")], "0.00"),  # money going back is not a payment
    ([transaction("SALE", "SUCCESS", "Gift_Card", "250.00")], "194.00"),  # never more than was paid in all
])
def test_the_gift_card_part_is_what_gift_cards_and_store_credit_paid(
        transactions: list[dict[str, Any]], gift_card_paid: str) -> None:
    data = payload("order_for_case")
    data["order"]["transactions"] = transactions
    assert order_from_graphql(data, "DE").order["gift_card_paid"] == gift_card_paid


@pytest.mark.parametrize(("gateways", "gift_card_paid"), [
    (["shopify_payments"], "0.00"),
    ([], "0.00"),
    (["gift_card"], "194.00"),
    (["gift_card", "shopify_store_credit"], "194.00"),
    (["gift_card", "shopify_payments"], None),  # how much of each the webhook doesn't say: not stated
])
def test_the_webhook_knows_the_gift_card_part_only_when_one_kind_of_gateway_paid(
        gateways: list[str], gift_card_paid: str | None) -> None:
    body = payload("orders_create")
    body["payment_gateway_names"] = gateways
    assert order_from_webhook(body, "DE").order.get("gift_card_paid") == gift_card_paid


@pytest.mark.parametrize(("change", "why"), [
    (lambda body: body.pop("total_outstanding"), "what is still owed is unsaid"),
    (lambda body: body.update(refunds=[{"transactions": [{"kind": "refund", "status": "success", "amount": "28.10",
                                                          "currency": "CHF"}]}]), "refunded in the customer's CHF"),
])
def test_the_webhook_states_no_payments_where_it_cant_say_them_in_the_shops_money(change: Any, why: str) -> None:
    body = payload("orders_create")
    change(body)
    order = order_from_webhook(body, "DE").order
    assert not {"paid", "refunded", "gift_card_paid"} & order.keys(), why


def test_what_is_still_owed_comes_off_what_was_paid_and_a_credit_is_negative() -> None:
    body = payload("orders_create")
    body["total_outstanding"] = "44.00"  # 150.00 of 194.00 paid so far
    assert order_from_webhook(body, "DE").order["paid"] == "150.00"
    body["total_outstanding"] = "-6.00"  # the customer paid 6.00 too much
    assert order_from_webhook(body, "DE").order["paid"] == "200.00"


def test_a_refund_beyond_what_was_paid_leaves_nothing_to_refund_rather_than_an_invalid_case() -> None:
    data = payload("order_for_case")
    data["order"]["totalRefundedSet"] = graph_money("200.00")  # Shopify allows over-refunding on request
    order = order_from_graphql(data, "DE").order
    assert (order["paid"], order["refunded"]) == ("194.00", "194.00")


@pytest.mark.parametrize(("where", "change", "field"), [
    ("rest", lambda body: body.update(total_outstanding="lots"), "total_outstanding"),
    ("rest", lambda body: body["line_items"][0]["tax_lines"][0].update(price_set={"shop_money": {"amount": "-1"}}),
     "line_items.0.tax_lines.0.price_set.shop_money.amount"),
    ("graph", lambda data: data["order"]["transactions"][0]["amountSet"]["shopMoney"].update(amount="x"),
     "order.transactions.0.amountSet.shopMoney.amount"),
    ("graph", lambda data: data["order"]["lineItems"]["nodes"][0]["taxLines"][0].update(priceSet=None),
     "order.lineItems.nodes.0.taxLines.0.priceSet"),
])
def test_a_bad_tax_or_payment_amount_is_refused_naming_its_field(where: str, change: Any, field: str) -> None:
    source = payload("orders_create" if where == "rest" else "order_for_case")
    change(source)
    with pytest.raises(ShopifyPayloadError) as raised:
        order_from_webhook(source, "DE") if where == "rest" else order_from_graphql(source, "DE")
    assert raised.value.fields == [field]


@pytest.mark.parametrize("order", ORDERS, ids=lambda order: order.name)
def test_every_taxed_and_paid_order_is_a_case_order_the_engine_accepts(order: Order) -> None:
    for made in both(order):
        case = {"policy": {"preset": "kestia"}, "store": {"country": "DE", "timezone": "Europe/Berlin"},
                "order": made, "request": {"kind": "cancel", "submitted_at": "2026-03-02T10:00:00Z", "lines": []}}
        assert load_case(case).case.order.paid is not None


def payments_now(received: str, refunded: str, current_quantities: dict[str, int]) -> dict[str, Any]:
    quantities = {PENDANT: 1, EARRINGS: 2, CARD: 1}
    return {"order": {
        "id": "gid://shopify/Order/5731562143766", "currencyCode": "EUR",
        "totalReceivedSet": graph_money(received), "totalRefundedSet": graph_money(refunded),
        "transactions": [transaction("SALE", "SUCCESS", "gift_card", "50.00"),
                         transaction("SALE", "SUCCESS", "shopify_payments", "144.00")],
        "lineItems": {"nodes": [{"id": f"gid://shopify/LineItem/{line_id}", "quantity": quantities[line_id],
                                 "currentQuantity": current} for line_id, current in current_quantities.items()]},
    }}


def test_a_return_is_judged_on_what_was_paid_and_refunded_now_with_the_prices_as_bought() -> None:
    snapshot = order_from_graphql(payload("order_for_case"), "DE").order

    now = order_payments(payments_now("194.00", "29.00", {EARRINGS: 1}))
    updated = now.update(snapshot)

    assert (updated["paid"], updated["refunded"], updated["gift_card_paid"]) == ("194.00", "29.00", "50.00")
    assert [line["refunded_quantity"] for line in updated["lines"]] == [0, 1, 0]  # lines not read keep theirs
    assert [line["unit_price"] for line in updated["lines"]] == [line["unit_price"] for line in snapshot["lines"]]
    assert now.refundable == Decimal("165.00")


def test_an_order_payments_answer_without_the_order_or_with_a_bad_line_is_refused_naming_it() -> None:
    with pytest.raises(ShopifyPayloadError, match="order: not found"):
        order_payments({"order": None})
    bad = payments_now("194.00", "0.00", {PENDANT: 1})
    bad["order"]["lineItems"]["nodes"][0]["id"] = "14851429007434"
    with pytest.raises(ShopifyPayloadError) as raised:
        order_payments(bad)
    assert raised.value.fields == ["order.lineItems.nodes.0.id"]


def test_what_was_paid_is_stated_to_the_currencys_minor_unit_however_shopify_writes_it() -> None:
    data = payload("order_for_case")
    data["order"]["totalReceivedSet"] = graph_money("194.0")
    data["order"]["transactions"] = [transaction("SALE", "SUCCESS", "gift_card", "20")]
    order = order_from_graphql(data, "DE").order
    assert (order["paid"], order["refunded"], order["gift_card_paid"]) == ("194.00", "0.00", "20.00")
