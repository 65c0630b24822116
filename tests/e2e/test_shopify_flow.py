"""Shopify end to end: signed webhooks to the running app, a real RQ worker on Redis, the fake Admin API.

Each test asserts exactly which mutations reach the fake, and that they reach it once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from support.signing import sign
from werkzeug.serving import make_server

from jobs.actions import reconcile_actions
from jobs.queue import RedisQueue, queue_of
from policies.presets import preset_document
from storage.db import Storage, storage_of
from storage.models import Action, CaseRecord, DecisionRecord
from storage.repositories import add_shopify_store, set_policy
from webhooks.app import create_app

from .fakes.shopify import FakeShopify

ASSAY = os.path.join(os.path.dirname(sys.executable), "assay")

SECRET = "shpss_e2e_secret"
MUTATIONS = ("OrderCancel", "ReturnApproveRequest", "ReturnDeclineRequest", "TagsAdd", "OrderNoteUpdate")

# A necklace bought on 2 March, delivered on the 5th; the customer asks on the 10th (day 5 after receipt).
ORDER = {
    "placed_at": "2026-03-02T09:00:00Z", "fulfilled_at": "2026-03-03T08:00:00Z",
    "delivered_at": "2026-03-05T10:00:00Z", "country": "DE", "currency": "EUR", "shipping": {"amount": "6.90"},
    "lines": [{"title": "Rose quartz pendant", "unit_price": "49.00", "fulfilled_quantity": 1}],
    "customer_id": 777,
}
ASKED_AT = "2026-03-10T10:00:00Z"


@pytest.fixture
def queue_name(redis_url: str) -> Iterator[str]:
    """A queue of this test's own, so other test runs sharing the Redis never take or drop its jobs."""
    name = f"assay-test-{uuid.uuid4().hex[:12]}"
    yield name
    Queue(name, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)


@pytest.fixture
def app(storage: Storage, storage_url: str, encryption_keys: str, redis_url: str, queue_name: str) -> Iterator[Flask]:
    made = create_app({"DATABASE_URL": storage_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys,
                       "REDIS_URL": redis_url, "RQ_QUEUE": queue_name, "SHOPIFY_API_SECRET": SECRET,
                       "SHOPIFY_TIMEOUT_SECONDS": 0.5, "TESTING": True})
    yield made
    storage_of(made).dispose()


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def install(app: Flask, fake: FakeShopify, preset: str) -> None:
    storage = storage_of(app)
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain=fake.shop_domain, access_token=fake.access_token,
                                  api_base_url=fake.origin)
        set_policy(session, store.id, preset_document(preset) or {})


def run_worker(app: Flask) -> None:
    """A real RQ worker, in burst mode: it runs every queued job (and the jobs they queue), then stops."""
    queue = queue_of(app)
    assert isinstance(queue, RedisQueue)
    with app.app_context():
        SimpleWorker([queue.queue], connection=queue.queue.connection).work(burst=True)


def post_webhook(base_url: str, fake: FakeShopify, topic: str, payload: dict[str, Any], delivery: str,
                 triggered_at: str = ASKED_AT) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Hmac-Sha256": sign(SECRET, body), "X-Shopify-Topic": topic,
               "X-Shopify-Shop-Domain": fake.shop_domain, "X-Shopify-Webhook-Id": delivery,
               "X-Shopify-Triggered-At": triggered_at, "Content-Type": "application/json"}
    return httpx.post(f"{base_url}/webhooks/shopify", content=body, headers=headers)


def numeric(gid: str) -> int:
    return int(gid.rsplit("/", 1)[1])


def order_created(base_url: str, fake: FakeShopify, order_gid: str) -> None:
    payload = {"id": numeric(order_gid), "admin_graphql_api_id": order_gid}
    assert post_webhook(base_url, fake, "orders/create", payload, f"create-{order_gid}").status_code == 200


def return_payload(fake: FakeShopify, return_gid: str, order_gid: str, reason: str) -> dict[str, Any]:
    line = fake.return_(return_gid)["returnLineItems"](None)["nodes"][0]
    fulfillment_line = line["fulfillmentLineItem"]
    return {
        "id": numeric(return_gid), "admin_graphql_api_id": return_gid, "status": "requested",
        "order": {"id": numeric(order_gid), "admin_graphql_api_id": order_gid},
        "return_line_items": [{
            "id": numeric(line["id"]), "admin_graphql_api_id": line["id"], "quantity": 1,
            "fulfillment_line_item": {"id": numeric(fulfillment_line["id"]),
                                      "line_item": {"id": numeric(fulfillment_line["lineItem"]["id"])}},
            "return_reason": reason, "return_reason_note": "", "customer_note": "",
        }],
    }


def mutations(fake: FakeShopify) -> list[str]:
    return [r.operation_name or "" for r in fake.operations() if r.operation_name in MUTATIONS]


# What a change-of-mind return of an unused, full-price necklace on day 5 after receipt becomes, per preset.
RETURN_WRITES = [
    ("pristine-crystals", ["ReturnApproveRequest"], None),
    ("kestia", ["ReturnApproveRequest"], None),
    ("passione-kustom", ["ReturnDeclineRequest"], "OTHER"),
    ("five-elements-link", ["ReturnDeclineRequest"], "OTHER"),
    ("pandorana", ["TagsAdd", "OrderNoteUpdate"], None),
]


@pytest.mark.parametrize(("preset", "expected", "decline_reason"), RETURN_WRITES)
def test_a_return_request_is_written_back_as_its_preset_says_once(
        app: Flask, base_url: str, fake_shopify: FakeShopify, preset: str, expected: list[str],
        decline_reason: str | None) -> None:
    install(app, fake_shopify, preset)
    order = fake_shopify.seed_order(ORDER)
    order_created(base_url, fake_shopify, order.gid)
    run_worker(app)
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
    install(app, fake_shopify, "pristine-crystals")
    on_sale = {**ORDER, "lines": [{**ORDER["lines"][0], "compare_at_price": "69.00"}]}
    order = fake_shopify.seed_order(on_sale)
    order_created(base_url, fake_shopify, order.gid)
    run_worker(app)
    return_gid = fake_shopify.seed_return(order, [{"reason": "changed-my-mind"}])
    post_webhook(base_url, fake_shopify, "returns/request",
                 return_payload(fake_shopify, return_gid, order.gid, "unwanted"), "return-sale")
    run_worker(app)

    assert mutations(fake_shopify) == ["ReturnDeclineRequest"]
    declined = fake_shopify.operations("ReturnDeclineRequest")[0].variables
    assert declined["declineReason"] == "FINAL_SALE"
    assert declined["declineNote"] == "Sale items are non-returnable."


def proxy_url(base_url: str, shop: str, customer_id: str | None) -> str:
    """An app-proxy request as Shopify forwards it: its query string signed with the app's secret."""
    import hashlib
    import hmac

    params = {"shop": shop, "path_prefix": "/apps/assay", "timestamp": str(int(datetime.now(UTC).timestamp()))}
    if customer_id is not None:
        params["logged_in_customer_id"] = customer_id
    message = "".join(f"{key}={params[key]}" for key in sorted(params))
    params["signature"] = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{base_url}/proxy/shopify/cancel?{urllib.parse.urlencode(params)}"


def test_a_customer_cancels_through_the_app_proxy_within_24_hours_and_the_order_is_cancelled_once(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    install(app, fake_shopify, "pristine-crystals")
    placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    order = fake_shopify.seed_order({**ORDER, "placed_at": placed, "fulfilled_at": None, "delivered_at": None,
                                     "lines": [{"unit_price": "49.00", "fulfilled_quantity": 0}]})
    order_created(base_url, fake_shopify, order.gid)
    run_worker(app)

    form = {"order_id": str(numeric(order.gid))}
    first = httpx.post(proxy_url(base_url, fake_shopify.shop_domain, "777"), data=form)
    again = httpx.post(proxy_url(base_url, fake_shopify.shop_domain, "777"), data=form)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["case_id"] == again.json()["case_id"]
    run_worker(app)

    assert mutations(fake_shopify) == ["OrderCancel"]
    cancel = fake_shopify.operations("OrderCancel")[0].variables
    assert cancel["orderId"] == order.gid


@pytest.mark.parametrize(("customer", "status"), [(None, 401), ("999", 404)])
def test_the_app_proxy_refuses_a_guest_or_someone_elses_order(
        app: Flask, base_url: str, fake_shopify: FakeShopify, customer: str | None, status: int) -> None:
    install(app, fake_shopify, "pristine-crystals")
    order = fake_shopify.seed_order(ORDER)
    order_created(base_url, fake_shopify, order.gid)
    run_worker(app)
    answer = httpx.post(proxy_url(base_url, fake_shopify.shop_domain, customer),
                        data={"order_id": str(numeric(order.gid))})
    assert answer.status_code == status
    assert mutations(fake_shopify) == []


def test_a_write_interrupted_mid_job_is_finished_by_reconcile_without_a_second_mutation(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    install(app, fake_shopify, "pristine-crystals")
    order = fake_shopify.seed_order(ORDER)
    order_created(base_url, fake_shopify, order.gid)
    run_worker(app)
    return_gid = fake_shopify.seed_return(order, [{"reason": "changed-my-mind"}])
    # Shopify approves, but the answer never arrives: the worker gives up (as if it had died mid-job).
    fake_shopify.fail_next(1, "hang_after_execute", operation="ReturnApproveRequest")
    post_webhook(base_url, fake_shopify, "returns/request",
                 return_payload(fake_shopify, return_gid, order.gid, "unwanted"), "return-hang")
    run_worker(app)

    app.config["ACTION_LEASE_SECONDS"] = 0  # the dead worker's lease has run out
    with app.app_context():
        reconcile_actions()
    assert mutations(fake_shopify) == ["ReturnApproveRequest"]
    with storage_of(app).sessions() as session:
        assert [a.state for a in session.query(Action)] == ["done"]
        assert session.query(DecisionRecord).one().outcome == "approve"
        assert session.query(CaseRecord).one().status == "decided"


def test_a_worker_process_killed_mid_write_leaves_nothing_written_twice(
        app: Flask, base_url: str, fake_shopify: FakeShopify, storage_url: str, encryption_keys: str,
        redis_url: str, queue_name: str) -> None:
    install(app, fake_shopify, "pristine-crystals")
    order = fake_shopify.seed_order(ORDER)
    order_created(base_url, fake_shopify, order.gid)
    run_worker(app)
    return_gid = fake_shopify.seed_return(order, [{"reason": "changed-my-mind"}])
    fake_shopify.fail_next(1, "hang_after_execute", operation="ReturnApproveRequest")
    post_webhook(base_url, fake_shopify, "returns/request",
                 return_payload(fake_shopify, return_gid, order.gid, "unwanted"), "return-kill")

    environment = {**os.environ, "DATABASE_URL": storage_url, "REDIS_URL": redis_url,
                   "ASSAY_ENCRYPTION_KEYS": encryption_keys, "SHOPIFY_API_SECRET": SECRET, "RQ_QUEUE": queue_name,
                   "SHOPIFY_TIMEOUT_SECONDS": "30"}
    worker = subprocess.Popen([str(ASSAY), "worker"], env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not fake_shopify.operations("ReturnApproveRequest") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake_shopify.operations("ReturnApproveRequest"), "the worker never reached the write"
    finally:
        worker.kill()  # mid-job: Shopify has approved, the worker never heard back
        worker.wait()

    app.config["ACTION_LEASE_SECONDS"] = 0
    with app.app_context():
        assert reconcile_actions() == 1
    assert mutations(fake_shopify) == ["ReturnApproveRequest"]
    with storage_of(app).sessions() as session:
        assert [a.state for a in session.query(Action)] == ["done"]
