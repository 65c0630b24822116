"""One store's backlog of write-backs takes a few places in the write queue, not all: its first tries and its work due
again (paced writes at their slot, retries) each wait behind the store's slots (RQ 3's RateLimit, honoured by RQ's
scheduler too), so another store's write is near the front, and the store's due writes are not held behind its own
first tries. Real Redis, RQ's queue and scheduler; no worker (what the queue holds is what a worker would take)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from rq.scheduler import RQScheduler

from jobs.actions import action_fair_key, perform_action
from jobs.queue import RedisQueue, Stage, job_id_for

pytestmark = pytest.mark.integration

SLOTS = 3
BACKLOG = 20


@pytest.fixture
def queue(redis_url: str) -> Iterator[RedisQueue]:
    made = RedisQueue(redis_url, f"assay-test-fair-{uuid.uuid4().hex[:10]}", slots=SLOTS)
    yield made
    redis = Redis.from_url(redis_url)
    for pattern in (f"{made.queue.name}*", f"rq:*{made.queue.name}*"):
        for key in redis.scan_iter(pattern):
            redis.delete(key)


def queued_keys(queue: RedisQueue) -> list[str]:
    """The idempotency keys of the write queue's jobs, front first, as a worker would take them."""
    return [job.args[0] for job in queue.queues[Stage.WRITE].get_jobs()]


def first_tries(queue: RedisQueue, store: int, count: int) -> list[str]:
    keys = [f"{store}:decline:{number}" for number in range(count)]
    for key in keys:
        assert queue.enqueue(perform_action, key, job_id=job_id_for("action", key), fair_key=action_fair_key(key))
    return keys


def due_again(queue: RedisQueue, keys: list[str], *, fair: bool = True) -> None:
    """Each write put off to a slot that has come (as _reschedule does), then RQ's scheduler's pass releasing them."""
    for key in keys:
        job_id = job_id_for("action", f"{key}:{time.time_ns()}")
        assert queue.enqueue_in(0, perform_action, key, job_id=job_id, fair_key=action_fair_key(key) if fair else None)
    time.sleep(1.1)  # RQ's scheduled registry keeps whole seconds: due by the next one
    scheduler = RQScheduler([queue.queues[Stage.WRITE]], connection=queue.connection)
    assert scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()


def test_another_stores_write_waits_behind_only_the_busy_stores_slots(queue: RedisQueue) -> None:
    first_tries(queue, 1, BACKLOG)
    [calm] = first_tries(queue, 2, 1)
    queued = queued_keys(queue)
    assert queued.index(calm) == SLOTS, queued
    assert len(queued) == SLOTS + 1, "the rest of the backlog waits its turn outside the queue"


def test_a_backlogs_due_writes_take_the_stores_slots_for_due_work_and_no_more(queue: RedisQueue) -> None:
    backlog = first_tries(queue, 1, BACKLOG)
    due_again(queue, backlog[:BACKLOG // 2])  # half the backlog was put off earlier and is due now
    [calm] = first_tries(queue, 2, 1)
    queued = queued_keys(queue)
    assert len(queued) == 2 * SLOTS + 1, queued
    assert queued.index(calm) == 2 * SLOTS, "behind the store's first tries' slots and its due work's, no more"
    due = queued[SLOTS:2 * SLOTS]
    assert set(due) <= set(backlog[:BACKLOG // 2]), "due writes are queued while first tries still wait their turn"


def test_without_a_fair_key_a_scheduled_job_is_queued_as_before(queue: RedisQueue) -> None:
    keys = [f"1:decline:{number}" for number in range(BACKLOG)]
    due_again(queue, keys, fair=False)
    assert sorted(queued_keys(queue)) == sorted(keys)
