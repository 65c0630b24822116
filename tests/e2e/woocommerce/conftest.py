"""WooCommerce end-to-end fixtures: the fake site over HTTPS, the app on a real port, a real RQ worker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from werkzeug.serving import make_server

from connector.woocommerce.client import RetryPolicy, WooCommerceApi
from storage.db import Storage, storage_of
from webhooks.app import create_app

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


@pytest.fixture
def queue_name(redis_url: str) -> Iterator[str]:
    """A queue of this test's own, so other test runs sharing the Redis never take or drop its jobs."""
    name = f"assay-test-{uuid.uuid4().hex[:12]}"
    yield name
    Queue(name, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)


@pytest.fixture
def app(storage: Storage, storage_url: str, encryption_keys: str, redis_url: str, queue_name: str) -> Iterator[Flask]:
    made = create_app({"DATABASE_URL": storage_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys,
                       "REDIS_URL": redis_url, "RQ_QUEUE": queue_name, "WOOCOMMERCE_TIMEOUT_SECONDS": 0.5,
                       "WOOCOMMERCE_BACKOFF_SECONDS": 0.01, "TESTING": True})
    yield made
    storage_of(made).dispose()


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
