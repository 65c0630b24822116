"""Shopify end to end: signed webhooks to the running app, a real RQ worker on Redis, the fake Admin API.

Each test asserts exactly which mutations reach the fake, and that they reach it once.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from flask import Flask
from support.settings import change_settings

from cli.main import cli
from jobs.actions import reconcile_actions
from storage.db import storage_of
from storage.models import Action, CaseRecord, DecisionRecord

from .fakes.shopify import FakeShopify
from .shopify_app import (
    ORDER,
    SECRET,
    ask_return,
    mutations,
    numeric,
    placed_order,
    post_webhook,
    proxy_url,
    return_payload,
    run_worker,
)
from .worker_process import kill_worker, needs_proc, start_worker

# What a change-of-mind return of an unused, full-price necklace on day 5 after receipt becomes, per preset:
# an approved return is approved, then processed with its refund.
APPROVED = ["ReturnApproveRequest", "ReturnProcess"]
RETURN_WRITES = [
    ("pristine-crystals", APPROVED, None),
    ("kestia", APPROVED, None),
    ("passione-kustom", ["ReturnDeclineRequest"], "OTHER"),
    ("five-elements-link", ["ReturnDeclineRequest"], "OTHER"),
    ("pandorana", ["TagsAdd", "OrderNoteUpdate"], None),
]


@pytest.mark.parametrize(("preset", "expected", "decline_reason"), RETURN_WRITES)
def test_a_return_request_is_written_back_as_its_preset_says_once(
        app: Flask, base_url: str, fake_shopify: FakeShopify, preset: str, expected: list[str],
        decline_reason: str | None) -> None:
    order = placed_order(app, base_url, fake_shopify, preset, ORDER)
    return_gid = fake_shopify.seed_return(order, [{"reason": "changed-my-mind"}])
    payload = return_payload(fake_shopify, return_gid, order.gid, "unwanted")

    # The same delivery three times at once: acknowledged each time, acted on once.
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(
        post_webhook(base_url, fake_shopify, "returns/request", payload, "return-1").status_code)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200, 200]
    run_worker(app)
    run_worker(app)

    assert mutations(fake_shopify) == expected
    if decline_reason:
        declined = fake_shopify.operations("ReturnDeclineRequest")[0].variables
        assert declined["declineReason"] == decline_reason
        assert declined["notifyCustomer"] is True
        assert "returns" in declined["declineNote"].lower()
    if "ReturnApproveRequest" in expected:
        approved = fake_shopify.operations("ReturnApproveRequest")[0].variables
        assert (approved["id"], approved["notifyCustomer"]) == (return_gid, True)


def test_a_sale_item_return_is_declined_as_final_sale_with_the_reason_as_the_note(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    on_sale = {**ORDER, "lines": [{**ORDER["lines"][0], "compare_at_price": "69.00"}]}
    order = placed_order(app, base_url, fake_shopify, "pristine-crystals", on_sale)
    ask_return(base_url, fake_shopify, order, "return-sale")
    run_worker(app)

    assert mutations(fake_shopify) == ["ReturnDeclineRequest"]
    declined = fake_shopify.operations("ReturnDeclineRequest")[0].variables
    assert declined["declineReason"] == "FINAL_SALE"
    assert declined["declineNote"] == "Sale items are non-returnable."


# A cancellation 3 hours after placing, before anything was sent, per preset.
CANCEL_WRITES = [
    ("pristine-crystals", ["OrderCancel"]),  # "Orders may be cancelled within 24 hours of placement."
    ("kestia", ["OrderCancel"]),  # the statutory right to cancel covers an order not yet sent
    ("pandorana", ["TagsAdd", "OrderNoteUpdate"]),  # "we will do our best": a person confirms
    ("passione-kustom", ["TagsAdd", "OrderNoteUpdate"]),  # the policy is silent: the merchant decides
    ("five-elements-link", ["TagsAdd", "OrderNoteUpdate"]),
]


@pytest.mark.parametrize(("preset", "expected"), CANCEL_WRITES)
def test_a_customer_cancels_through_the_app_proxy_and_it_is_written_back_once(
        app: Flask, base_url: str, fake_shopify: FakeShopify, preset: str, expected: list[str]) -> None:
    placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    order = placed_order(app, base_url, fake_shopify, preset, {
        **ORDER, "placed_at": placed, "fulfilled_at": None, "delivered_at": None,
        "lines": [{"unit_price": "49.00", "fulfilled_quantity": 0}]})

    form = {"order_id": str(numeric(order.gid))}
    first = httpx.post(proxy_url(base_url, fake_shopify.shop_domain, "777"), data=form)
    again = httpx.post(proxy_url(base_url, fake_shopify.shop_domain, "777"), data=form)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["case_id"] == again.json()["case_id"]
    run_worker(app)
    run_worker(app)

    assert mutations(fake_shopify) == expected
    if expected == ["OrderCancel"]:
        sent = fake_shopify.operations("OrderCancel")[0]
        assert sent.variables["orderId"] == order.gid
        assert (sent.variables.get("restock", True), sent.variables.get("notifyCustomer", True)) == (True, True)
        assert "originalPaymentMethodsRefund: true" in sent.query  # refunded to the original payment


@pytest.mark.parametrize(("customer", "status"), [(None, 401), ("999", 404)])
def test_the_app_proxy_refuses_a_guest_or_someone_elses_order(
        app: Flask, base_url: str, fake_shopify: FakeShopify, customer: str | None, status: int) -> None:
    order = placed_order(app, base_url, fake_shopify, "pristine-crystals", ORDER)
    answer = httpx.post(proxy_url(base_url, fake_shopify.shop_domain, customer),
                        data={"order_id": str(numeric(order.gid))})
    assert answer.status_code == status
    assert mutations(fake_shopify) == []


def test_a_request_that_came_before_the_store_had_a_policy_is_decided_once_one_is_saved(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order = placed_order(app, base_url, fake_shopify, None, ORDER)
    ask_return(base_url, fake_shopify, order, "return-before-policy")
    run_worker(app)
    assert mutations(fake_shopify) == []
    with storage_of(app).sessions() as session:
        assert session.query(CaseRecord).one().status == "open"  # waiting, not lost

    saved = app.test_cli_runner().invoke(cli, ["policy", "set", "--domain", fake_shopify.shop_domain,
                                               "--preset", "pristine-crystals"])
    assert saved.exit_code == 0, saved.output
    run_worker(app)
    app.test_cli_runner().invoke(cli, ["policy", "set", "--domain", fake_shopify.shop_domain, "--preset", "kestia"])
    run_worker(app)  # a later policy finds nothing waiting: a decided case stays decided

    assert mutations(fake_shopify) == APPROVED
    with storage_of(app).sessions() as session:
        assert [d.policy_version for d in session.query(DecisionRecord)] == ["pristine-crystals@1"]


def test_a_write_interrupted_mid_job_is_finished_by_reconcile_without_a_second_mutation(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order = placed_order(app, base_url, fake_shopify, "pristine-crystals", ORDER)
    # Shopify approves, but the answer never arrives: the worker gives up (as if it had died mid-job).
    fake_shopify.fail_next(1, "hang_after_execute", operation="ReturnApproveRequest")
    ask_return(base_url, fake_shopify, order, "return-hang")
    run_worker(app)

    change_settings(app, ACTION_LEASE_SECONDS=0)  # the dead worker's lease has run out
    with app.app_context():
        reconcile_actions()
    assert mutations(fake_shopify) == APPROVED
    with storage_of(app).sessions() as session:
        assert [a.state for a in session.query(Action)] == ["done"]
        assert session.query(DecisionRecord).one().outcome == "approve"
        assert session.query(CaseRecord).one().status == "decided"


@needs_proc
def test_a_worker_process_killed_mid_write_leaves_nothing_written_twice(
        app: Flask, base_url: str, fake_shopify: FakeShopify, storage_url: str, encryption_keys: str,
        redis_url: str, queue_name: str) -> None:
    order = placed_order(app, base_url, fake_shopify, "pristine-crystals", ORDER)
    fake_shopify.fail_next(1, "hang_after_execute", operation="ReturnApproveRequest")
    ask_return(base_url, fake_shopify, order, "return-kill")

    worker = start_worker({"DATABASE_URL": storage_url, "REDIS_URL": redis_url,
                           "ASSAY_ENCRYPTION_KEYS": encryption_keys, "SHOPIFY_API_SECRET": SECRET,
                           "RQ_QUEUE": queue_name, "SHOPIFY_TIMEOUT_SECONDS": "30"})
    try:
        deadline = time.monotonic() + 20
        while not fake_shopify.operations("ReturnApproveRequest") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake_shopify.operations("ReturnApproveRequest"), "the worker never reached the write"
    finally:
        kill_worker(worker)  # mid-job: Shopify has approved, the worker never heard back

    change_settings(app, ACTION_LEASE_SECONDS=0)
    with app.app_context():
        assert reconcile_actions() == 1
    assert mutations(fake_shopify) == APPROVED
    with storage_of(app).sessions() as session:
        assert [a.state for a in session.query(Action)] == ["done"]
