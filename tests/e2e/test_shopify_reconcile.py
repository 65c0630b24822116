"""The Shopify reconciliation: orders and returns no webhook brought are found through GraphQL (the fake answers
the `orders` search like Shopify: filters, sort, cursors, costs), handled by the webhooks' own handlers and
written back once, whichever of the webhook and the reconciliation comes first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from connector.catch_up import OVERLAP
from connector.outages import FIRST_COOL_DOWN_SECONDS
from connector.shopify import reconcile
from connector.shopify.reconcile import ReconcileReport, reconcile_store
from jobs.schedule import catch_up_platforms
from storage.db import storage_of
from storage.models import CaseRecord, DecisionRecord, Event, OrderSnapshot, Store

from .fakes.shopify import FakeShopify
from .fakes.shopify_listing import touch
from .fakes.shopify_seed import SeededOrder
from .shopify_app import install, mutations, order_created, post_webhook, return_payload, run_worker

pytestmark = pytest.mark.integration
APPROVED = ["ReturnApproveRequest", "ReturnProcess"]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**delta: float) -> str:
    return iso(datetime.now(UTC) - timedelta(**delta))


def recent_order() -> dict[str, Any]:
    """A necklace bought six days ago and delivered two days ago: a change of mind today is in time."""
    return {"placed_at": ago(days=6), "fulfilled_at": ago(days=5), "delivered_at": ago(days=2), "country": "DE",
            "currency": "EUR", "shipping": {"amount": "6.90"}, "customer_id": 777,
            "lines": [{"title": "Rose quartz pendant", "unit_price": "49.00", "fulfilled_quantity": 1}]}


def asks_return(fake: FakeShopify, order: SeededOrder) -> str:
    """The customer asks to return the necklace now; no webhook is sent."""
    return_gid = fake.seed_return(order, [{"reason": "changed-my-mind"}])
    fake.return_(return_gid)["createdAt"] = iso(datetime.now(UTC))
    return return_gid


def store_id(app: Flask, fake: FakeShopify) -> int:
    with storage_of(app).sessions() as session:
        found = session.scalar(select(Store.id).where(Store.domain == fake.shop_domain))
    assert found is not None
    return found


def reconcile_now(app: Flask) -> None:
    """The clock's catch-up (one job per store), then the worker runs those jobs and everything they queue."""
    with app.app_context():
        catch_up_platforms()
    run_worker(app)


def cases(app: Flask) -> list[tuple[str, int]]:
    with storage_of(app).sessions() as session:
        return [(record.request_key, len(session.scalars(select(DecisionRecord).where(
            DecisionRecord.case_id == record.id)).all())) for record in session.scalars(select(CaseRecord))]


def reconciled_topics(app: Flask) -> list[str]:
    with storage_of(app).sessions() as session:
        return sorted(e.topic for e in session.scalars(select(Event)) if e.delivery_id.startswith("reconcile:"))


@pytest.fixture(scope="module")
def second_shopify_server() -> Iterator[FakeShopify]:
    fake = FakeShopify("second-shop.myshopify.com", "shpat_second").start()
    yield fake
    fake.stop()


@pytest.fixture
def second_shopify(second_shopify_server: FakeShopify) -> Iterator[FakeShopify]:
    second_shopify_server.reset()
    yield second_shopify_server
    second_shopify_server.reset()


def test_an_order_and_a_return_no_webhook_brought_are_found_decided_and_written_once(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    install(app, fake_shopify, "pristine-crystals")
    order = fake_shopify.seed_order(recent_order())
    touch(fake_shopify.state, order.gid, ago(minutes=3))
    return_gid = asks_return(fake_shopify, order)

    reconcile_now(app)

    assert mutations(fake_shopify) == APPROVED
    assert len(fake_shopify.state.refunds) == 1
    assert cases(app) == [(f"return:{return_gid}", 1)]
    assert reconciled_topics(app) == ["orders/create", "returns/request"]
    with storage_of(app).sessions() as session:
        snapshot = session.scalars(select(OrderSnapshot)).one()
        assert snapshot.document["lines"][0]["unit_price"] == "49.00"  # snapshotted as bought

    # Again on the clock, then the webhooks Shopify finally delivers: each is handled, none decides or writes.
    reconcile_now(app)
    order_created(base_url, fake_shopify, order.gid)
    payload = return_payload(fake_shopify, return_gid, order.gid, "unwanted")
    assert post_webhook(base_url, fake_shopify, "returns/request", payload, "late-return").status_code == 200
    run_worker(app)

    assert mutations(fake_shopify) == APPROVED
    assert len(fake_shopify.state.refunds) == 1
    assert cases(app) == [(f"return:{return_gid}", 1)]
    with storage_of(app).sessions() as session:
        assert {e.status for e in session.scalars(select(Event))} == {"processed"}


def test_a_return_whose_webhook_came_first_is_left_alone(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    install(app, fake_shopify, "pristine-crystals")
    order = fake_shopify.seed_order(recent_order())
    order_created(base_url, fake_shopify, order.gid)
    return_gid = asks_return(fake_shopify, order)
    payload = return_payload(fake_shopify, return_gid, order.gid, "unwanted")
    post_webhook(base_url, fake_shopify, "returns/request", payload, "on-time", triggered_at=ago(seconds=1))
    run_worker(app)
    assert mutations(fake_shopify) == APPROVED

    reconcile_now(app)

    assert "returns/request" not in reconciled_topics(app)
    assert mutations(fake_shopify) == APPROVED
    assert cases(app) == [(f"return:{return_gid}", 1)]


def test_a_store_whose_api_fails_is_recorded_and_the_next_store_is_still_reconciled(
        app: Flask, base_url: str, fake_shopify: FakeShopify, second_shopify: FakeShopify) -> None:
    install(app, fake_shopify, "pristine-crystals")
    install(app, second_shopify, "pristine-crystals")
    first_return = asks_return(fake_shopify, fake_shopify.seed_order(recent_order()))
    second_return = asks_return(second_shopify, second_shopify.seed_order(recent_order()))
    fake_shopify.fail_next(100, "5xx", status=503)

    reconcile_now(app)

    with storage_of(app).sessions() as session:
        failed = session.get_one(Store, store_id(app, fake_shopify))
        went_through = session.get_one(Store, store_id(app, second_shopify))
        assert failed.poll_error is not None and "http 503" in failed.poll_error
        assert failed.polled_at is None, "the failed store's watermark stays"
        assert went_through.poll_error is None and went_through.polled_at is not None
    assert mutations(second_shopify) == APPROVED
    assert cases(app) == [(f"return:{second_return}", 1)]

    fake_shopify.clear_faults()
    time.sleep(FIRST_COOL_DOWN_SECONDS)  # the shop's outage breaker lets a probe go again
    reconcile_now(app)

    with storage_of(app).sessions() as session:
        assert session.get_one(Store, store_id(app, fake_shopify)).poll_error is None
    assert mutations(fake_shopify) == APPROVED
    assert mutations(second_shopify) == APPROVED
    assert sorted(cases(app)) == sorted([(f"return:{first_return}", 1), (f"return:{second_return}", 1)])


def test_the_watermark_advances_and_a_run_short_of_budget_resumes_where_it_stopped(
        app: Flask, fake_shopify: FakeShopify, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reconcile, "PAGE_SIZE", 2)
    install(app, fake_shopify, "pristine-crystals")
    orders = [fake_shopify.seed_order(recent_order()) for _ in range(5)]
    times = [ago(minutes=60 - 10 * number) for number in range(5)]
    for order, at in zip(orders, times, strict=True):
        touch(fake_shopify.state, order.gid, at)
    identity = store_id(app, fake_shopify)

    # Just above the half of the bucket kept for the write-backs: the first page of updated orders is the last.
    fake_shopify.bucket.set_available(1020)
    with app.app_context():
        first: ReconcileReport = reconcile_store(identity)
    assert (first.complete, first.orders_seen, len(first.events_recorded)) == (False, 2, 2)
    with storage_of(app).sessions() as session:
        assert session.get_one(Store, identity).polled_at == datetime.fromisoformat(times[1])

    fake_shopify.bucket.set_available(2000)
    started = datetime.now(UTC)
    with app.app_context():
        second = reconcile_store(identity)
    assert second.complete
    # It reads again from the watermark less the overlap: the second order again (already recorded), then the rest.
    assert (second.orders_seen, len(second.events_recorded)) == (4, 3)
    searches = [r.variables["query"] for r in fake_shopify.operations("RecentOrders")]
    assert searches.count(reconcile.WAITING_RETURNS) == 2
    assert reconcile.updated_since(datetime.fromisoformat(times[1]) - OVERLAP) in searches
    with storage_of(app).sessions() as session:
        watermark = session.get_one(Store, identity).polled_at
    assert watermark is not None and watermark >= started
    run_worker(app)
    with storage_of(app).sessions() as session:
        assert len(session.scalars(select(OrderSnapshot)).all()) == 5


def test_the_fake_answers_the_search_like_shopify(fake_shopify: FakeShopify, admin_api: Any) -> None:
    orders = [fake_shopify.seed_order(recent_order()) for _ in range(3)]
    for order, minutes in zip(orders, (30, 10, 20), strict=True):
        touch(fake_shopify.state, order.gid, ago(minutes=minutes))
    fake_shopify.seed_return(orders[2], [{}])
    variables: dict[str, Any] = {"query": reconcile.updated_since(datetime.now(UTC) - timedelta(minutes=25)),
                                 "first": 1, "after": None}
    seen = []
    while True:
        page = admin_api.execute(reconcile.RECENT_ORDERS, variables)["orders"]
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        variables["after"] = page["pageInfo"]["endCursor"]
    assert seen == [orders[2].gid, orders[1].gid], "the two updated in the last 25 minutes, oldest first"
    waiting = admin_api.execute(reconcile.RECENT_ORDERS, {"query": reconcile.WAITING_RETURNS, "first": 5})
    assert [node["id"] for node in waiting["orders"]["nodes"]] == [orders[2].gid]
    assert waiting["orders"]["nodes"][0]["returns"]["nodes"][0]["status"] == "REQUESTED"
    # pageInfo once, and per order: the order itself and its returns connection (2 + 5 returns).
    assert admin_api.last_cost["requestedQueryCost"] == 3 + 5 * 8
