"""Writing decisions back to the fake site: the exact requests, and never twice when an action runs again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.woocommerce.api import WooCommerceApi, WooCommerceUnavailable
from connector.woocommerce.write_back import WriteBackRejected, marker, write_back

from ..fakes.woocommerce import FakeWooCommerce

KEY = "3:assay:status:101:cancel-request:2026-03-01T12:00:00Z:woocommerce.cancel_order"


def cancel(api: WooCommerceApi, order_id: int) -> dict[str, Any]:
    payload = {"order_id": str(order_id), "status": "cancelled", "refund_reason": "Cancellation approved by Assay."}
    return write_back(api, "woocommerce.cancel_order", payload, KEY)


def note(api: WooCommerceApi, order_id: int, status: str | None = None) -> dict[str, Any]:
    payload = {"order_id": str(order_id), "note": "Your return request has been approved.", "status": status}
    return write_back(api, "woocommerce.customer_note", payload, KEY)


def test_an_approved_cancel_refunds_the_rest_of_what_was_paid_then_cancels(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(lines=[{"price": "49.00"}], shipping="6.90")
    fake.state.refunds[order["id"]] = [{"id": 1, "amount": "6.90", "reason": "shipping", "meta_data": []}]

    result = cancel(woo_api, order["id"])

    [refund] = fake.calls("POST", r"orders/\d+/refunds")
    assert refund.body == {"amount": "49.00", "reason": "Cancellation approved by Assay.",
                           "api_refund": True, "api_restock": False,
                           "meta_data": [{"key": "_assay_idempotency_key", "value": KEY}]}
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]
    assert fake.state.order(order["id"])["status"] == "cancelled"
    assert result["refund"]["amount"] == "49.00" and not result["already_done"]


def test_a_refund_whose_answer_was_lost_is_found_not_made_again(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order()
    fake.fail_next(1, "hang_after_execute", method="POST", path=r"orders/\d+/refunds")

    cancel(woo_api, order["id"])

    assert len(fake.state.refunds[order["id"]]) == 1
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


def test_a_refund_that_timed_out_before_it_was_made_is_made_once_on_the_retry(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order()
    fake.fail_next(1, "hang", method="POST", path=r"orders/\d+/refunds")
    with pytest.raises(WooCommerceUnavailable):
        cancel(woo_api, order["id"])
    assert fake.state.refunds.get(order["id"], []) == []

    cancel(woo_api, order["id"])  # the job's retry
    cancel(woo_api, order["id"])  # and a stray repeat

    assert len(fake.state.refunds[order["id"]]) == 1
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


def test_a_gateway_without_refunds_gets_a_manual_refund_and_a_note_for_the_merchant(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(payment_method="bacs", payment_method_title="Direct bank transfer")

    result = cancel(woo_api, order["id"])

    [refund] = fake.calls("POST", r"orders/\d+/refunds")
    assert refund.body["api_refund"] is False
    [merchant_note] = fake.state.notes[order["id"]]
    assert merchant_note["customer_note"] is False
    assert "Direct bank transfer could not pay it back automatically: refund the customer by hand" in \
        merchant_note["note"]
    assert result["refund"]["automatic"] is False
    assert fake.state.order(order["id"])["status"] == "cancelled"


def test_a_gateway_that_refuses_the_refund_falls_back_to_a_manual_one(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order()
    fake.state.gateways["stripe"]["declines"] = "Stripe: the card was closed."

    result = cancel(woo_api, order["id"])

    sent = [(r.body["api_refund"], r.status) for r in fake.requests if r.method == "POST"
            and r.path == "orders/101/refunds"]
    assert sent == [(True, 500), (False, 201)]
    assert len(fake.state.refunds[order["id"]]) == 1 and result["refund"]["automatic"] is False
    assert "refund the customer by hand" in fake.state.notes[order["id"]][0]["note"]


def test_an_unpaid_order_is_cancelled_without_a_refund(fake_woocommerce: FakeWooCommerce,
                                                       woo_api: WooCommerceApi) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="on-hold", payment_method="bacs")
    cancel(woo_api, order["id"])
    assert fake.writes() == [("PUT", "orders/101")]


def test_a_customer_note_is_added_once_however_often_the_action_runs(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="return-requested")
    fake.fail_next(1, "hang_after_execute", method="POST", path=r"orders/\d+/notes")
    note(woo_api, order["id"])
    result = note(woo_api, order["id"])
    assert fake.writes() == [("POST", "orders/101/notes"), ("PUT", "orders/101")]
    [written] = fake.state.notes[order["id"]]
    assert written["note"] == "Your return request has been approved.", "nothing in it the customer can't read"
    assert result["already_done"] is True


def test_the_mapped_status_follows_the_note(fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="return-requested")
    note(woo_api, order["id"], status="completed")
    note(woo_api, order["id"], status="completed")
    assert fake.writes() == [("POST", "orders/101/notes"), ("PUT", "orders/101"), ("PUT", "orders/101")]
    assert fake.calls("PUT", r"orders/101")[-1].body == {"status": "completed"}


def test_a_status_the_site_does_not_have_is_rejected_for_good(fake_woocommerce: FakeWooCommerce,
                                                              woo_api: WooCommerceApi) -> None:
    order = fake_woocommerce.state.add_order(status="return-requested")
    with pytest.raises(WriteBackRejected, match="Invalid parameter"):
        note(woo_api, order["id"], status="return-approved")


def test_an_order_that_is_gone_is_rejected_for_good(fake_woocommerce: FakeWooCommerce,
                                                    woo_api: WooCommerceApi) -> None:
    with pytest.raises(WriteBackRejected, match="woocommerce.cancel_order: GET orders/999"):
        cancel(woo_api, 999)


# --- an approved return: refund what the decision states, tell the customer, set the status ----------

RETURN_KEY = "4:assay:status:101:return-requested:2026-03-06T10:00:00Z:woocommerce.refund_and_note"
TAXED_LINE = {"price": "49.00", "quantity": 2, "tax_rate": "0.19"}  # 98.00 + 18.62 VAT


def refund_return(api: WooCommerceApi, order_id: int, total: str = "58.31", to_gift_card: str = "0.00",
                  status: str | None = None) -> dict[str, Any]:
    """One of the two pendants back: 49.00 and its 9.31 VAT, as the decision states it."""
    line_id = str(fake_line_id(api, order_id))
    refund = {"currency": "EUR", "total": total, "to_gift_card": to_gift_card, "shipping": "0.00",
              "shipping_tax": "0.00", "lines": [{"line_id": line_id, "quantity": 1, "amount": "49.00", "tax": "9.31"}]}
    payload = {"order_id": str(order_id), "note": "Your return request has been approved.", "status": status,
               "refund": refund, "purpose": "return", "refund_reason": "Return approved by Assay."}
    return write_back(api, "woocommerce.refund_and_note", payload, RETURN_KEY)


def fake_line_id(api: WooCommerceApi, order_id: int) -> int:
    line_id: int = api.get(f"orders/{order_id}")["line_items"][0]["id"]
    return line_id


def test_an_approved_return_refunds_the_lines_net_and_tax_then_tells_the_customer_once(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="return-requested", lines=[TAXED_LINE], shipping_tax_rate="0.19")

    first = refund_return(woo_api, order["id"], status="completed")
    again = refund_return(woo_api, order["id"], status="completed")

    [refund] = fake.calls("POST", r"orders/\d+/refunds")
    assert refund.body == {
        "amount": "58.31", "reason": "Your return request has been approved.", "api_refund": True,
        "api_restock": False, "meta_data": [{"key": "_assay_idempotency_key", "value": RETURN_KEY}],
        "line_items": [{"id": 1, "quantity": 1, "refund_total": "49.00", "refund_tax": [{"id": 1,
                                                                                          "refund_total": "9.31"}]}],
    }
    # WooCommerce's refund email tells the customer, in the refund's reason: no note, which would be a second email.
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]
    assert order["id"] not in fake.state.notes and fake.state.emails == [("customer_refunded_order", order["id"])]
    assert first["refund"]["amount"] == "58.31" and first["refund"]["stated"] == "58.31"
    assert (first["already_done"], again["already_done"]) == (False, True)
    assert fake.state.refund_warnings == []


def test_a_gateway_that_refuses_a_returns_refund_falls_back_to_a_manual_one_and_a_note(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="return-requested", lines=[TAXED_LINE])
    fake.state.gateways["stripe"]["declines"] = "Stripe: the card was closed."

    result = refund_return(woo_api, order["id"])

    sent = [(r.body["api_refund"], r.status) for r in fake.requests if r.method == "POST" and "refunds" in r.path]
    assert sent == [(True, 500), (False, 201)] and result["refund"]["automatic"] is False
    merchant = [note["note"] for note in fake.state.notes[order["id"]] if not note["customer_note"]]
    assert merchant == [f"Assay recorded a refund of 58.31 EUR for the approved return, but Credit card (Stripe) "
                        f"could not pay it back automatically: refund the customer by hand. "
                        f"It said: Stripe: the card was closed. {marker(RETURN_KEY + ':manual-refund')}"]
    assert result["refund"]["gateway_refusal"] == "Stripe: the card was closed."


def test_a_refund_stated_above_what_the_site_has_left_is_capped_and_both_are_recorded(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="return-requested", lines=[TAXED_LINE], shipping="0")  # 116.62 in all
    fake.state.refunds[order["id"]] = [{"id": 1, "amount": "100.00", "reason": "by hand", "meta_data": []}]

    result = refund_return(woo_api, order["id"])

    assert result["refund"] | {"refund_id": None} == {
        "refund_id": None, "amount": "16.62", "automatic": True, "already_done": False, "stated": "58.31",
        "remaining": "16.62"}
    [refund] = fake.calls("POST", r"orders/\d+/refunds")
    assert refund.body["line_items"][0]["refund_total"] == "13.97"  # the line's parts scaled to what is left


def test_a_refund_the_site_calls_an_invalid_amount_is_rejected_for_good(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="return-requested", lines=[TAXED_LINE])
    fake.fail_next(1, "5xx", status=500, method="POST", path=r"orders/\d+/refunds", body={
        "code": "woocommerce_rest_cannot_create_order_refund", "message": "Invalid refund amount."})

    with pytest.raises(WriteBackRejected, match="refuses the amount 58.31: Invalid refund amount"):
        refund_return(woo_api, order["id"])
    assert [r.body["api_refund"] for r in fake.requests if r.method == "POST"] == [True]  # no manual retry


def test_a_cancelled_orders_gift_card_part_is_left_to_the_plugin_and_the_rest_refunded(
    fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(lines=[{"price": "49.00"}], shipping="6.90",
                                 gift_cards=[{"code": "GIFT-1234", "amount": "20.00"}])  # 35.90 by card payment
    payload = {"order_id": str(order["id"]), "status": "cancelled", "refund_reason": "Cancellation approved by Assay.",
               "refund": {"currency": "EUR", "total": "55.90", "to_gift_card": "20.00", "shipping": "6.90",
                          "shipping_tax": "0.00", "lines": [{"line_id": "1", "quantity": 1, "amount": "49.00",
                                                             "tax": "0.00"}]}}

    result = write_back(woo_api, "woocommerce.cancel_order", payload, KEY)

    [refund] = fake.calls("POST", r"orders/\d+/refunds")
    assert refund.body["amount"] == "35.90"
    assert fake.state.gift_card_credits == [(order["id"], "GIFT-1234", Decimal("20.00"))]
    assert result["gift_card"]["amount"] == "20.00"
    assert fake.state.order(order["id"])["status"] == "cancelled"
