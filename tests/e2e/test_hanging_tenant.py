"""A store whose platform hangs or answers 5xx barely delays another store's write-backs (issue 21, hole 3).

Two real `assay worker` processes and the clock, as the Procfile runs them, on a Redis of the test's own. A calm
Shopify shop's returns are asked one every few tenths of a second, first alone, then while another store's
platform fails — a Shopify shop that hangs every call, or a WooCommerce site that hangs or answers 5xx — and that
store keeps sending webhooks (and its customers the storefront form) throughout. The calm shop's returns, from
webhook to write-back done, have a p95 within twice their p95 alone plus a second, measured in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from support.own_redis import OwnRedis

from storage.db import storage_of
from storage.models import Action, CaseRecord, Event

from .fakes.shopify_chaos import FlakyShopify
from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import install, order_created, post_webhook, return_payload, run_worker
from .test_flaky_shopify import actions_of, recent_order, wait_until
from .woocommerce.steps import deliver, form_for
from .woocommerce.steps import install as install_woocommerce
from .worker_process import assay_environment, kill_worker, needs_proc, start_clock, start_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKERS = 2  # the Procfile's
RETURNS = int(os.environ.get("ASSAY_TENANT_RETURNS", 12))  # the calm shop's, in each phase (bench: more)
FIGURES = os.environ.get("ASSAY_TENANT_FIGURES")  # bench/hanging_tenant.py: where the figures go, a JSON line each
SPACING_SECONDS = 0.3
TIMEOUT_SECONDS = 3.0  # the platforms' read timeout in this test: the onset of a hang costs one
WRITTEN_WITHIN_SECONDS = 30.0
FAILING_LOAD_EVERY_SECONDS = 0.2


@pytest.fixture
def redis_url(own_redis: OwnRedis) -> str:
    return own_redis.url


@pytest.fixture
def calm() -> Iterator[FlakyShopify]:
    fake = FlakyShopify("calm.myshopify.com", "shpat_calm", seed=1).start()
    # A bucket that never runs dry: the figures are of waiting for a worker, not for Shopify's rate limit.
    fake.maximum_available = fake.restore_rate = 1_000_000.0
    fake.reset()
    yield fake
    fake.stop()


@pytest.fixture
def hanging_shop() -> Iterator[FlakyShopify]:
    fake = FlakyShopify("hanging.myshopify.com", "shpat_hanging", seed=7).start()
    yield fake
    fake.release()
    fake.stop()


def percentile(values: list[float], share: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked)) - 1))]


def ask_and_time(app: Flask, base_url: str, fake: FlakyShopify, orders: list[Any], label: str) -> list[float]:
    """Each order's return asked in turn, a signed webhook every SPACING_SECONDS; seconds from each webhook's
    arrival to its write-back done."""
    asked = []
    for number, order in enumerate(orders):
        return_gid = fake.seed_return(order, [{"reason": "changed-my-mind"}])
        payload = return_payload(fake, return_gid, order.gid, "unwanted")
        answer = post_webhook(base_url, fake, "returns/request", payload, f"{label}-{number}",
                              triggered_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert answer.status_code == 200
        asked.append(return_gid)
        time.sleep(SPACING_SECONDS)

    def latencies() -> dict[str, float]:
        with storage_of(app).sessions() as session:
            received = {e.payload["admin_graphql_api_id"]: e.received_at
                        for e in session.scalars(select(Event).where(Event.topic == "returns/request"))}
            cases = {c.id: c.document["platform"]["return_gid"] for c in session.scalars(select(CaseRecord))}
        done: dict[str, list[Action]] = {}
        for action in actions_of(app, fake.shop_domain):
            done.setdefault(cases[action.case_id], []).append(action)
        return {gid: max((a.done_at - received[gid]).total_seconds() for a in done[gid])  # type: ignore[operator]
                for gid in asked if gid in done and all(a.done_at for a in done[gid])}

    wait_until(lambda: len(latencies()) == len(asked), WRITTEN_WITHIN_SECONDS)
    found = latencies()
    assert len(found) == len(asked), f"{label}: {len(found)} of {len(asked)} written within {WRITTEN_WITHIN_SECONDS} s"
    return list(found.values())


def keep_failing_store_busy(stop: threading.Event, send: Callable[[int], object]) -> threading.Thread:
    def loop() -> None:
        number = 0
        while not stop.wait(FAILING_LOAD_EVERY_SECONDS):
            send(number)
            number += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


@needs_proc
@pytest.mark.parametrize("failing", ["shopify-hangs", "woocommerce-hangs", "woocommerce-5xx"])
def test_another_stores_write_backs_are_as_quick_beside_a_failing_platform(
        failing: str, app: Flask, base_url: str, calm: FlakyShopify, hanging_shop: FlakyShopify,
        fake_woocommerce: FakeWooCommerce, own_redis: OwnRedis, storage_url: str, encryption_keys: str,
        queue_name: str, tmp_path: Path) -> None:
    install(app, calm, "pristine-crystals")
    install(app, hanging_shop, "pristine-crystals")
    site_id = install_woocommerce(app, fake_woocommerce, "kestia")
    site_order = fake_woocommerce.state.add_order()
    orders = [calm.seed_order(recent_order()) for _ in range(2 * RETURNS + 1)]
    shop_orders = [hanging_shop.seed_order(recent_order()) for _ in range(4)]
    for order in orders:
        order_created(base_url, calm, order.gid)
    for order in shop_orders:
        order_created(base_url, hanging_shop, order.gid)
    run_worker(app, settle_seconds=30)

    environment = assay_environment(storage_url, own_redis.url, encryption_keys, queue_name,
                                    SHOPIFY_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
                                    WOOCOMMERCE_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
                                    ASSAY_RELAY_INTERVAL_SECONDS="1", ASSAY_POLL_INTERVAL_SECONDS="3600")
    processes = [start_worker(environment, str(tmp_path / f"worker-{n}.log")) for n in range(WORKERS)]
    processes.append(start_clock(environment))
    stop = threading.Event()
    try:
        ask_and_time(app, base_url, calm, orders[:1], "warm-up")
        alone = ask_and_time(app, base_url, calm, orders[1:RETURNS + 1], "alone")

        if failing == "shopify-hangs":
            hanging_shop.hang()

            def send(number: int) -> object:
                order = shop_orders[number % len(shop_orders)]
                return_gid = hanging_shop.seed_return(order, [{"reason": "changed-my-mind"}])
                return post_webhook(base_url, hanging_shop, "returns/request",
                                    return_payload(hanging_shop, return_gid, order.gid, "unwanted"),
                                    f"failing-{number}")
        else:
            fake_woocommerce.hang_seconds = 120.0
            fake_woocommerce.fail_next(100_000, "hang" if failing == "woocommerce-hangs" else "5xx")

            def send(number: int) -> object:
                if number % 2:
                    return httpx.post(f"{base_url}/forms/woocommerce/{site_id}/request", data=form_for(site_order),
                                      timeout=10)
                return deliver(base_url, fake_woocommerce, "order.updated", site_order["id"])

        busy = keep_failing_store_busy(stop, send)
        time.sleep(TIMEOUT_SECONDS + 1)  # the onset: the calls that meet the hang first each wait one timeout
        beside = ask_and_time(app, base_url, calm, orders[RETURNS + 1:], "beside")
        stop.set()
        busy.join(timeout=15)
    finally:
        stop.set()
        hanging_shop.release()
        fake_woocommerce.reset()
        for process in processes:
            kill_worker(process)

    figures = {name: (round(statistics.median(values), 2), round(percentile(values, 0.95), 2))
               for name, values in (("alone", alone), ("beside", beside))}
    print(f"{failing}: write-back p50/p95 alone {figures['alone']}, beside the failing store {figures['beside']}")
    if FIGURES:
        with open(FIGURES, "a") as out:
            out.write(json.dumps({"failing": failing, "alone": alone, "beside": beside}) + "\n")
    assert figures["beside"][1] <= 2 * figures["alone"][1] + 1.0, figures
