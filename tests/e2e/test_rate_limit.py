"""Shopify's rate limit used well: a backlog of one store's write-backs against the fake's real-time leaky bucket
(small here, so it runs in seconds) is written exactly once, none failed, the bucket kept busy near its restore
rate, while another store's writes go through meanwhile. Real `assay worker` processes, RQ's scheduler in them."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from support.settings import change_settings

from connector.shopify import api
from connector.shopify.api import Bucket, pace_store
from connector.shopify.api import init_app as init_shopify_pacing
from connector.shopify.write_back import RETURN_DECLINE
from jobs.actions import perform_action
from storage.db import Storage
from storage.models import Action
from storage.settings import settings_of

from .backlog import add_store, outcome, queue_actions, seed_declines
from .fakes.shopify import FakeShopify
from .shopify_app import SECRET
from .worker_process import kill_worker, needs_proc, start_worker

pytestmark = pytest.mark.integration

# A decline costs 16 points (a read of 2, the mutation's 14): 20 points a second let about 1.2 of them through,
# fewer than two loaded workers can write, so the bucket, not the workers, sets the pace (~25 s for the backlog).
BUCKET, RESTORE_RATE = 32.0, 20.0
BACKLOG, TRICKLE = 30, 5
BUSY, CALM = "busy-gems.myshopify.com", "calm-gems.myshopify.com"


@pytest.fixture
def small_bucket() -> Iterator[FakeShopify]:
    fake = FakeShopify(BUSY, maximum_available=BUCKET, restore_rate=RESTORE_RATE).start()
    yield fake
    fake.stop()


def write_behind_a_promise(app: Flask, fake_shopify: FakeShopify, storage: Storage,
                           promised: float) -> tuple[float, float]:
    """One decline's write run while Shopify has just said the bucket is empty and another job holds `promised`
    points; the write put off, unsent and uncounted: the seconds until it is due, and the seconds its job took."""
    store = add_store(storage, fake_shopify, fake_shopify.shop_domain)
    [key] = seed_declines(storage, fake_shopify, store, 1, "one")
    ledger = pace_store(app.extensions)
    assert ledger is not None
    now = time.time()
    ledger.change(fake_shopify.shop_domain, "other", now,
                  lambda state: api.admit(api.observe(state, Bucket(0.0, now, 2000, 100), 0), promised, now))
    ledger.learn(RETURN_DECLINE, 16)
    started = time.monotonic()
    with app.app_context():
        perform_action(key)
    took = time.monotonic() - started
    assert fake_shopify.requests == [], "nothing was sent"
    with storage.sessions() as session:
        action = session.scalars(select(Action).where(Action.idempotency_key == key)).one()
        assert (action.state, action.attempts) == ("pending", 0)
        assert action.next_attempt_at is not None
        return action.next_attempt_at.timestamp() - now, took


def test_a_write_that_wont_fit_is_put_off_unsent_to_its_slot_exactly_and_uses_no_attempt(
        app: Flask, fake_shopify: FakeShopify, storage: Storage) -> None:
    wait, _ = write_behind_a_promise(app, fake_shopify, storage, promised=300)
    assert 3.1 <= wait <= 3.3, "the 300 points promised, then its own 16, at 100 a second: no jitter added"


def test_a_write_whose_slot_is_a_moment_away_is_put_off_too_not_waited_for_on_a_worker(
        app: Flask, fake_shopify: FakeShopify, storage: Storage) -> None:
    # 14 points promised to another job: this one's 16 fit in 0.3 s, longer than a write's work.
    wait, took = write_behind_a_promise(app, fake_shopify, storage, promised=14)
    assert took < 0.3, "the worker did not sleep for the slot"
    assert 0.2 <= wait <= 0.4


def test_a_throttled_answer_reschedules_by_the_throttle_status_and_uses_no_attempt(
        app: Flask, fake_shopify: FakeShopify, storage: Storage) -> None:
    store = add_store(storage, fake_shopify, fake_shopify.shop_domain)
    [key] = seed_declines(storage, fake_shopify, store, 1, "one")
    change_settings(app, SHOPIFY_PACING="off")  # as if the ledger knew nothing: Shopify's answer is the only word
    init_shopify_pacing(app, settings_of(app))  # the factory made the ledger from the settings it started with
    fake_shopify.fail_next(10, "throttled")
    with app.app_context():
        perform_action(key)
    with storage.sessions() as session:
        action = session.scalars(select(Action).where(Action.idempotency_key == key)).one()
        assert (action.state, action.attempts) == ("pending", 0), action.last_error
        assert action.last_error is not None and "throttled" in action.last_error


@needs_proc
@pytest.mark.slow
def test_a_backlog_is_paced_to_the_bucket_and_another_store_is_written_meanwhile(
        small_bucket: FakeShopify, storage: Storage, storage_url: str, encryption_keys: str, redis_url: str,
        queue_name: str) -> None:
    fake = small_bucket
    busy, calm = add_store(storage, fake, BUSY), add_store(storage, fake, CALM)
    backlog = seed_declines(storage, fake, busy, BACKLOG, "busy")
    environment = {"DATABASE_URL": storage_url, "REDIS_URL": redis_url, "RQ_QUEUE": queue_name,
                   "ASSAY_ENCRYPTION_KEYS": encryption_keys, "SHOPIFY_API_SECRET": SECRET,
                   "SHOPIFY_TIMEOUT_SECONDS": "5"}
    workers = [start_worker(environment), start_worker(environment)]
    calm_keys: list[str] = []
    try:
        started = time.monotonic()
        queue_actions(redis_url, queue_name, backlog)
        for number in range(TRICKLE):  # the calm store's writes arrive while the backlog is being worked off
            time.sleep(1.0)
            keys = seed_declines(storage, fake, calm, 1, f"calm-{number}")
            queue_actions(redis_url, queue_name, keys)
            calm_keys += keys
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and outcome(storage, backlog + calm_keys).done < BACKLOG + TRICKLE:
            time.sleep(0.25)
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            kill_worker(worker)

    busy_done, calm_done = outcome(storage, backlog), outcome(storage, calm_keys)
    assert (busy_done.done, busy_done.failed) == (BACKLOG, 0), busy_done.errors
    assert (calm_done.done, calm_done.failed) == (TRICKLE, 0), calm_done.errors
    declined = Counter(r.variables["id"] for r in fake.operations("ReturnDeclineRequest"))
    assert len(declined) == BACKLOG + TRICKLE and set(declined.values()) == {1}, "each return declined once"
    # The calm store did not wait behind the backlog: its last write was done while much of it was still waiting.
    calm_last = max(calm_done.finished)
    assert sum(done > calm_last for done in busy_done.finished) >= BACKLOG // 4, (calm_done, busy_done)

    spent = fake.bucket_of(BUSY).spent
    rate = (spent - BUCKET) / elapsed  # what the bucket held at the start was free; the rest came at restore rate
    assert 0.6 * RESTORE_RATE <= rate <= 1.05 * RESTORE_RATE, f"{rate:.0f} points/s over {elapsed:.1f}s"
