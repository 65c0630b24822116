"""The reconciliation's pure parts: the search it sends, what one listed order still needs, when it stops."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.shopify.payloads import ShopifyPayloadError
from connector.shopify.reconcile import Known, budget_spent, missed_events, updated_since

INSTALLED = datetime(2026, 12, 1, 9, 0, 0, 400000, tzinfo=UTC)
ORDER = {"id": "gid://shopify/Order/7", "legacyResourceId": "7", "updatedAt": "2026-12-02T10:00:00Z",
         "cancelledAt": None, "returns": {"nodes": [
             {"id": "gid://shopify/Return/3", "status": "REQUESTED", "createdAt": "2026-12-02T09:59:00Z"},
             {"id": "gid://shopify/Return/2", "status": "OPEN", "createdAt": "2026-12-01T12:00:00Z"}]}}
NOTHING_KNOWN = Known(None, frozenset())


def topics(order: dict[str, object], known: Known = NOTHING_KNOWN) -> list[str]:
    return [m.topic for m in missed_events(order, known, shop="gems.myshopify.com", installed_at=INSTALLED)]


def test_the_search_is_shopify_syntax_in_utc_whole_seconds() -> None:
    assert updated_since(datetime(2026, 12, 2, 10, 4, 5, 999, tzinfo=UTC)) == "updated_at:>'2026-12-02T10:04:05Z'"


def test_an_order_never_snapshotted_and_its_waiting_return_are_both_missed() -> None:
    found = missed_events(ORDER, NOTHING_KNOWN, shop="gems.myshopify.com", installed_at=INSTALLED)
    assert [(m.topic, m.delivery_id) for m in found] == [
        ("orders/create", "reconcile:gems.myshopify.com:orders/create:gid://shopify/Order/7:2026-12-02T10:00:00Z"),
        ("returns/request", "reconcile:gems.myshopify.com:returns/request:gid://shopify/Return/3")]
    assert found[1].payload == {"id": 3, "admin_graphql_api_id": "gid://shopify/Return/3",
                                "order": {"id": 7, "admin_graphql_api_id": "gid://shopify/Order/7"}}


def test_a_snapshot_saved_after_the_last_change_and_a_return_with_a_case_need_nothing() -> None:
    known = Known(datetime(2026, 12, 2, 10, 0, 1, tzinfo=UTC), frozenset({"gid://shopify/Return/3"}))
    assert topics(ORDER, known) == []


def test_a_snapshot_older_than_the_order_is_refreshed_and_a_cancelled_order_closes_its_cases() -> None:
    known = Known(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), frozenset({"gid://shopify/Return/3"}))
    assert topics({**ORDER, "cancelledAt": "2026-12-02T10:00:00Z"}, known) == ["orders/create", "orders/cancelled"]


def test_a_return_asked_before_assay_was_installed_is_not_opened() -> None:
    early = {"nodes": [{"id": "gid://shopify/Return/3", "status": "REQUESTED", "createdAt": "2026-12-01T08:59:59Z"}]}
    same_second = {"nodes": [{**early["nodes"][0], "createdAt": "2026-12-01T09:00:00Z"}]}
    assert topics({**ORDER, "returns": early}) == ["orders/create"]
    assert topics({**ORDER, "returns": same_second}) == ["orders/create", "returns/request"]


@pytest.mark.parametrize(("order", "message"), [
    ({**ORDER, "legacyResourceId": None}, "without id/legacyResourceId"),
    ({**ORDER, "updatedAt": "yesterday"}, "orders.nodes.updatedAt: must be an ISO 8601 time"),
    ({**ORDER, "updatedAt": "2026-12-02T10:00:00"}, "must include a UTC offset"),
])
def test_a_listing_it_cannot_read_is_an_error_naming_the_field(order: dict[str, object], message: str) -> None:
    with pytest.raises(ShopifyPayloadError, match=message):
        topics(order)


def test_a_run_stops_before_it_would_spend_the_half_of_the_bucket_kept_for_the_write_backs() -> None:
    def cost(available: float) -> dict[str, object]:
        return {"requestedQueryCost": 203, "throttleStatus": {"maximumAvailable": 2000.0,
                                                              "currentlyAvailable": available, "restoreRate": 100.0}}

    assert not budget_spent(cost(1203))
    assert budget_spent(cost(1202))
    assert not budget_spent(None), "no cost reported: go on"
