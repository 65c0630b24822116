"""Pacing a store's writes to Shopify's bucket: given what Shopify last said and what a job costs, how long it
waits, and the in-process ledger that keeps one slot per job (both in connector/shopify/api.py)."""

from __future__ import annotations

import pytest

from connector.shopify import api
from connector.shopify.api import DEFAULT_JOB_COST, Bucket, Claim, JobPacer, Ledger, MemoryPaceStore


def status(available: float, maximum: float = 2000.0, rate: float = 100.0) -> dict[str, object]:
    return {"requestedQueryCost": 16, "actualQueryCost": 16,
            "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate}}


def test_the_bucket_refills_at_its_restore_rate_up_to_its_maximum() -> None:
    bucket = Bucket(available=100.0, at=10.0, maximum=2000.0, restore_rate=100.0)
    assert bucket.level(10.0) == 100.0
    assert bucket.level(12.5) == 350.0
    assert bucket.level(100.0) == 2000.0
    assert bucket.level(5.0) == 100.0, "a clock a little behind another worker's never drains the bucket"


def test_the_wait_is_the_deficit_over_the_restore_rate() -> None:
    assert api.wait_for(16, free=50.0, restore_rate=100.0) == 0.0
    assert api.wait_for(16, free=6.0, restore_rate=100.0) == pytest.approx(0.1)
    assert api.wait_for(16, free=-184.0, restore_rate=100.0) == pytest.approx(2.0), "behind promised jobs"


def test_a_throttle_status_is_read_into_a_bucket_and_nonsense_into_none() -> None:
    assert api.bucket_from(status(120.5), now=3.0) == Bucket(120.5, 3.0, 2000.0, 100.0)
    assert api.bucket_from({"throttleStatus": {"currentlyAvailable": 1}}, now=0) is None
    assert api.bucket_from(None, now=0) is None
    assert api.bucket_from(status(10, rate=0), now=0) is None, "a restore rate of 0 would never refill"


def test_a_store_never_heard_from_is_not_paced() -> None:
    wait, ledger = api.admit(Ledger(), estimate=16, now=0.0)
    assert (wait, ledger.claim, ledger.promised) == (0.0, None, 0.0)


def test_a_job_that_fits_goes_now_and_its_points_are_promised_until_spent() -> None:
    ledger = Ledger(bucket=Bucket(500.0, 0.0, 2000.0, 100.0))
    wait, ledger = api.admit(ledger, estimate=16, now=0.0)
    assert wait == 0.0 and ledger.promised == 16
    ledger = api.observe(ledger, Bucket(484.0, 0.1, 2000.0, 100.0), charged=16)
    assert ledger.promised == 0 and ledger.claim == Claim(0.0, 0.0, api.CLAIM_GRACE_SECONDS)
    assert api.release(ledger).claim is None


def test_a_backlog_gets_one_slot_each_spaced_by_its_cost_not_one_instant_for_all() -> None:
    store, slots = MemoryPaceStore(), []
    store.change("gems", "seen", 0.0, lambda ledger: (None, api.observe(ledger, Bucket(0.0, 0.0, 2000, 100), 0)))
    for job in range(5):
        slots.append(store.change("gems", f"job-{job}", 0.0, lambda ledger: api.admit(ledger, 16, 0.0)))
    assert slots == pytest.approx([0.16, 0.32, 0.48, 0.64, 0.80])


def test_a_job_woken_at_its_slot_takes_up_its_promise_instead_of_queueing_again() -> None:
    store = MemoryPaceStore()
    store.change("gems", "seen", 0.0, lambda ledger: (None, api.observe(ledger, Bucket(0.0, 0.0, 2000, 100), 0)))
    assert store.change("gems", "first", 0.0, lambda ledger: api.admit(ledger, 50, 0.0)) == pytest.approx(0.5)
    assert store.change("gems", "second", 0.0, lambda ledger: api.admit(ledger, 50, 0.0)) == pytest.approx(1.0)
    assert store.change("gems", "first", 0.5, lambda ledger: api.admit(ledger, 50, 0.5)) == 0.0
    assert store.change("gems", "first", 0.4, lambda ledger: api.admit(ledger, 50, 0.4)) == pytest.approx(0.1)


def test_shopifys_answer_sets_the_bucket_and_promises_to_waiting_jobs_still_count() -> None:
    store = MemoryPaceStore()
    store.change("gems", "seen", 0.0, lambda ledger: (None, api.observe(ledger, Bucket(0.0, 0.0, 2000, 100), 0)))
    store.change("gems", "waiting", 0.0, lambda ledger: api.admit(ledger, 100, 0.0))  # its slot: in 1 s
    # Another worker's answer: Shopify refunded unused points, the bucket holds more than predicted.
    store.change("gems", "other", 0.1, lambda ledger: (None, api.observe(ledger, Bucket(300.0, 0.1, 2000, 100), 0)))
    assert store.change("gems", "new", 0.1, lambda ledger: api.admit(ledger, 16, 0.1)) == 0.0
    assert store.change("gems", "big", 0.1, lambda ledger: api.admit(ledger, 200, 0.1)) == pytest.approx(0.16), \
        "300 in the bucket, 116 promised: 184 free, 16 short of 200"


def test_a_promise_nobody_took_up_expires_and_gives_its_points_back() -> None:
    store = MemoryPaceStore()
    store.change("gems", "seen", 0.0, lambda ledger: (None, api.observe(ledger, Bucket(0.0, 0.0, 2000, 100), 0)))
    store.change("gems", "lost", 0.0, lambda ledger: api.admit(ledger, 1000, 0.0))  # its job never comes back
    later = 10.0 + api.CLAIM_GRACE_SECONDS + 1
    wait = store.change("gems", "next", later, lambda ledger: api.admit(ledger, 16, later))
    assert wait == 0.0, "the lost job's 1,000 points are not held against the next one"


def test_the_estimate_rises_at_once_and_falls_gradually() -> None:
    assert api.learned_cost(None, 16) == 16
    assert api.learned_cost(16, 30) == 30
    assert api.learned_cost(30, 2) == pytest.approx(21.6)


def test_the_job_pacer_learns_what_a_kind_costs_from_the_calls_that_ran() -> None:
    store, now = MemoryPaceStore(), [0.0]
    pacer = JobPacer(store, "gems", "k-1", "shopify.return_decline", clock=lambda: now[0])
    assert pacer.admit() == 0.0
    pacer.observe({**status(1990), "requestedQueryCost": 2}, executed=True)
    pacer.observe({**status(0), "requestedQueryCost": 14}, executed=False)  # throttled: not charged
    pacer.observe({**status(1976), "requestedQueryCost": 14}, executed=True)
    pacer.release(completed=True)
    assert store.learned("shopify.return_decline") == 16
    assert store.learned("shopify.order_note") is None and DEFAULT_JOB_COST > 16

    empty = JobPacer(store, "gems", "k-2", "shopify.return_decline", clock=lambda: now[0])
    empty.observe(status(0), executed=True)  # another job's answer: the bucket is empty now
    empty.release(completed=False)
    assert JobPacer(store, "gems", "k-3", "shopify.return_decline", clock=lambda: now[0]).admit() == \
        pytest.approx(0.16), "the learned 16 points, at 100 a second"


class CountingStore(MemoryPaceStore):
    def __init__(self) -> None:
        super().__init__()
        self.changes = 0

    def change(self, shop, job, now, change):  # type: ignore[no-untyped-def]
        self.changes += 1
        return super().change(shop, job, now, change)


def test_a_job_changes_the_ledger_twice_its_promise_standing_for_its_calls_until_it_ends() -> None:
    store, now = CountingStore(), [0.0]
    store.change("gems", "seen", 0.0, lambda ledger: (None, api.observe(ledger, Bucket(100.0, 0.0, 2000, 100), 0)))
    pacer = JobPacer(store, "gems", "k-1", "shopify.return_approve", clock=lambda: now[0])
    store.learn("shopify.return_approve", 60)
    assert pacer.admit() == 0.0
    for available in (80.0, 60.0, 40.0):  # three calls of 20 points each
        pacer.observe({**status(available), "requestedQueryCost": 20}, executed=True)
    # Mid-job another job sees the 100 points less this job's promise of 60, as if it had spent them.
    assert JobPacer(store, "gems", "k-2", "shopify.order_note", clock=lambda: now[0]).admit() == pytest.approx(0.0)
    assert store.change("gems", "k-3", 0.0, lambda ledger: api.admit(ledger, 30, 0.0)) == pytest.approx(0.2), \
        "100 less k-1's 60 and k-2's 30 leaves 10, 20 short of 30"
    pacer.release(completed=True)
    assert store.changes == 5, "seen, k-1 admitted, k-2 admitted, k-3 admitted, k-1 released: answers add none"
    assert store.change("gems", "k-4", 0.0, lambda ledger: (None, ledger)) is None
    ledger = store.change("gems", "look", 0.0, lambda ledger: (ledger, ledger))
    assert ledger.bucket == Bucket(40.0, 0.0, 2000.0, 100.0) and ledger.promised == pytest.approx(60.0), \
        "the last answer's bucket; k-1's promise gone, k-2's and k-3's still held"


def test_a_later_report_of_the_bucket_is_not_overwritten_by_an_earlier_one() -> None:
    newer = Ledger(bucket=Bucket(5.0, 2.0, 2000.0, 100.0))
    assert api.observe(newer, Bucket(900.0, 1.0, 2000.0, 100.0), charged=0).bucket == newer.bucket
    assert api.observe(newer, Bucket(7.0, 3.0, 2000.0, 100.0), charged=0).bucket == Bucket(7.0, 3.0, 2000.0, 100.0)
