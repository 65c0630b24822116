"""WooCommerce end-to-end fixtures: a client of the fake site (the fake itself is in ../conftest.py)."""

from __future__ import annotations

import pytest

from connector.woocommerce.api import RetryPolicy, WooCommerceApi

from ..fakes.woocommerce import FakeWooCommerce


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def woo_api(fake_woocommerce: FakeWooCommerce, sleeps: list[float]) -> WooCommerceApi:
    """A client of the fake that times out fast and records its backoff instead of sleeping."""
    return WooCommerceApi(fake_woocommerce.url, fake_woocommerce.consumer_key, fake_woocommerce.consumer_secret,
                          timeout_seconds=0.5, retry=RetryPolicy(max_attempts=3), sleep=sleeps.append)
