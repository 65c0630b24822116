"""The fake site keeps WooCommerce's tax arithmetic and makes refunds as WooCommerce does, so the refund tests
can trust what it records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.woocommerce.api import WooCommerceApi, WooCommerceRejected, WooCommerceUnavailable

from ..fakes.woocommerce import FakeWooCommerce

PENDANTS = {"price": "58.31", "quantity": 2, "tax_rate": "0.19", "meta": {"_reduced_stock": "2"}}


@pytest.mark.parametrize(("included", "price", "line", "total"), [
    (False, "49.00", ("98.00", "18.62"), "124.83"),  # net prices, VAT on top, rounded per line
    (True, "58.31", ("98.00", "18.62"), "124.83"),  # VAT taken out of the entered price
])
def test_orders_keep_net_totals_and_per_rate_taxes_whichever_way_prices_are_entered(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi, included: bool, price: str,
    line: tuple[str, str], total: str
) -> None:
    order = fake_woocommerce.state.add_order(prices_include_tax=included, shipping_tax_rate="0.19",
                                             lines=[{**PENDANTS, "price": price}])
    shown = woo_api.get(f"orders/{order['id']}")
    [item], [shipping] = shown["line_items"], shown["shipping_lines"]
    assert (item["total"], item["total_tax"], item["taxes"][0]["total"]) == (*line, line[1])
    assert (shipping["total"], shipping["total_tax"], shown["shipping_tax"]) == ("6.90", "1.31", "1.31")
    assert (shown["total_tax"], shown["total"]) == ("19.93", total)


def test_a_refund_above_what_is_left_is_an_invalid_amount(fake_woocommerce: FakeWooCommerce,
                                                          woo_api: WooCommerceApi) -> None:
    order = fake_woocommerce.state.add_order(lines=[{"price": "49.00"}], shipping="6.90")
    woo_api.post(f"orders/{order['id']}/refunds", {"amount": "50.00", "api_refund": False})
    with pytest.raises(WooCommerceUnavailable) as raised:
        woo_api.post(f"orders/{order['id']}/refunds", {"amount": "5.91", "api_refund": False})
    assert (raised.value.status, raised.value.detail) == (500, "Invalid refund amount.")
    with pytest.raises(WooCommerceRejected, match="Refund amount must be greater than zero"):
        woo_api.post(f"orders/{order['id']}/refunds", {"amount": "-1.00", "api_refund": False})


def test_a_refunds_line_items_are_recorded_as_woocommerce_copies_them(fake_woocommerce: FakeWooCommerce,
                                                                      woo_api: WooCommerceApi) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(prices_include_tax=True, lines=[PENDANTS])
    item = order["line_items"][0]
    made: dict[str, Any] = woo_api.post(f"orders/{order['id']}/refunds", {  # no amount: the lines add up to it
        "api_refund": False, "line_items": [{"id": item["id"], "quantity": 1, "refund_total": "49.00",
                                             "refund_tax": [{"id": 1, "refund_total": "9.31"}]}]})
    assert made["amount"] == "58.31"
    [copied] = made["line_items"]
    assert (copied["quantity"], copied["total"], copied["total_tax"]) == (-1, "-49.00", "-9.31")
    assert copied["meta_data"][0]["key"] == "_refunded_item_id" and copied["meta_data"][0]["value"] == str(item["id"])
    assert fake.state.restocked_items == [(order["id"], item["id"], 1)]  # api_restock defaults to true
    assert fake.state.refund_warnings == []


def test_what_woocommerce_lets_through_with_its_books_wrong_is_noted(fake_woocommerce: FakeWooCommerce,
                                                                    woo_api: WooCommerceApi) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(lines=[{"price": "49.00", "quantity": 1, "tax_rate": "0.19"}], shipping="0")
    item = order["line_items"][0]
    woo_api.post(f"orders/{order['id']}/refunds", {"amount": "10.00", "api_refund": False, "line_items": [
        {"id": item["id"], "quantity": 2, "refund_total": "50.00", "refund_tax": [{"id": 7, "refund_total": "1"}]},
        {"id": 999, "quantity": 1, "refund_total": "1.00"}]})
    assert fake.state.refund_warnings == [
        f"order {order['id']} item {item['id']}: refunds 2 units, 1 left",
        f"order {order['id']} item {item['id']}: refunds 50.00 net, 49.00 left",
        f"order {order['id']} item {item['id']}: refunds tax on rate 7, which it was never charged",
        f"order {order['id']}: refund names item 999, which the order does not have",
    ]


@pytest.mark.parametrize(("cards", "refunded_status"), [
    ({"gift_cards": [{"code": "GIFT-1234", "amount": "20.00"}]}, "processing"),  # captured card: not "refunded"
    ({"pw_gift_card": "20.00"}, "refunded"),
])
def test_the_gift_card_plugins_credit_their_cards_back_once_when_the_order_ends(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi, cards: dict[str, Any], refunded_status: str
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(lines=[{"price": "49.00"}], shipping="6.90", **cards)
    assert order["total"] == "35.90" and ("gift_cards" in order) == ("gift_cards" in cards)
    woo_api.post(f"orders/{order['id']}/refunds", {"amount": "35.90", "api_refund": False})
    assert fake.state.order(order["id"])["status"] == refunded_status
    woo_api.put(f"orders/{order['id']}", {"status": "cancelled"})
    assert [amount for _, _, amount in fake.state.gift_card_credits] == [Decimal("20.00")]
