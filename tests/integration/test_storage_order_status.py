"""An order's platform status as last seen, and its cases closed and reopened with the order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.db import Storage
from storage.models import CaseStatus
from storage.repositories import (
    StatusChange,
    add_case,
    add_woocommerce_store,
    advance_platform_status,
    close_cases,
    get_case,
    list_stores,
    reopen_closed_cases,
    save_decision,
    save_order_snapshot,
)

pytestmark = pytest.mark.integration
DECISION = {"outcome": "review", "reasons": [], "lines": [], "refund": None, "respond_by": None,
            "policy_version": "pandorana@1"}


def at(hour: int) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC)


def new_store(storage: Storage) -> int:
    with storage.transaction() as session:
        return add_woocommerce_store(session, storage.cipher, url="https://jewels.example", consumer_key="ck_1",
                                     consumer_secret="cs_1", webhook_secret="w").id


def test_a_status_counts_as_moved_once_and_never_backwards(storage: Storage) -> None:
    store_id = new_store(storage)
    with storage.transaction() as session:
        snapshot = save_order_snapshot(session, store_id=store_id, order_id="101", document={"lines": []})
        assert advance_platform_status(snapshot, "processing", at(9)) == StatusChange(None, "processing")
        assert advance_platform_status(snapshot, "processing", at(10)) is None  # the same status again
        assert advance_platform_status(snapshot, "cancel-request", at(12)) == StatusChange("processing",
                                                                                          "cancel-request")
        assert advance_platform_status(snapshot, "processing", at(11)) is None  # an older report, late
        assert (snapshot.platform_status, snapshot.platform_modified_at) == ("cancel-request", at(12))


def test_an_orders_cases_close_with_it_and_the_undecided_ones_reopen(storage: Storage) -> None:
    store_id = new_store(storage)
    with storage.transaction() as session:
        ids = [add_case(session, store_id=store_id, order_id="101", kind="cancel", request_key=key,
                        document={})[0].id for key in ("a", "b", "c")]
        save_decision(session, ids[1], DECISION)  # waiting for a person's review
        save_decision(session, ids[2], {**DECISION, "outcome": "decline"})
        assert sorted(close_cases(session, store_id, "101")) == ids[:2], "trashed: the review leaves the queue too"
        assert reopen_closed_cases(session, store_id, "101") == [ids[0]]
        assert get_case(session, ids[1]).status == CaseStatus.DECIDED.value  # type: ignore[union-attr]
        assert sorted(close_cases(session, store_id, "101", including_decided=True)) == ids
        assert reopen_closed_cases(session, store_id, "101") == [ids[0]]  # a decided case stays closed
        assert get_case(session, ids[2]).status == CaseStatus.CLOSED.value  # type: ignore[union-attr]


def test_stores_can_be_listed_by_platform(storage: Storage) -> None:
    store_id = new_store(storage)
    with storage.transaction() as session:
        assert [s.id for s in list_stores(session, platform="woocommerce")] == [store_id]
        assert list_stores(session, platform="shopify") == []
