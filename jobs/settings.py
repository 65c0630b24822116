"""How long work may take and how often it is tried: one place for the numbers the queue, the jobs and the
relay must agree on (a lease shorter than a job's timeout would let two workers write at once)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from storage.columns import utc_now

# RQ kills a job's work horse after this long; every platform call inside one has a shorter timeout.
DEFAULT_JOB_TIMEOUT_SECONDS = 30
# A claimed write is presumed abandoned only after its job could no longer be running (timeout + a margin).
LEASE_MARGIN_SECONDS = 10
# Work still waiting this long after it was recorded is handed out again by the relay (its job was lost).
DEFAULT_RELAY_GRACE_SECONDS = 15
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_RETRY_BASE_SECONDS = 2.0
# Jobs of one store queued or running at once in one stage; more wait their turn, so other stores go past.
DEFAULT_STORE_SLOTS = 8
RETRY_CAP_SECONDS = 900.0


def _number(config: Mapping[str, Any], name: str, default: float) -> float:
    value = config.get(name)
    return float(default if value in (None, "") else value)


def job_timeout(config: Mapping[str, Any]) -> int:
    return int(_number(config, "ASSAY_JOB_TIMEOUT_SECONDS", DEFAULT_JOB_TIMEOUT_SECONDS))


def store_slots(config: Mapping[str, Any]) -> int:
    """ASSAY_STORE_SLOTS: 0 turns the per-store limit off (one FIFO per stage)."""
    return max(0, int(_number(config, "ASSAY_STORE_SLOTS", DEFAULT_STORE_SLOTS)))


def action_lease(config: Mapping[str, Any]) -> timedelta:
    """ACTION_LEASE_SECONDS when set, else the job timeout plus a margin: never shorter than a job may run."""
    default = job_timeout(config) + LEASE_MARGIN_SECONDS
    return timedelta(seconds=_number(config, "ACTION_LEASE_SECONDS", default))


def relay_grace(config: Mapping[str, Any]) -> timedelta:
    return timedelta(seconds=_number(config, "ASSAY_RELAY_GRACE_SECONDS", DEFAULT_RELAY_GRACE_SECONDS))


def max_attempts(config: Mapping[str, Any]) -> int:
    return max(1, int(_number(config, "ASSAY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def retry_delay(config: Mapping[str, Any], attempts: int, retry_after: float | None = None) -> float:
    """Seconds until the next try after `attempts` failures: the platform's own wait plus up to half again, else
    exponential; jittered, so a platform coming back is not met by every job at once."""
    if retry_after is not None:
        return float(min(RETRY_CAP_SECONDS, retry_after * random.uniform(1.0, 1.5)))  # noqa: S311
    base = _number(config, "ASSAY_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS)
    exponential = min(RETRY_CAP_SECONDS, base * 2 ** max(attempts - 1, 0))
    jittered = exponential * random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not a secret
    return float(jittered)


def not_before(at: datetime | None, held_for: float | None) -> datetime | None:
    """A next try no sooner than the store's outage breaker lets a call go (connector/outages.py): a try it would
    hold unsent again would spend an attempt without asking the platform."""
    if at is None or held_for is None:
        return at
    return max(at, utc_now() + timedelta(seconds=held_for))


def next_attempt(config: Mapping[str, Any], attempts: int, now: datetime,
                 retry_after: float | None = None) -> datetime | None:
    """When to try again after `attempts` tries, or None once the bounded attempts are spent."""
    if attempts >= max_attempts(config):
        return None
    return now + timedelta(seconds=retry_delay(config, attempts, retry_after))
