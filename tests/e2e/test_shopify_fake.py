"""The fake Shopify behaves like the Admin API where Assay relies on it, and Assay's documents run on it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.shopify import api, payloads, write_back
from connector.shopify.api import AdminApi, ShopifyUserErrors

from .fakes.shopify import FakeShopify

DELIVERED_ORDER: dict[str, Any] = {
    "currency": "EUR",
    "shipping": {"amount": "6.90"},
    "fulfilled_at": "2026-03-02T15:00:00Z",
    "delivered_at": "2026-03-05T11:00:00Z",
    "lines": [
        {"title": "Rose quartz pendant", "unit_price": "49.00", "fulfilled_quantity": 1},
        {"title": "Amethyst ring", "unit_price": "89.00", "quantity": 2, "fulfilled_quantity": 2},
    ],
}


def post(fake: FakeShopify, body: object, token: str | None = None, path: str | None = None) -> httpx.Response:
    headers = {"X-Shopify-Access-Token": token or fake.access_token}
    return httpx.post(fake.origin + (path or f"/admin/api/{api.API_VERSION}/graphql.json"), json=body,
                      headers=headers)


def test_an_invalid_document_is_answered_like_shopify_with_errors_and_no_data(fake_shopify: FakeShopify) -> None:
    response = post(fake_shopify, {"query": "query Q($id: ID!) { order(id: $id) { fulfillableQty } }"})

    assert response.status_code == 200
    assert "data" not in response.json()
    assert response.json()["errors"][0]["message"].startswith("Cannot query field 'fulfillableQty' on type 'Order'")
    assert fake_shopify.operations() == []


def test_a_wrong_token_a_wrong_version_and_a_bad_body_are_rejected(fake_shopify: FakeShopify) -> None:
    assert post(fake_shopify, {"query": "{ shop { id } }"}, token="nope").status_code == 401
    assert post(fake_shopify, {"query": "{ shop { id } }"}, path="/admin/api/2024-01/graphql.json").status_code == 404
    assert post(fake_shopify, {"variables": {}}).status_code == 400


def test_every_answer_reports_its_cost_and_the_bucket(fake_shopify: FakeShopify) -> None:
    cost = post(fake_shopify, {"query": payloads.SHOP_FACTS.source}).json()["extensions"]["cost"]

    assert cost["requestedQueryCost"] == 2
    status = cost["throttleStatus"]
    assert (status["maximumAvailable"], status["restoreRate"]) == (2000.0, 100.0)
    assert 1998.0 <= status["currentlyAvailable"] < 2000.0  # spent 2, refilling at 100 a second


def test_refund_create_without_the_idempotent_directive_is_refused(fake_shopify: FakeShopify) -> None:
    seeded = fake_shopify.seed_order(DELIVERED_ORDER)
    query = "mutation R($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { message } } }"

    answer = post(fake_shopify, {"query": query, "variables": {"input": {"orderId": seeded.gid}}}).json()

    assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert fake_shopify.state.refunds == []


def test_a_cancel_runs_as_a_job_that_refunds_the_original_payment_and_notifies(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    seeded = fake_shopify.seed_order({**DELIVERED_ORDER, "fulfilled_at": None, "delivered_at": None})

    cancel = admin_api.execute(write_back.ORDER_CANCEL_MUTATION, {"orderId": seeded.gid, "staffNote": "Assay case 7"})
    job_id = cancel["orderCancel"]["job"]["id"]
    polled = admin_api.execute(write_back.JOB, {"id": job_id})

    assert polled["job"] == {"id": job_id, "done": True}
    assert fake_shopify.order(seeded.gid)["cancelledAt"] is not None
    [refund] = fake_shopify.state.refunds
    assert refund["totalRefundedSet"]["shopMoney"]["amount"] == "233.90"  # 49 + 2 x 89 + 6.90 shipping
    assert fake_shopify.state.notifications == [("order_cancelled", seeded.gid)]
    [sent] = fake_shopify.operations("OrderCancel")
    assert sent.variables == {"orderId": seeded.gid, "staffNote": "Assay case 7"}


def test_a_return_is_read_with_each_line_traced_to_its_order_line(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    seeded = fake_shopify.seed_order(DELIVERED_ORDER)
    return_gid = fake_shopify.seed_return(
        seeded, [{"line_gid": seeded.line_gids[1], "quantity": 1, "reason": "defective", "customer_note": "chipped"}]
    )

    found = admin_api.execute(payloads.RETURN_FOR_CASE, {"id": return_gid})["return"]

    [line] = found["returnLineItems"]["nodes"]
    assert found["order"] == {"id": seeded.gid}
    assert line["__typename"] == "ReturnLineItem"
    assert line["fulfillmentLineItem"]["lineItem"] == {"id": seeded.line_gids[1]}
    assert (line["quantity"], line["customerNote"]) == (1, "chipped")
    assert line["returnReasonDefinition"]["handle"] == "defective"


def test_a_declined_return_keeps_its_reason_and_note_and_tells_the_customer(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    seeded = fake_shopify.seed_order(DELIVERED_ORDER)
    return_gid = fake_shopify.seed_return(seeded)

    answer = admin_api.execute(
        write_back.RETURN_DECLINE_REQUEST,
        {"id": return_gid, "declineReason": "FINAL_SALE", "declineNote": "Sale items can't be returned."},
    )

    assert answer["returnDeclineRequest"]["return"]["decline"] == {
        "reason": "FINAL_SALE", "note": "Sale items can't be returned."}
    assert fake_shopify.return_(return_gid)["status"] == "DECLINED"
    assert fake_shopify.state.notifications == [("return_declined", return_gid)]


def test_an_approved_return_opens_and_tells_the_customer(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order(DELIVERED_ORDER)
    return_gid = fake_shopify.seed_return(seeded)

    admin_api.execute(write_back.RETURN_APPROVE_REQUEST, {"id": return_gid})

    assert fake_shopify.return_(return_gid)["status"] == "OPEN"
    assert fake_shopify.state.notifications == [("return_approved", return_gid)]


def test_a_review_tags_the_order_and_appends_to_its_note(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order({**DELIVERED_ORDER, "note": "Gift wrap please"})

    admin_api.execute(write_back.TAGS_ADD, {"id": seeded.gid, "tags": ["assay-review"]})
    admin_api.execute(write_back.TAGS_ADD, {"id": seeded.gid, "tags": ["assay-review"]})
    note = admin_api.execute(write_back.ORDER_NOTE_QUERY, {"id": seeded.gid})["order"]["note"]
    admin_api.execute(write_back.ORDER_NOTE_UPDATE, {"id": seeded.gid, "note": f"{note}\nAssay: needs review"})

    order = fake_shopify.order(seeded.gid)
    assert order["tags"] == ["assay-review"]
    assert order["note"] == "Gift wrap please\nAssay: needs review"


def test_line_items_page_through_the_cursor(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order({"lines": [{"title": f"Charm {n}"} for n in range(30)]})

    first = admin_api.execute(payloads.ORDER_FOR_CASE, {"id": seeded.gid})["order"]["lineItems"]
    rest = admin_api.execute(
        payloads.ORDER_FOR_CASE, {"id": seeded.gid, "lineItemsAfter": first["pageInfo"]["endCursor"]}
    )["order"]["lineItems"]

    assert (len(first["nodes"]), first["pageInfo"]["hasNextPage"]) == (25, True)
    assert (len(rest["nodes"]), rest["pageInfo"]["hasNextPage"]) == (5, False)


# --- Money: payments, refunds and their refusals ------------------------------------------------------

PAID_WITH_A_GIFT_CARD = {**DELIVERED_ORDER, "taxes_included": True, "gift_card_paid": "50.00",
                         "lines": [{**line, "tax": "7.82"} for line in DELIVERED_ORDER["lines"]]}


def opened_return(fake: FakeShopify, admin_api: AdminApi) -> tuple[str, dict[str, Any]]:
    seeded = fake.seed_order(PAID_WITH_A_GIFT_CARD)
    return_gid = fake.seed_return(seeded, [{"line_gid": seeded.line_gids[1], "quantity": 2}], status="OPEN")
    return return_gid, admin_api.execute(write_back.RETURN_TO_REFUND, {"id": return_gid})["return"]


def process(admin_api: AdminApi, found: dict[str, Any], amounts: list[str], quantity: int = 1) -> dict[str, Any]:
    line = found["returnLineItems"]["nodes"][0]
    payments = [t for t in found["order"]["transactions"] if t["kind"] == "SALE"]
    variables = {"input": {
        "returnId": found["id"], "returnLineItems": [{"id": line["id"], "quantity": quantity}], "notifyCustomer": True,
        "financialTransfer": {"issueRefund": {"orderTransactions": [
            {"parentId": payment["id"], "transactionAmount": {"amount": amount, "currencyCode": "EUR"}}
            for payment, amount in zip(payments, amounts, strict=False)]}},
    }}
    return admin_api.execute(write_back.RETURN_PROCESS, variables)


def test_an_order_is_paid_by_gift_card_and_card_and_reads_back_its_payments(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    seeded = fake_shopify.seed_order(PAID_WITH_A_GIFT_CARD)

    order = admin_api.execute(payloads.ORDER_PAYMENTS, {"id": seeded.gid})["order"]

    assert order["totalReceivedSet"] == {"shopMoney": {"amount": "233.90"}}  # taxes inside the prices
    assert [(t["kind"], t["gateway"], t["amountSet"]["shopMoney"]["amount"]) for t in order["transactions"]] == [
        ("SALE", "gift_card", "50.00"), ("SALE", "shopify_payments", "183.90")]


def test_processing_a_return_refunds_exactly_the_amounts_given_to_each_payment(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    return_gid, found = opened_return(fake_shopify, admin_api)

    process(admin_api, found, ["10.00", "79.00"])

    [refund] = fake_shopify.state.refunds
    assert [(part["gateway"], part["amount"]) for part in refund["parts"]] == [
        ("gift_card", Decimal("10.00")), ("shopify_payments", Decimal("79.00"))]
    assert refund["returnId"] == return_gid
    order = admin_api.execute(payloads.ORDER_PAYMENTS, {"id": found["order"]["id"]})["order"]
    assert order["totalRefundedSet"] == {"shopMoney": {"amount": "89.00"}}
    assert [line["currentQuantity"] for line in order["lineItems"]["nodes"]] == [1, 1]
    assert fake_shopify.return_(return_gid)["status"] == "OPEN"  # one of the two units is still to process


@pytest.mark.parametrize(("amounts", "quantity", "refused"), [
    (["50.01"], 1, "exceeds the 50.00 left to refund on this transaction"),
    (["50.00", "183.91"], 1, "exceeds the 183.90 left to refund on this transaction"),
    (["10.00"], 3, "Quantity must be between 1 and the 2 left to process"),
])
def test_a_refund_beyond_what_is_left_or_of_more_units_than_returned_is_refused_and_changes_nothing(
    fake_shopify: FakeShopify, admin_api: AdminApi, amounts: list[str], quantity: int, refused: str
) -> None:
    _, found = opened_return(fake_shopify, admin_api)

    with pytest.raises(ShopifyUserErrors, match=refused):
        process(admin_api, found, amounts, quantity)

    assert fake_shopify.state.refunds == []


def test_a_return_not_yet_approved_can_not_be_processed(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order(PAID_WITH_A_GIFT_CARD)
    return_gid = fake_shopify.seed_return(seeded)
    found = admin_api.execute(write_back.RETURN_TO_REFUND, {"id": return_gid})["return"]

    with pytest.raises(ShopifyUserErrors) as refused:
        process(admin_api, found, ["10.00"])

    assert refused.value.codes == ["INVALID_STATE"]


def test_cancelling_refunds_what_is_left_of_each_payment_to_it(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order({**PAID_WITH_A_GIFT_CARD, "fulfilled_at": None, "refunded": "30.00"})

    admin_api.execute(write_back.ORDER_CANCEL_MUTATION, {"orderId": seeded.gid})
    fake_shopify.finish_jobs()

    [refund] = fake_shopify.state.refunds
    assert [(part["gateway"], part["amount"]) for part in refund["parts"]] == [
        ("gift_card", Decimal("50.00")), ("shopify_payments", Decimal("153.90"))]  # 30.00 went back before
