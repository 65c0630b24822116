"""WooCommerce end-to-end fixtures: the fake site over HTTPS, the app on a real port, a real RQ worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.woocommerce.client import RetryPolicy, WooCommerceApi

from ..fakes.woocommerce import FakeWooCommerce


@pytest.fixture(scope="session")
def fake_woocommerce_server() -> Iterator[FakeWooCommerce]:
    fake = FakeWooCommerce().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_woocommerce(fake_woocommerce_server: FakeWooCommerce, monkeypatch: pytest.MonkeyPatch
                     ) -> Iterator[FakeWooCommerce]:
    """The running fake, emptied before and after each test; `requests` trusts its certificate meanwhile."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake_woocommerce_server.certificate.cert_path)
    fake_woocommerce_server.reset()
    yield fake_woocommerce_server
    fake_woocommerce_server.reset()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def woo_api(fake_woocommerce: FakeWooCommerce, sleeps: list[float]) -> WooCommerceApi:
    """A client of the fake that times out fast and records its backoff instead of sleeping."""
    return WooCommerceApi(fake_woocommerce.url, fake_woocommerce.consumer_key, fake_woocommerce.consumer_secret,
                          timeout_seconds=0.5, retry=RetryPolicy(max_attempts=3), sleep=sleeps.append)
