"""The pacing ledger in Redis, as every worker shares it: one slot per job even when workers ask at once, a job's
own promise found again when it wakes, lost promises expiring, and the keys expiring with the ledger."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from connector.shopify import api
from connector.shopify.api import LEDGER_TTL_SECONDS, Bucket, RedisPaceStore

pytestmark = pytest.mark.integration


@pytest.fixture
def store(redis_url: str) -> Iterator[RedisPaceStore]:
    redis = Redis.from_url(redis_url)
    made = RedisPaceStore(redis, f"assay-test-{uuid.uuid4().hex[:12]}")
    yield made
    for key in redis.scan_iter(f"{made.namespace}:*"):
        redis.delete(key)


def empty_bucket(store: RedisPaceStore, now: float = 0.0) -> None:
    store.change("gems", "seen", now, lambda ledger: (None, api.observe(ledger, Bucket(0.0, now, 2000, 100), 0)))


def test_workers_asking_at_once_each_get_a_slot_of_their_own(store: RedisPaceStore) -> None:
    empty_bucket(store)
    waits: list[float] = []
    lock = threading.Lock()

    def ask(job: int) -> None:
        wait = store.change("gems", f"job-{job}", 0.0, lambda ledger: api.admit(ledger, 10, 0.0))
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=ask, args=(job,)) for job in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([0.1 * (n + 1) for n in range(16)]), "16 slots, 0.1 s apart, none shared"


def test_a_woken_job_takes_up_its_own_promise_and_a_finished_one_frees_the_rest(store: RedisPaceStore) -> None:
    empty_bucket(store)
    assert store.change("gems", "a", 0.0, lambda ledger: api.admit(ledger, 50, 0.0)) == pytest.approx(0.5)
    assert store.change("gems", "b", 0.0, lambda ledger: api.admit(ledger, 50, 0.0)) == pytest.approx(1.0)
    assert store.change("gems", "a", 0.5, lambda ledger: api.admit(ledger, 50, 0.5)) == 0.0
    store.change("gems", "a", 0.6, lambda ledger: (None, api.observe(ledger, Bucket(0.0, 0.6, 2000, 100), 20)))
    store.change("gems", "a", 0.6, lambda ledger: (None, api.release(ledger)))
    # "a" spent 20 of its 50 and gave 30 back; "b" still holds 50: 10 points refilled by 0.7 s is 60 short.
    assert store.change("gems", "c", 0.7, lambda ledger: api.admit(ledger, 10, 0.7)) == pytest.approx(0.5)


def test_lost_promises_expire_and_the_ledger_keys_carry_a_ttl(store: RedisPaceStore) -> None:
    empty_bucket(store)
    store.change("gems", "lost", 0.0, lambda ledger: api.admit(ledger, 1000, 0.0))
    later = 10.0 + api.CLAIM_GRACE_SECONDS + 1
    assert store.change("gems", "next", later, lambda ledger: api.admit(ledger, 16, later)) == 0.0
    keys = list(store.redis.scan_iter(f"{store.namespace}:*"))
    assert keys and all(0 < store.redis.ttl(key) <= LEDGER_TTL_SECONDS for key in keys)
    assert store.redis.hget(f"{store.namespace}:shopify-pace:gems:claims", "lost") is None


def test_what_a_kind_costs_is_learned_for_every_worker(store: RedisPaceStore) -> None:
    assert store.learned("shopify.return_decline") is None
    store.learn("shopify.return_decline", 16)
    store.learn("shopify.return_decline", 2)
    assert store.learned("shopify.return_decline") == pytest.approx(11.8)


def test_a_jobs_answers_reach_the_shared_ledger_with_its_release(store: RedisPaceStore) -> None:
    from connector.shopify.api import JobPacer

    empty_bucket(store)
    now = [0.0]
    pacer = JobPacer(store, "gems", "write-1", "shopify.return_approve", clock=lambda: now[0])
    assert pacer.admit() == pytest.approx(0.3), "the default estimate of 30 points in an empty bucket"
    now[0] = 0.3
    cost = {"requestedQueryCost": 12, "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 18,
                                                          "restoreRate": 100}}
    pacer.observe(cost, executed=True)
    assert store.change("gems", "look", 0.3, lambda ledger: (ledger.bucket, ledger)) == Bucket(0.0, 0.0, 2000, 100)
    pacer.release(completed=True)
    ledger = store.change("gems", "look", 0.3, lambda ledger: (ledger, ledger))
    assert (ledger.bucket, ledger.promised) == (Bucket(18.0, 0.3, 2000, 100), 0.0)
    assert store.learned("shopify.return_approve") == 12
