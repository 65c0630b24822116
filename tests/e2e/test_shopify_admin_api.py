"""The Admin API transport against the fake Shopify: success, waiting out throttles, retrying outages, errors."""

from __future__ import annotations

from typing import Any

import pytest

from connector.shopify import payloads, write_back
from connector.shopify.api import (
    AdminApi,
    Document,
    ShopifyAccessDenied,
    ShopifyGraphQLError,
    ShopifyUnavailable,
    ShopifyUserErrors,
    shop_handle,
)

from .fakes.shopify import FakeShopify

ORDER: dict[str, Any] = {
    "placed_at": "2026-03-01T09:30:00Z",
    "currency": "EUR",
    "country": "AT",
    "shipping": {"amount": "6.90"},
    "fulfilled_at": "2026-03-02T15:00:00Z",
    "delivered_at": "2026-03-05T11:00:00Z",
    "lines": [
        {"title": "Rose quartz pendant", "sku": "RQ-1", "quantity": 1, "unit_price": "49.00",
         "compare_at_price": "59.00", "discount": "4.90", "product_type": "Necklace", "tags": ["crystal"],
         "properties": {"Engraving": "A+B"}, "fulfilled_quantity": 1},
    ],
}


def refund_variables(order_gid: str, line_gid: str, key: str) -> dict[str, object]:
    return {
        "input": {"orderId": order_gid, "refundLineItems": [{"lineItemId": line_gid, "quantity": 1}], "notify": True},
        "idempotencyKey": key,
    }


def test_a_query_returns_the_data_and_sends_the_shop_token_and_variables(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    seeded = fake_shopify.seed_order(ORDER)

    data = admin_api.execute(payloads.ORDER_FOR_CASE, {"id": seeded.gid})

    order = data["order"]
    line = order["lineItems"]["nodes"][0]
    assert order["shippingAddress"] == {"countryCodeV2": "AT"}
    assert order["shippingLines"]["nodes"][0]["discountedPriceSet"] == {"shopMoney": {"amount": "6.90"}}
    assert order["totalReceivedSet"] == {"shopMoney": {"amount": "51.00"}}  # 49.00 - 4.90 + 6.90
    assert line["variant"]["compareAtPrice"] == "59.00"
    assert line["customAttributes"] == [{"key": "Engraving", "value": "A+B"}]
    assert line["discountAllocations"][0]["allocatedAmountSet"]["shopMoney"]["amount"] == "4.90"
    assert order["fulfillments"][0]["deliveredAt"] == "2026-03-05T11:00:00Z"
    [sent] = fake_shopify.operations("OrderForCase")
    assert sent.variables == {"id": seeded.gid}
    assert sent.host == fake_shopify.shop_domain
    assert sleeps == []
    assert admin_api.last_cost is not None and admin_api.last_cost["throttleStatus"]["restoreRate"] == 100.0


def test_a_throttled_request_waits_until_the_bucket_holds_its_cost_then_succeeds(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    seeded = fake_shopify.seed_order(ORDER)
    fake_shopify.fail_next(1, "throttled")  # reported with nothing available

    admin_api.execute(payloads.ORDER_FOR_CASE, {"id": seeded.gid})

    throttled, answered = fake_shopify.requests
    cost = throttled.response["extensions"]["cost"]
    assert throttled.response["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert sleeps == [pytest.approx(cost["requestedQueryCost"] / 100.0 + 0.05)]
    assert answered.executed


def test_an_empty_bucket_refills_while_the_client_waits(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    seeded = fake_shopify.seed_order(ORDER)
    fake_shopify.bucket.set_available(0)

    admin_api.execute(payloads.ORDER_FOR_CASE, {"id": seeded.gid})

    assert len(sleeps) == 1 and sleeps[0] > 1.0
    assert len(fake_shopify.operations("OrderForCase")) == 1


def test_a_429_waits_for_retry_after(fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]) -> None:
    fake_shopify.fail_next(1, "429", retry_after=2.0)

    admin_api.execute(payloads.SHOP_FACTS)

    assert sleeps == [2.0]


def test_server_errors_are_retried_with_exponential_backoff(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    fake_shopify.fail_next(1, "5xx", status=502)
    fake_shopify.fail_next(1, "5xx", status=500)

    data = admin_api.execute(payloads.SHOP_FACTS)

    assert data["shop"]["ianaTimezone"] == "Europe/Berlin"
    assert sleeps == [0.5, 1.0]
    assert [r.status for r in fake_shopify.requests] == [502, 500, 200]


def test_a_timeout_is_retried(fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]) -> None:
    fake_shopify.fail_next(1, "hang")

    admin_api.execute(payloads.SHOP_FACTS)

    assert sleeps == [0.5]
    assert len(fake_shopify.operations("ShopFacts")) == 1


def test_outages_beyond_the_attempt_budget_raise_a_retryable_error(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    fake_shopify.fail_next(10, "5xx")

    with pytest.raises(ShopifyUnavailable, match="gave up after 4 attempts") as raised:
        admin_api.execute(payloads.SHOP_FACTS)

    assert raised.value.retryable
    assert len(fake_shopify.requests) == 4


def test_user_errors_of_a_mutation_are_raised_with_their_codes(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order(ORDER)
    already_open = fake_shopify.seed_return(seeded, status="OPEN")

    with pytest.raises(ShopifyUserErrors) as raised:
        admin_api.execute(write_back.RETURN_APPROVE_REQUEST, {"id": already_open})

    assert raised.value.codes == ["INVALID_STATE"]
    assert raised.value.data["returnApproveRequest"]["return"] is None
    assert not raised.value.retryable


def test_order_cancel_user_errors_are_raised_too(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    with pytest.raises(ShopifyUserErrors) as raised:
        admin_api.execute(write_back.ORDER_CANCEL_MUTATION, {"orderId": "gid://shopify/Order/999"})

    assert raised.value.codes == ["NOT_FOUND"]


def test_an_invalid_document_is_a_graphql_error_and_is_not_retried(
    fake_shopify: FakeShopify, admin_api: AdminApi
) -> None:
    broken = Document("Broken", "query Broken { shop { fulfillableQty } }")

    with pytest.raises(ShopifyGraphQLError, match="Cannot query field 'fulfillableQty'"):
        admin_api.execute(broken)

    assert len(fake_shopify.requests) == 1


def test_a_revoked_token_is_access_denied_without_retrying(fake_shopify: FakeShopify) -> None:
    with AdminApi(fake_shopify.shop_domain, "shpat_revoked") as api:
        with pytest.raises(ShopifyAccessDenied) as raised:
            api.execute(payloads.SHOP_FACTS)

    assert raised.value.status == 401
    assert "shpat_revoked" not in str(raised.value) + repr(api)
    assert len(fake_shopify.requests) == 1


def test_a_repeated_refund_with_the_same_key_is_created_once(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order(ORDER)
    variables = refund_variables(seeded.gid, seeded.line_gids[0], "action-42")

    first = admin_api.execute(write_back.REFUND_CREATE, variables)
    second = admin_api.execute(write_back.REFUND_CREATE, variables)

    assert first["refundCreate"]["refund"]["id"] == second["refundCreate"]["refund"]["id"]
    assert len(fake_shopify.state.refunds) == 1


def test_a_refund_whose_answer_was_lost_is_retried_without_refunding_twice(
    fake_shopify: FakeShopify, admin_api: AdminApi, sleeps: list[float]
) -> None:
    seeded = fake_shopify.seed_order(ORDER)
    fake_shopify.fail_next(1, "hang_after_execute")

    data = admin_api.execute(write_back.REFUND_CREATE, refund_variables(seeded.gid, seeded.line_gids[0], "action-7"))

    [refund] = fake_shopify.state.refunds
    assert data["refundCreate"]["refund"]["id"] == refund["id"]
    assert refund["totalRefundedSet"]["shopMoney"]["amount"] == "49.00"
    assert len(fake_shopify.operations("RefundCreate")) == 2 and len(sleeps) == 1


def test_one_key_for_two_different_refunds_is_refused(fake_shopify: FakeShopify, admin_api: AdminApi) -> None:
    seeded = fake_shopify.seed_order({**ORDER, "lines": [ORDER["lines"][0], ORDER["lines"][0]]})
    admin_api.execute(write_back.REFUND_CREATE, refund_variables(seeded.gid, seeded.line_gids[0], "action-1"))

    with pytest.raises(ShopifyGraphQLError) as raised:
        admin_api.execute(write_back.REFUND_CREATE, refund_variables(seeded.gid, seeded.line_gids[1], "action-1"))

    assert raised.value.codes == ["IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    assert len(fake_shopify.state.refunds) == 1


@pytest.mark.parametrize(
    ("given", "handle"),
    [("pristine.myshopify.com", "pristine"), ("https://Pristine.myshopify.com/", "pristine"), ("pristine", "pristine")],
)
def test_a_shop_is_named_by_its_myshopify_handle(given: str, handle: str) -> None:
    assert shop_handle(given) == handle


def test_a_custom_domain_is_not_a_shop_handle() -> None:
    with pytest.raises(ValueError, match="must be a \\*.myshopify.com domain, got 'shop.example.com'"):
        shop_handle("shop.example.com")
