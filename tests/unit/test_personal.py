"""What the inbox keeps of a payload: no key, token or note that opens or describes a customer's order in plain
text, and every field a decision reads exactly as the platform sent it."""

from __future__ import annotations

import json
from typing import Any

from support.shopify_payloads import payload
from unit.test_woocommerce_schemas import order

from connector.personal import PREFIX, pseudonymize
from connector.shopify.payloads import order_from_webhook, return_request_from_webhook
from connector.woocommerce.payloads import order_document, parse_order

KEY = "app-secret"
WOO_EXTRAS = {"payment_url": "https://shop.example/checkout/order-pay/101/?pay_for_order=true&key=wc_order_abc123",
              "customer_note": "Please leave it with the neighbour at no. 12, door code 4711"}
SHOPIFY_EXTRAS = {"token": "b1946ac92492d2347c6235b4d2611184", "cart_token": "c1-0f2a", "checkout_token": "9f2c8e",
                  "order_status_url": "https://gems.myshopify.com/548380009/orders/b1946ac9/authenticate?key=secret",
                  "note": "Gift for Ada Lovelace, 12 Park Lane - don't include the invoice"}


def plain_texts(document: Any) -> str:
    return json.dumps(document)


def test_woocommerces_payment_url_and_order_note_are_kept_only_as_pseudonyms() -> None:
    kept = pseudonymize(order(**WOO_EXTRAS), KEY)
    for field, value in WOO_EXTRAS.items():
        assert kept[field].startswith(PREFIX) and value not in plain_texts(kept)
    assert "wc_order_abc123" not in plain_texts(kept)


def test_shopifys_status_url_tokens_and_order_note_are_kept_only_as_pseudonyms() -> None:
    kept = pseudonymize({**payload("orders_create"), **SHOPIFY_EXTRAS}, KEY)
    for field, value in SHOPIFY_EXTRAS.items():
        assert kept[field].startswith(PREFIX) and value not in plain_texts(kept)


def test_an_order_note_inside_a_returns_order_goes_and_the_returns_own_notes_stay() -> None:
    body = payload("returns_request")
    body["order"] = {**(body.get("order") or {}), "note": "call me on 0171 123 4567"}
    body["return_line_items"][0].update(customer_note="The clasp broke", return_reason_note="Arrived bent")
    kept = pseudonymize(body, KEY)
    assert kept["order"]["note"].startswith(PREFIX)
    assert kept["return_line_items"][0]["customer_note"] == "The clasp broke"
    assert kept["return_line_items"][0]["return_reason_note"] == "Arrived bent"


def test_what_a_decision_reads_is_the_same_before_and_after_pseudonymising() -> None:
    woo = order(**WOO_EXTRAS)
    assert order_document(parse_order(pseudonymize(woo, KEY)), "DE") == order_document(parse_order(woo), "DE")

    shopify_order = {**payload("orders_create"), **SHOPIFY_EXTRAS}
    assert order_from_webhook(pseudonymize(shopify_order, KEY), "DE") == order_from_webhook(shopify_order, "DE")

    returned = payload("returns_request")
    returned["return_line_items"][0].update(customer_note="The clasp broke")
    contract = order_from_webhook(payload("orders_create"), "DE").order
    assert (return_request_from_webhook(pseudonymize(returned, KEY), contract, submitted_at="2026-03-10T10:00:00Z")
            == return_request_from_webhook(returned, contract, submitted_at="2026-03-10T10:00:00Z"))
