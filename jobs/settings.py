"""How long work may take and how often it is tried, from the settings: one place for what the queue, the jobs
and the relay must agree on (a lease shorter than a job's timeout would let two workers write at once)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from storage.columns import utc_now
from storage.settings import Settings

# A claimed write is presumed abandoned only after its job could no longer be running (timeout + a margin).
LEASE_MARGIN_SECONDS = 10
RETRY_CAP_SECONDS = 900.0


def action_lease(settings: Settings) -> timedelta:
    """ACTION_LEASE_SECONDS when set, else the job timeout plus a margin: never shorter than a job may run."""
    if settings.action_lease_seconds is not None:
        return timedelta(seconds=settings.action_lease_seconds)
    return timedelta(seconds=settings.job_timeout_seconds + LEASE_MARGIN_SECONDS)


def relay_grace(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.relay_grace_seconds)


def retry_delay(settings: Settings, attempts: int, retry_after: float | None = None) -> float:
    """Seconds until the next try after `attempts` failures: the platform's own wait plus up to half again, else
    exponential; jittered, so a platform coming back is not met by every job at once."""
    if retry_after is not None:
        return float(min(RETRY_CAP_SECONDS, retry_after * random.uniform(1.0, 1.5)))  # noqa: S311
    base = settings.retry_base_seconds
    exponential = min(RETRY_CAP_SECONDS, base * 2 ** max(attempts - 1, 0))
    jittered = exponential * random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not a secret
    return float(jittered)


def not_before(at: datetime | None, held_for: float | None) -> datetime | None:
    """A next try no sooner than the store's outage breaker lets a call go (connector/outages.py): a try it would
    hold unsent again would spend an attempt without asking the platform."""
    if at is None or held_for is None:
        return at
    return max(at, utc_now() + timedelta(seconds=held_for))


def next_attempt(settings: Settings, attempts: int, now: datetime,
                 retry_after: float | None = None) -> datetime | None:
    """When to try again after `attempts` tries, or None once the bounded attempts are spent."""
    if attempts >= settings.max_attempts:
        return None
    return now + timedelta(seconds=retry_delay(settings, attempts, retry_after))
