"""What the WooCommerce end-to-end tests do, step by step: install a store, deliver webhooks, run the worker."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
from flask import Flask
from rq import SimpleWorker

from connector.woocommerce.verify import sign
from jobs.queue import RedisQueue, queue_of
from policies.presets import preset_document
from storage.db import storage_of
from storage.models import Store
from storage.repositories import add_woocommerce_store, set_policy

from ..fakes.woocommerce import FakeWooCommerce


def install(app: Flask, fake: FakeWooCommerce, preset: str = "pristine-crystals") -> int:
    """The fake site as a WooCommerce store of Assay's with the preset's policy; returns the store id."""
    storage = storage_of(app)
    with storage.transaction() as session:
        store = add_woocommerce_store(session, storage.cipher, url=fake.url, consumer_key=fake.consumer_key,
                                      consumer_secret=fake.consumer_secret, webhook_secret=fake.webhook_secret)
        set_policy(session, store.id, preset_document(preset) or {})
        return store.id


def store_of(app: Flask, store_id: int) -> Store:
    with storage_of(app).sessions() as session:
        return session.get_one(Store, store_id)


def deliver(base_url: str, fake: FakeWooCommerce, topic: str, order_id: int, times: int = 1) -> list[int]:
    """POST the site's webhook for the order as it is now, `times` times (a repeated delivery); the statuses."""
    body, headers = fake.delivery(topic, order_id)
    return [httpx.post(f"{base_url}/webhooks/woocommerce", content=body, headers=headers).status_code
            for _ in range(times)]


def placed_order(app: Flask, base_url: str, fake: FakeWooCommerce, preset: str = "pristine-crystals",
                 **order: Any) -> int:
    """A store on `preset`, and an order on its site (as fake.state.add_order takes it) Assay has seen placed."""
    install(app, fake, preset)
    order_id: int = fake.state.add_order(**order)["id"]
    assert deliver(base_url, fake, "order.created", order_id) == [200]
    run_worker(app)
    return order_id


def move(base_url: str, fake: FakeWooCommerce, order_id: int, status: str, at: str) -> None:
    """The order moves to `status` at `at` (UTC) and the site sends its order.updated webhook."""
    fake.state.set_status(order_id, status, at)
    assert deliver(base_url, fake, "order.updated", order_id) == [200]


def form_for(order: dict[str, Any], **changes: str) -> dict[str, str]:
    """The storefront request form for `order`, filled in as its customer would (a cancel, unless changed)."""
    return {"order_number": order["number"], "email": order["billing"]["email"], "order_key": order["order_key"],
            "kind": "cancel", "note": "Ordered twice by mistake", **changes}


def run_worker(app: Flask) -> None:
    """A real RQ worker in burst mode: it runs every queued job (and the jobs they queue), then stops."""
    queue = queue_of(app)
    assert isinstance(queue, RedisQueue)
    with app.app_context():
        SimpleWorker(queue.listening(), connection=queue.connection).work(burst=True)
    assert not any(q.failed_job_registry.count for q in queue.listening()), "a job failed; see the captured log"


def signed(base_url: str, store_id: int, secret: str, path: str, body: bytes = b"", *, method: str = "POST",
           at: int | None = None, nonce: str | None = None) -> httpx.Response:
    """A request to Assay signed as the store's plugin signs it."""
    stamp, nonce = at or int(time.time()), nonce or secrets.token_urlsafe(16)
    headers = {"X-Assay-Store": str(store_id), "X-Assay-Timestamp": str(stamp), "X-Assay-Nonce": nonce,
               "X-Assay-Signature": sign(secret, method, path, stamp, nonce, body)}
    return httpx.request(method, f"{base_url}{path}", content=body, headers=headers)
