"""Pacing one store's writes to Shopify's leaky bucket: the arithmetic, pure (no clock, no Redis).

Shopify's GraphQL Admin API limit is a bucket per app and store: `maximumAvailable` points, refilled at
`restoreRate` points a second; a query is refused (THROTTLED) unless the bucket holds its requested cost,
and is charged its actual cost (the difference is refunded). Every answer says where the bucket stands
(`extensions.cost.throttleStatus`).

Assay keeps, per store, a ledger shared by all workers (pace_store.py): the bucket as last observed, and
the points *promised* to jobs that were admitted or given a slot but have not spent them yet. A job asks
for its estimated cost before its first call: if the free points (the bucket refilled to now, less what is
promised) hold it, it goes at once; otherwise it is promised the moment they will — the deficit over the
restore rate — and the promise counts against every later job, so a backlog gets a slot each, spaced by
their costs, instead of waking all at once. Every answer sets the bucket to what Shopify reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

# A promise not taken up by then (its job lost, its worker dead) is dropped, so the ledger heals by itself.
CLAIM_GRACE_SECONDS = 120.0


@dataclass(frozen=True)
class Bucket:
    """Shopify's bucket for one store, as last reported: `available` points at time `at` (seconds)."""

    available: float
    at: float
    maximum: float
    restore_rate: float

    def level(self, now: float) -> float:
        """Points in the bucket at `now`, had nobody spent since `at`: it refills up to its maximum."""
        return min(self.maximum, self.available + max(0.0, now - self.at) * self.restore_rate)


@dataclass(frozen=True)
class Claim:
    """Points promised to one job: `remaining` not yet spent, usable from `slot`, dropped after `expires`."""

    remaining: float
    slot: float
    expires: float


@dataclass(frozen=True)
class Ledger:
    """One store's pacing state as one job sees it: the bucket, all promises, this job's own, and the promises
    that ran out (read so their points can be returned)."""

    bucket: Bucket | None = None
    promised: float = 0.0
    claim: Claim | None = None
    expired: tuple[Claim, ...] = ()


def bucket_from(cost: Mapping[str, Any] | None, now: float) -> Bucket | None:
    """The bucket an answer's `extensions.cost` reports, or None when it says nothing usable."""
    status = (cost or {}).get("throttleStatus") or {}
    try:
        bucket = Bucket(float(status["currentlyAvailable"]), now, float(status["maximumAvailable"]),
                        float(status["restoreRate"]))
    except (KeyError, TypeError, ValueError):
        return None
    return bucket if bucket.restore_rate > 0 and bucket.maximum > 0 else None


def wait_for(cost: float, free: float, restore_rate: float) -> float:
    """Seconds until `free` points (possibly negative: promised ahead) refill to hold `cost`."""
    return max(0.0, (cost - free) / restore_rate)


def free_points(ledger: Ledger, now: float) -> float:
    """What a new job may spend at `now`: the refilled bucket less every promise still outstanding."""
    assert ledger.bucket is not None
    return ledger.bucket.level(now) - ledger.promised


def _without_expired(ledger: Ledger) -> Ledger:
    returned = sum(claim.remaining for claim in ledger.expired)
    return replace(ledger, promised=max(0.0, ledger.promised - returned), expired=())


def admit(ledger: Ledger, estimate: float, now: float) -> tuple[float, Ledger]:
    """How long this job must wait before its first call (0: go now), and the ledger with its promise.

    A job woken at its slot already holds its promise and takes it up; a new one is promised `estimate`
    points at the first moment they are free. A store never heard from yet is not paced until it answers."""
    ledger = _without_expired(ledger)
    if ledger.claim is not None:
        wait = max(0.0, ledger.claim.slot - now)
        return wait, replace(ledger, claim=replace(ledger.claim, expires=now + wait + CLAIM_GRACE_SECONDS))
    if ledger.bucket is None:
        return 0.0, ledger
    wait = wait_for(estimate, free_points(ledger, now), ledger.bucket.restore_rate)
    claim = Claim(estimate, now + wait, now + wait + CLAIM_GRACE_SECONDS)
    return wait, replace(ledger, promised=ledger.promised + estimate, claim=claim)


def observe(ledger: Ledger, bucket: Bucket | None, charged: float) -> Ledger:
    """Answers came: the bucket is what Shopify said (unless another job has since recorded a later report), and
    the calls that ran spend `charged` of the job's promise."""
    ledger = _without_expired(ledger)
    if ledger.claim is not None and charged > 0:
        spent = min(ledger.claim.remaining, charged)
        ledger = replace(ledger, promised=max(0.0, ledger.promised - spent),
                         claim=replace(ledger.claim, remaining=ledger.claim.remaining - spent))
    if bucket is None or (ledger.bucket is not None and ledger.bucket.at > bucket.at):
        return ledger
    return replace(ledger, bucket=bucket)


def release(ledger: Ledger) -> Ledger:
    """The job ended (done, failed or put off): what it did not spend is free for others again."""
    ledger = _without_expired(ledger)
    if ledger.claim is None:
        return ledger
    return replace(ledger, promised=max(0.0, ledger.promised - ledger.claim.remaining), claim=None)


def learned_cost(previous: float | None, spent: float) -> float:
    """The estimate for the next job of a kind after one spent `spent` points: a rise is taken at once (an
    estimate too low gets throttled), a fall gradually (one cheap run, an already-done write, is no rule)."""
    if previous is None or spent >= previous:
        return spent
    return 0.7 * previous + 0.3 * spent
