"""End-to-end fixtures: the fake Shopify Admin API over real HTTP, and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.shopify.admin_api import AdminApi, RetryPolicy

from .fakes.shopify import FakeShopify


@pytest.fixture(scope="session")
def fake_shopify_server() -> Iterator[FakeShopify]:
    fake = FakeShopify().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_shopify(fake_shopify_server: FakeShopify) -> Iterator[FakeShopify]:
    """The running fake, emptied before and after each test (state, faults, log, throttle bucket)."""
    fake_shopify_server.reset()
    yield fake_shopify_server
    fake_shopify_server.reset()


@pytest.fixture
def sleeps(fake_shopify: FakeShopify) -> list[float]:
    """What the client slept; sleeping moves the fake's clock instead of waiting."""
    return []


@pytest.fixture
def admin_api(fake_shopify: FakeShopify, sleeps: list[float]) -> Iterator[AdminApi]:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        fake_shopify.advance_clock(seconds)

    with AdminApi(
        fake_shopify.shop_domain,
        fake_shopify.access_token,
        admin_origin=fake_shopify.origin,
        timeout_seconds=0.5,
        retry=RetryPolicy(max_attempts=4, backoff_base_seconds=0.5),
        sleep=sleep,
    ) as api:
        yield api
