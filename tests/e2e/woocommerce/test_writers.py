"""Writing decisions back to the fake site: the exact requests, and never twice when an action runs again."""

from __future__ import annotations

from typing import Any

import pytest

from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommerceUnavailable
from connector.woocommerce.writers import WriteBackRejected, marker, write_back

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
    assert refund.body == {"amount": "49.00", "reason": f"Cancellation approved by Assay. {marker(KEY)}",
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
    assert fake.writes() == [("POST", "orders/101/notes")]
    assert fake.state.notes[order["id"]][0]["note"] == f"Your return request has been approved. {marker(KEY)}"
    assert result["already_done"] is True


def test_the_mapped_status_follows_the_note(fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi) -> None:
    fake = fake_woocommerce
    order = fake.state.add_order(status="return-requested")
    note(woo_api, order["id"], status="completed")
    note(woo_api, order["id"], status="completed")
    assert fake.writes() == [("POST", "orders/101/notes"), ("PUT", "orders/101")]


def test_a_status_the_site_does_not_have_is_rejected_for_good(fake_woocommerce: FakeWooCommerce,
                                                              woo_api: WooCommerceApi) -> None:
    order = fake_woocommerce.state.add_order(status="return-requested")
    with pytest.raises(WriteBackRejected, match="Invalid parameter"):
        note(woo_api, order["id"], status="return-approved")


def test_an_order_that_is_gone_is_rejected_for_good(fake_woocommerce: FakeWooCommerce,
                                                    woo_api: WooCommerceApi) -> None:
    with pytest.raises(WriteBackRejected, match="woocommerce.cancel_order: GET orders/999"):
        cancel(woo_api, 999)
