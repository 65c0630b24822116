"""An order's life on WooCommerce around a request: trashed and restored, late or missed webhooks, lost answers,
and a store's own statuses."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from support.settings import change_settings

from connector.outages import FIRST_COOL_DOWN_SECONDS
from jobs.actions import reconcile_actions
from storage.db import storage_of
from storage.models import Action, CaseRecord, DecisionRecord, Event, Store

from ..fakes.woocommerce import FakeWooCommerce
from ..worker_process import kill_worker, needs_proc, start_worker
from .steps import deliver, install, move, placed_order, run_worker

pytestmark = pytest.mark.integration
PLACED = "2026-03-01T09:30:00"


def case_statuses(app: Flask) -> list[str]:
    with storage_of(app).sessions() as session:
        return list(session.scalars(select(CaseRecord.status).order_by(CaseRecord.id)))


def test_a_request_on_an_order_trashed_before_its_decision_waits_until_the_order_is_restored(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, created=PLACED)
    move(base_url, fake, order_id, "cancel-request", "2026-03-01T12:00:00")
    deliver(base_url, fake, "order.deleted", order_id)  # trashed before the worker got to the case
    run_worker(app)
    assert (case_statuses(app), fake.writes()) == (["closed"], [])

    deliver(base_url, fake, "order.restored", order_id)
    run_worker(app)
    assert case_statuses(app) == ["decided"]
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


def test_an_order_first_seen_in_a_request_status_is_snapshotted_and_decided(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    install(app, fake, "pandorana")
    order = fake.state.add_order(created=PLACED, status="cancel-request", modified="2026-03-01T12:00:00")
    deliver(base_url, fake, "order.updated", order["id"])  # its order.created never came
    run_worker(app)
    assert fake.writes() == [("POST", "orders/101/notes")]


def test_a_stale_webhook_arriving_after_a_newer_one_opens_nothing(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    install(app, fake, "pandorana")
    order = fake.state.add_order(created=PLACED)
    fake.state.set_status(order["id"], "cancel-request", "2026-03-01T12:00:00")
    stale_body, stale_headers = fake.delivery("order.updated", order["id"])
    fake.state.set_status(order["id"], "processing", "2026-03-01T12:30:00")  # the customer withdrew the request
    deliver(base_url, fake, "order.updated", order["id"])
    run_worker(app)
    httpx.post(f"{base_url}/webhooks/woocommerce", content=stale_body, headers=stale_headers)
    run_worker(app)
    assert (case_statuses(app), fake.writes()) == ([], [])


def test_a_refund_that_timed_out_is_not_made_twice_when_the_job_runs_again(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, created=PLACED)
    # The refund is made but its answer never arrives, and the site stops answering for a while.
    fake.fail_next(1, "hang_after_execute", method="POST", path=r"orders/\d+/refunds",
                   then=lambda: fake.fail_next(1, "hang", method="GET"))
    move(base_url, fake, order_id, "cancel-request", "2026-03-01T12:00:00")
    run_worker(app)  # the write can't tell whether it happened: it fails for now, and RQ schedules a retry
    with storage_of(app).sessions() as session:
        [action] = session.scalars(select(Action)).all()
        assert (action.state, action.attempts) == ("pending", 1)
        assert "GET orders/101/refunds" in (action.last_error or "")  # its check for the refund failed

    time.sleep(FIRST_COOL_DOWN_SECONDS)  # the site's outage breaker lets a probe go again
    with app.app_context():
        assert reconcile_actions() == 1  # the retry runs it again: it finds its refund and only cancels

    assert len(fake.state.refunds[order_id]) == 1
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


@needs_proc
def test_a_worker_killed_mid_refund_leaves_nothing_written_twice(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, storage_url: str, encryption_keys: str,
    redis_url: str, queue_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, created=PLACED)
    # The refund is made but its answer never arrives before the worker dies.
    monkeypatch.setattr(fake, "hang_seconds", 60.0)
    fake.fail_next(1, "hang_after_execute", method="POST", path=r"orders/\d+/refunds")
    move(base_url, fake, order_id, "cancel-request", "2026-03-01T12:00:00")

    worker = start_worker({"DATABASE_URL": storage_url, "REDIS_URL": redis_url,
                           "ASSAY_ENCRYPTION_KEYS": encryption_keys, "RQ_QUEUE": queue_name,
                           "REQUESTS_CA_BUNDLE": fake.certificate.cert_path, "WOOCOMMERCE_TIMEOUT_SECONDS": "30"})
    try:
        deadline = time.monotonic() + 20
        while not fake.calls("POST", r"orders/\d+/refunds") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.calls("POST", r"orders/\d+/refunds"), "the worker never reached the refund"
    finally:
        kill_worker(worker)  # mid-write: the site has refunded, the worker never heard back
    with storage_of(app).sessions() as session:
        [action] = session.scalars(select(Action)).all()
        assert (action.kind, action.state, action.attempts) == ("woocommerce.cancel_order", "running", 1)
    assert fake.writes() == [("POST", "orders/101/refunds")]

    change_settings(app, ACTION_LEASE_SECONDS=0)  # the dead worker's lease has run out
    with app.app_context():
        assert reconcile_actions() == 1  # it finds the refund by its key and only cancels

    [refund] = fake.state.refunds[order_id]
    assert fake.state.order(order_id)["status"] == "cancelled"
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]
    with storage_of(app).sessions() as session:
        [action] = session.scalars(select(Action)).all()
        assert (action.state, action.attempts) == ("done", 2)
        assert action.result is not None
        assert action.result["refund"] == {"refund_id": refund["id"], "amount": refund["amount"],
                                           "already_done": True}


def test_a_stores_mapping_sets_its_plugins_status_after_an_approved_return(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    store_id = install(app, fake, "kestia")
    with storage_of(app).transaction() as session:
        session.get_one(Store, store_id).status_mapping = {
            "requests": {"rma-open": "return"}, "status_after": {"return": {"approve": "rma-approved"}}}
    fake.state.statuses |= {"rma-open", "rma-approved"}
    order = fake.state.add_order(created=PLACED)
    deliver(base_url, fake, "order.created", order["id"])
    move(base_url, fake, order["id"], "completed", "2026-03-03T10:00:00")
    run_worker(app)
    move(base_url, fake, order["id"], "rma-open", "2026-03-10T10:00:00")
    run_worker(app)

    # The approved return is refunded (WooCommerce's refund email tells the customer, in the refund's reason), then
    # the mapped status is set.
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]
    assert fake.state.order(order["id"])["status"] == "rma-approved"
    assert fake.state.refunds[101][0]["reason"].startswith("Your return request has been approved.")
    assert fake.state.emails == [("customer_refunded_order", 101)] and 101 not in fake.state.notes
    with storage_of(app).sessions() as session:
        assert all(status == "processed" for status in session.scalars(select(Event.status)))


# Kestia: "legally entitled to cancel their order within 14 working days of receipt ... and return for a full refund".
# A cancel of a delivered order is judged as a return (decision.judged_as): written as an approved return, not a
# cancellation. The goods are still with the customer, so the order is not cancelled (WooCommerce would restock
# every item at once) and the refund restocks nothing; the refund is the lines' price, without shipping.
@pytest.mark.parametrize(("mapping", "status_after"), [
    pytest.param(None, "cancel-request", id="default-mapping-leaves-the-status"),
    pytest.param({"status_after": {"return": {"approve": "return-approved"}}}, "return-approved",
                 id="the-stores-return-status"),
])
def test_a_statutory_cancel_of_a_delivered_order_is_written_as_an_approved_return(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, mapping: dict[str, Any] | None, status_after: str
) -> None:
    fake = fake_woocommerce
    store_id = install(app, fake, "kestia")
    if mapping is not None:
        with storage_of(app).transaction() as session:
            session.get_one(Store, store_id).status_mapping = mapping
        fake.state.statuses |= {"return-approved"}
    order = fake.state.add_order(created=PLACED, lines=[
        {"name": "Silver bracelet", "price": "85.00", "meta": {"_reduced_stock": "1"}},
        {"name": "Rose quartz pendant", "price": "49.00", "meta": {"_reduced_stock": "1"}}], shipping="6.90")
    deliver(base_url, fake, "order.created", order["id"])
    move(base_url, fake, order["id"], "completed", "2026-03-03T10:00:00")
    move(base_url, fake, order["id"], "delivered", "2026-03-05T10:00:00")
    run_worker(app)
    move(base_url, fake, order["id"], "cancel-request", "2026-03-10T10:00:00")  # 3 working days after receipt
    run_worker(app)

    with storage_of(app).sessions() as session:
        [decision] = session.scalars(select(DecisionRecord.document)).all()
    assert (decision["outcome"], decision["judged_as"]) == ("approve", "return")
    assert (decision["refund"]["items"], decision["refund"]["shipping"], decision["refund"]["total"]) == (
        "134.00", "0.00", "134.00")
    [refund] = fake.state.refunds[order["id"]]
    assert refund["amount"] == "134.00"
    [made] = fake.calls("POST", r"orders/\d+/refunds")
    assert {item["id"] for item in made.body["line_items"]} == {line["id"] for line in order["line_items"]}
    assert made.body["api_restock"] is False
    assert (fake.state.restocked, fake.state.restocked_items) == ([], [])  # the goods are still with the customer
    assert fake.state.order(order["id"])["status"] == status_after
    assert refund["reason"].startswith("Your cancellation request has been approved.")
    assert fake.state.emails == [("customer_refunded_order", order["id"])], "one email, WooCommerce's refund email"
