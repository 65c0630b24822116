"""A WooCommerce site that hangs delays no other store's webhooks: no platform is called on a request's path.

While one store's site hangs every call and its customers keep posting the storefront form and the site keeps
sending webhooks, another store's signed Shopify webhooks are answered as fast as without the hanging site:
the slowest of them is within 100 ms of the slowest answer measured, in the same run, with nothing hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from flask import Flask

from .fakes.shopify import FakeShopify
from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import install as install_shopify
from .shopify_app import post_webhook
from .woocommerce.steps import deliver, form_for
from .woocommerce.steps import install as install_woocommerce

pytestmark = pytest.mark.integration

WEBHOOKS = 20
ALLOWED_DELAY_SECONDS = 0.1


def slowest_answer(base_url: str, fake: FakeShopify, label: str) -> float:
    """The slowest of WEBHOOKS signed Shopify deliveries for the healthy store, each answered 200."""
    slowest = 0.0
    for number in range(WEBHOOKS):
        payload = {"id": 5000 + number, "admin_graphql_api_id": f"gid://shopify/Order/{5000 + number}"}
        started = time.perf_counter()
        answer = post_webhook(base_url, fake, "orders/create", payload, f"{label}-{number}")
        slowest = max(slowest, time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return slowest


def keep_busy(stop: threading.Event, work: Callable[[], object]) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(0.05):  # a steady stream, 20 a second, not a flood
            work()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_a_hanging_woocommerce_site_delays_no_webhook_of_another_store(
    app: Flask, base_url: str, fake_shopify: FakeShopify, fake_woocommerce: FakeWooCommerce
) -> None:
    install_shopify(app, fake_shopify, "pristine-crystals")
    store_id = install_woocommerce(app, fake_woocommerce, "kestia")
    order = fake_woocommerce.state.add_order()
    httpx.get(f"{base_url}/health")  # the app's first request pays its own start-up, in neither measurement

    def the_other_store_while_its_site(hangs: bool, label: str) -> tuple[float, list[object]]:
        """Its customers post the form and its site sends webhooks throughout; the same traffic either way."""
        if hangs:
            fake_woocommerce.hang_seconds = 5.0
            fake_woocommerce.fail_next(1000, "hang")  # every call the site gets, while this lasts
        fake_woocommerce.requests.clear()
        stop = threading.Event()
        busy = [
            keep_busy(stop, lambda: httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request",
                                               data=form_for(order), timeout=10)),
            keep_busy(stop, lambda: deliver(base_url, fake_woocommerce, "order.updated", order["id"])),
        ]
        try:
            slowest = slowest_answer(base_url, fake_shopify, label)
            called = list(fake_woocommerce.requests)  # no worker runs here: any call came from a request's path
        finally:
            stop.set()
            if hangs:
                fake_woocommerce.reset()  # releases anything still hanging (and forgets the site's orders)
            for thread in busy:
                thread.join(timeout=15)
        return slowest, called

    without_hang, _ = the_other_store_while_its_site(hangs=False, label="calm")  # first: the hang resets the site
    with_hang, called = the_other_store_while_its_site(hangs=True, label="hanging")

    assert called == []
    assert with_hang - without_hang <= ALLOWED_DELAY_SECONDS, (without_hang, with_hang)
