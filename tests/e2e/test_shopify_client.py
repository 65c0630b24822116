"""Writing decisions back to the fake Shopify: the exact mutations, and never twice when an action runs again."""

from __future__ import annotations

from typing import Any

import pytest

from connector.shopify.api import AdminApi, RetryPolicy, ShopifyUnavailable
from connector.shopify.payloads import numeric_id
from connector.shopify.write_back import JOB_MAX_POLLS, WriteBackRejected, plan_actions, write_back

from .fakes.shopify import FakeShopify
from .fakes.shopify_seed import SeededOrder

DELIVERED_ORDER: dict[str, Any] = {
    "fulfilled_at": "2026-03-02T15:00:00Z",
    "delivered_at": "2026-03-05T11:00:00Z",
    "shipping": {"amount": "6.90"},
    "lines": [{"unit_price": "49.00", "fulfilled_quantity": 1}],
}
UNFULFILLED_ORDER: dict[str, Any] = {"shipping": {"amount": "6.90"}, "lines": [{"unit_price": "49.00"}]}
KEY = "assay:case-1:shopify.test"
MUTATIONS = ("OrderCancel", "ReturnApproveRequest", "ReturnProcess", "ReturnDeclineRequest", "TagsAdd",
             "OrderNoteUpdate")


def mutations(fake: FakeShopify) -> list[str]:
    return [r.operation_name or "" for r in fake.operations() if r.operation_name in MUTATIONS]


def cancel(api: AdminApi, order_gid: str) -> dict[str, Any]:
    payload = {"order_gid": order_gid, "staff_note": "Assay approved the customer's cancellation request (case 1)."}
    return write_back(api, "shopify.order_cancel", payload, KEY)


def approve(api: AdminApi, return_gid: str) -> dict[str, Any]:
    return write_back(api, "shopify.return_approve", {"return_gid": return_gid}, KEY)


def decline(api: AdminApi, return_gid: str) -> dict[str, Any]:
    payload = {"return_gid": return_gid, "decline_reason": "FINAL_SALE", "decline_note": "Sale items are final."}
    return write_back(api, "shopify.return_decline", payload, KEY)


def review(api: AdminApi, order_gid: str) -> dict[str, Any]:
    payload = {"order_gid": order_gid, "tag": "assay-review", "note_line": "Assay case 1: return needs a decision."}
    return write_back(api, "shopify.review", payload, KEY)


def requested_return(fake: FakeShopify) -> tuple[SeededOrder, str]:
    order = fake.seed_order(DELIVERED_ORDER)
    return order, fake.seed_return(order)


# --- orderCancel -----------------------------------------------------------------------------------

def test_an_approved_cancel_refunds_the_original_payment_restocks_and_notifies(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)

    result = cancel(admin_api, order.gid)

    [sent] = fake_shopify.operations("OrderCancel")
    assert sent.variables == {
        "orderId": order.gid, "reason": "CUSTOMER", "restock": True, "notifyCustomer": True,
        "staffNote": f"Assay approved the customer's cancellation request (case 1). [{KEY}]",
    }
    assert "originalPaymentMethodsRefund: true" in sent.query
    assert len(fake_shopify.operations("Job")) == 1
    assert result == {"order_gid": order.gid, "cancelled_at": "2026-03-10T12:00:00Z", "already_done": False,
                      "cancelled_by_assay": True}
    assert [r["via"] for r in fake_shopify.state.refunds] == ["orderCancel"]
    assert fake_shopify.state.notifications == [("order_cancelled", order.gid)]


def test_a_cancel_run_again_after_it_was_written_cancels_nothing_more(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)
    cancel(admin_api, order.gid)  # the worker dies here, before the outbox marks the action done

    again = cancel(admin_api, order.gid)

    assert again["already_done"] and again["cancelled_by_assay"]
    assert mutations(fake_shopify) == ["OrderCancel"]
    assert len(fake_shopify.state.refunds) == 1
    assert len(fake_shopify.state.notifications) == 1


def test_a_cancel_whose_answer_was_lost_is_confirmed_once_shopify_finishes_it(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)
    fake_shopify.fail_next(1, "hang_after_execute", operation="OrderCancel")  # done, but the answer is lost

    with pytest.raises(ShopifyUnavailable, match="may have been applied"):
        cancel(admin_api, order.gid)  # not resent blindly: the job's retry reads the order first
    fake_shopify.finish_jobs()
    result = cancel(admin_api, order.gid)

    assert result["already_done"] and result["cancelled_by_assay"]
    assert len(fake_shopify.state.refunds) == 1
    assert fake_shopify.state.notifications == [("order_cancelled", order.gid)]


def test_the_cancel_job_is_polled_with_growing_pauses_of_at_most_a_second_until_done(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)
    fake_shopify.state.jobs_finish_after_polls = 3

    assert not cancel(admin_api, order.gid)["already_done"]

    assert len(fake_shopify.operations("Job")) == 3
    assert sleeps == [0.5, 1.0, 1.0]  # nothing sleeps longer than a second inside a job


def test_a_cancel_job_that_never_finishes_is_left_for_the_job_to_retry(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)
    fake_shopify.state.jobs_finish_after_polls = 1000

    with pytest.raises(ShopifyUnavailable, match="not done"):
        cancel(admin_api, order.gid)

    assert len(fake_shopify.operations("Job")) == JOB_MAX_POLLS
    assert sum(sleeps) < 30


def test_an_order_cancelled_by_staff_first_counts_as_done_without_a_second_cancel(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)
    fake_shopify.order(order.gid)["cancelledAt"] = "2026-03-09T08:00:00Z"

    result = cancel(admin_api, order.gid)

    assert result["already_done"] and not result["cancelled_by_assay"]
    assert mutations(fake_shopify) == []


def test_a_cancel_shopify_refuses_is_rejected_with_its_reason(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    order, _ = requested_return(fake_shopify)

    with pytest.raises(WriteBackRejected, match="active returns") as rejected:
        cancel(admin_api, order.gid)

    assert rejected.value.action_kind == "shopify.order_cancel"
    assert rejected.value.codes == ["INVALID"]
    assert fake_shopify.state.refunds == []


# --- returnApproveRequest / returnDeclineRequest ---------------------------------------------------

def test_an_approved_return_is_approved_notifying_the_customer(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    _, return_gid = requested_return(fake_shopify)

    result = approve(admin_api, return_gid)

    [sent] = fake_shopify.operations("ReturnApproveRequest")
    assert sent.variables == {"id": return_gid, "notifyCustomer": True}
    assert result == {"return_gid": return_gid, "status": "OPEN", "already_done": False}
    assert fake_shopify.state.notifications == [("return_approved", return_gid)]


def test_a_declined_return_is_declined_with_the_reason_and_note(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    _, return_gid = requested_return(fake_shopify)

    result = decline(admin_api, return_gid)

    [sent] = fake_shopify.operations("ReturnDeclineRequest")
    assert sent.variables == {"id": return_gid, "declineReason": "FINAL_SALE",
                              "declineNote": "Sale items are final.", "notifyCustomer": True}
    assert result == {"return_gid": return_gid, "status": "DECLINED", "already_done": False}
    assert fake_shopify.return_(return_gid)["decline"] == {"reason": "FINAL_SALE", "note": "Sale items are final."}


@pytest.mark.parametrize("settle", [approve, decline], ids=["approve", "decline"])
def test_settling_a_return_again_sends_no_second_mutation(
    fake_shopify: FakeShopify, admin_api: AdminApi, settle: Any
) -> None:
    _, return_gid = requested_return(fake_shopify)
    settle(admin_api, return_gid)

    again = settle(admin_api, return_gid)

    assert again["already_done"]
    assert len(mutations(fake_shopify)) == 1
    assert len(fake_shopify.state.notifications) == 1


@pytest.mark.parametrize("settle", [approve, decline], ids=["approve", "decline"])
def test_a_return_whose_answer_was_lost_is_confirmed_by_its_state(
    fake_shopify: FakeShopify, admin_api: AdminApi, settle: Any
) -> None:
    _, return_gid = requested_return(fake_shopify)
    mutation = "ReturnApproveRequest" if settle is approve else "ReturnDeclineRequest"
    fake_shopify.fail_next(1, "hang_after_execute", operation=mutation)

    with pytest.raises(ShopifyUnavailable, match="may have been applied"):
        settle(admin_api, return_gid)  # not resent blindly: the job's retry reads the return first
    result = settle(admin_api, return_gid)

    assert result["already_done"]
    assert len(mutations(fake_shopify)) == 1
    assert len(fake_shopify.state.notifications) == 1


def test_approving_a_return_staff_already_declined_is_rejected_without_a_mutation(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order(DELIVERED_ORDER)
    return_gid = fake_shopify.seed_return(order, status="DECLINED")

    with pytest.raises(WriteBackRejected, match="is DECLINED, so it can't be approved"):
        approve(admin_api, return_gid)

    assert mutations(fake_shopify) == []


def test_a_return_that_does_not_exist_is_rejected(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    with pytest.raises(WriteBackRejected, match="does not exist"):
        decline(admin_api, "gid://shopify/Return/999")


# --- tagsAdd + order note --------------------------------------------------------------------------

def test_a_review_tags_the_order_and_appends_a_line_after_the_customers_note(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER, note="Please gift wrap.")

    result = review(admin_api, order.gid)

    [tagged] = fake_shopify.operations("TagsAdd")
    [noted] = fake_shopify.operations("OrderNoteUpdate")
    assert tagged.variables == {"id": order.gid, "tags": ["assay-review"]}
    assert noted.variables == {"id": order.gid,
                               "note": f"Please gift wrap.\nAssay case 1: return needs a decision. [{KEY}]"}
    assert result == {"order_gid": order.gid, "tag": "assay-review", "already_done": False}
    assert fake_shopify.order(order.gid)["tags"] == ["assay-review"]


def test_a_review_on_an_order_without_a_note_writes_just_the_line(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)

    review(admin_api, order.gid)

    assert fake_shopify.order(order.gid)["note"] == f"Assay case 1: return needs a decision. [{KEY}]"


def test_a_review_run_again_adds_no_second_line_or_tag(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER, note="Please gift wrap.")
    review(admin_api, order.gid)

    again = review(admin_api, order.gid)

    assert again["already_done"]
    assert mutations(fake_shopify) == ["TagsAdd", "OrderNoteUpdate"]
    assert fake_shopify.order(order.gid)["note"].count(KEY) == 1


# --- Transient and permanent failures --------------------------------------------------------------

def test_throttling_and_server_errors_are_ridden_out_and_the_write_happens_once(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)
    fake_shopify.fail_next(1, "throttled", operation="TagsAdd")
    fake_shopify.fail_next(1, "5xx", status=502, operation="OrderNoteUpdate")

    review(admin_api, order.gid)

    assert [(r.operation_name, r.fault) for r in fake_shopify.requests] == [
        ("OrderNote", None), ("TagsAdd", "throttled"), ("TagsAdd", None),
        ("OrderNoteUpdate", "5xx"), ("OrderNoteUpdate", None),
    ]
    assert mutations(fake_shopify) == ["TagsAdd", "OrderNoteUpdate"]
    assert len(sleeps) == 2
    assert fake_shopify.order(order.gid)["note"].count(KEY) == 1


def test_an_outage_that_outlasts_the_retries_propagates_for_the_job_to_retry(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    _, return_gid = requested_return(fake_shopify)
    fake_shopify.fail_next(4, "5xx")

    with pytest.raises(ShopifyUnavailable):
        approve(admin_api, return_gid)

    assert fake_shopify.return_(return_gid)["status"] == "REQUESTED"


def test_a_revoked_token_is_a_rejection(fake_shopify: FakeShopify) -> None:
    order = fake_shopify.seed_order(UNFULFILLED_ORDER)
    with AdminApi(fake_shopify.shop_domain, "shpat_revoked",
                  retry=RetryPolicy(max_attempts=2), sleep=lambda _seconds: None) as api:
        with pytest.raises(WriteBackRejected, match="(?i)access token") as rejected:
            review(api, order.gid)

    assert "shpat_revoked" not in str(rejected.value)


def test_an_unknown_action_kind_is_rejected(admin_api: AdminApi) -> None:
    with pytest.raises(WriteBackRejected, match="no Shopify writer"):
        write_back(admin_api, "shopify.refund", {}, KEY)


# --- Planned and written -------------------------------------------------------------------------

def test_a_planned_final_sale_decline_reaches_shopify_as_final_sale_with_the_reasons(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    _, return_gid = requested_return(fake_shopify)
    decision = {"outcome": "decline", "reasons": [
        {"code": "return_window_ended", "message": "The return window ended on 19 March.", "lines": ["L1"]},
        {"code": "final_sale", "message": "Sale items can't be returned.", "lines": ["L1"]},
    ], "respond_by": None}

    for action in plan_actions(decision, case_key="3:1001", request_kind="return",
                               order_gid="gid://shopify/Order/1001", return_gid=return_gid):
        write_back(admin_api, action.kind, action.payload, action.idempotency_key)

    assert fake_shopify.return_(return_gid)["decline"] == {
        "reason": "FINAL_SALE", "note": "The return window ended on 19 March. Sale items can't be returned."}


# --- returnProcess: the decided refund (issue 8) --------------------------------------------------

# A 49.00 pendant with 7.82 VAT inside and 6.90 shipping: 55.90 paid, 20.00 of it with a gift card.
PAID_IN_PART_BY_GIFT_CARD: dict[str, Any] = {**DELIVERED_ORDER, "taxes_included": True, "gift_card_paid": "20.00",
                                             "lines": [{"unit_price": "49.00", "tax": "7.82", "fulfilled_quantity": 1}]}


def refund(order: SeededOrder, total: str, to_gift_card: str, shipping: str = "0.00") -> dict[str, Any]:
    return {"case_key": "case-1", "currency": "EUR", "total": total, "to_gift_card": to_gift_card,
            "shipping": shipping, "lines": [{"line_id": numeric_id(order.line_gids[0]), "quantity": 1}]}


def approve_and_refund(api: AdminApi, return_gid: str, decided: dict[str, Any]) -> dict[str, Any]:
    return write_back(api, "shopify.return_approve", {"return_gid": return_gid, "refund": decided}, KEY)


def returned(fake: FakeShopify, spec: dict[str, Any] = PAID_IN_PART_BY_GIFT_CARD) -> tuple[SeededOrder, str]:
    order = fake.seed_order(spec)
    return order, fake.seed_return(order)


def test_an_approved_return_is_processed_with_the_decided_money_on_each_payment(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order, return_gid = returned(fake_shopify)

    result = approve_and_refund(admin_api, return_gid, refund(order, "49.00", "17.53"))

    [sent] = fake_shopify.operations("ReturnProcess")
    gift_card, card = (t["id"] for t in fake_shopify.order(order.gid)["transactions"] if t["kind"] == "SALE")
    assert sent.variables["input"]["financialTransfer"] == {"issueRefund": {"orderTransactions": [
        {"parentId": gift_card, "transactionAmount": {"currencyCode": "EUR", "amount": "17.53"}},
        {"parentId": card, "transactionAmount": {"currencyCode": "EUR", "amount": "31.47"}},
    ]}}
    assert sent.variables["input"]["note"] == f"Assay refund as decided, 49.00 EUR [{KEY}]"
    assert "refundShipping" not in sent.variables["input"]
    assert result == {"return_gid": return_gid, "status": "OPEN", "already_done": False, "refund": {
        "return_gid": return_gid, "refunded": "49.00", "to_gift_card": "17.53", "left_to_merchant": "0.00",
        "already_done": False}}
    assert fake_shopify.state.notifications[-1] == ("refund_created", fake_shopify.state.refunds[0]["id"])


def test_a_return_processed_in_part_by_staff_is_rejected_and_nothing_is_refunded(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order = fake_shopify.seed_order({**PAID_IN_PART_BY_GIFT_CARD, "lines": [
        {"unit_price": "49.00", "quantity": 2, "fulfilled_quantity": 2}]})
    return_gid = fake_shopify.seed_return(order, [{"quantity": 2}], status="OPEN")
    fake_shopify.return_(return_gid)["returnLineList"][0]["processedQuantity"] = 1
    decided = {**refund(order, "98.00", "19.23"), "lines": [{"line_id": numeric_id(order.line_gids[0]), "quantity": 2}]}

    with pytest.raises(WriteBackRejected, match="processed in Shopify already"):
        approve_and_refund(admin_api, return_gid, decided)

    assert fake_shopify.operations("ReturnProcess") == [] and fake_shopify.state.refunds == []


def test_a_return_staff_processed_whole_is_done_and_what_its_refunds_fell_short_of_is_noted_once(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order, return_gid = returned(fake_shopify)
    fake_shopify.return_(return_gid).update(status="CLOSED")
    fake_shopify.return_(return_gid)["returnLineList"][0]["processedQuantity"] = 1  # processed, nothing refunded

    first = approve_and_refund(admin_api, return_gid, refund(order, "49.00", "17.53"))
    again = approve_and_refund(admin_api, return_gid, refund(order, "49.00", "17.53"))

    assert first["already_done"] and again["already_done"]
    assert (first["refund"]["refunded"], first["refund"]["left_to_merchant"]) == ("0.00", "49.00")
    assert mutations(fake_shopify) == ["TagsAdd", "OrderNoteUpdate"]
    assert fake_shopify.order(order.gid)["note"].count("49.00 EUR of the decided refund of 49.00 EUR") == 1


def test_an_order_paid_in_another_currency_is_approved_and_its_refund_left_to_the_merchant(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order, return_gid = returned(fake_shopify, {**PAID_IN_PART_BY_GIFT_CARD, "presentment_currency": "CHF"})

    result = approve_and_refund(admin_api, return_gid, refund(order, "49.00", "17.53"))
    approve_and_refund(admin_api, return_gid, refund(order, "49.00", "17.53"))

    assert result["refund"]["left_to_merchant"] == "49.00"
    assert mutations(fake_shopify) == ["ReturnApproveRequest", "TagsAdd", "OrderNoteUpdate"]
    assert "the customer paid in CHF" in fake_shopify.order(order.gid)["note"]
    assert fake_shopify.state.refunds == []


def test_a_refund_shopify_refuses_is_rejected_and_the_return_stays_approved(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    order, return_gid = returned(fake_shopify)

    with pytest.raises(WriteBackRejected, match="Shipping refund 9.90 exceeds the 6.90 left"):
        approve_and_refund(admin_api, return_gid, refund(order, "49.00", "17.53", shipping="9.90"))

    assert fake_shopify.return_(return_gid)["status"] == "OPEN"
    assert fake_shopify.state.refunds == []
