"""End-to-end fixtures: the fake Shopify Admin API over real HTTP and a client pointed at it, the fake WooCommerce
site over HTTPS, and the app under test on a real port."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from support.own_redis import OwnRedis

from connector.shopify.api import AdminApi, RetryPolicy
from jobs.queue import Stage, stage_queue_name
from storage.db import Storage, storage_of
from webhooks.app import create_app

from .browser import browser, page  # noqa: F401  (the browser tests' fixtures: one Chromium per session)
from .fakes.server import LocalServer
from .fakes.shopify import FakeShopify
from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import SECRET


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
        timeout_seconds=0.5,
        retry=RetryPolicy(max_attempts=4, backoff_base_seconds=0.5),
        sleep=sleep,
    ) as api:
        yield api


# --- The fake WooCommerce site, over HTTPS --------------------------------------------------------

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


# --- The running app, wired to the real PostgreSQL and Redis and to the fake Shopify -----------------

@pytest.fixture
def queue_name(redis_url: str) -> Iterator[str]:
    """A queue of this test's own, so other test runs sharing the Redis never take or drop its jobs."""
    name = f"assay-test-{uuid.uuid4().hex[:12]}"
    yield name
    for stage in Stage:
        Queue(stage_queue_name(name, stage), connection=Redis.from_url(redis_url)).delete(delete_jobs=True)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A Redis of the test's own, for tests that kill it or whose workers leave registrations behind."""
    redis = OwnRedis().start()
    yield redis
    redis.kill()


@pytest.fixture
def app_database_url(storage_url: str) -> str:
    """Where the app under test finds its database: the test database, unless a test puts a proxy between."""
    return storage_url


@pytest.fixture
def app(storage: Storage, app_database_url: str, encryption_keys: str, redis_url: str, queue_name: str
        ) -> Iterator[Flask]:
    """The app on the test database and its own queue; platform calls time out and back off fast.

    Shopify's timeout leaves room for a loaded CI machine: a repeatable write (a whole note) resent after a
    timeout is harmless, but it would show twice in the fake's log that the exactly-once tests read."""
    made = create_app({"DATABASE_URL": app_database_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys,
                       "REDIS_URL": redis_url, "RQ_QUEUE": queue_name, "SHOPIFY_API_SECRET": SECRET,
                       "SHOPIFY_TIMEOUT_SECONDS": 2.0, "WOOCOMMERCE_TIMEOUT_SECONDS": 0.5,
                       "WOOCOMMERCE_BACKOFF_SECONDS": 0.01, "TESTING": True,
                       # A rescheduled write is due again at once, so a test's next worker run retries it.
                       "ASSAY_RETRY_BASE_SECONDS": 0})
    yield made
    storage_of(made).dispose()


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    server = LocalServer(app, "assay-app")
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


