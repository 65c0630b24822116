"""The outbox's writes: a decision's writes planned and queued (the engine's and a merchant's alike), and
perform_action(key), one write-back at most once, whoever else is retrying it."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from connector.adapter import TransientWriteError, WriteDeferred
from connector.demo import is_demo_store, recorded_write
from connector.registry import adapter_for
from jobs.queue import Stage, job_id_for, queue_of, runs_in
from jobs.settings import action_lease, next_attempt, not_before
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Action, ActionState, CaseRecord, Store
from storage.repositories import (
    StoreCredentials,
    claim_action,
    claim_next_action,
    complete_action,
    enqueue_action,
    fail_action,
    find_action,
    reschedule_action,
    store_credentials,
    store_of_case,
)
from storage.settings import settings_of

log = logging.getLogger("assay.jobs")
# RQ's scheduler files a job under its time truncated to the second: a second more and it is never early again.
SCHEDULER_RESOLUTION_SECONDS = 1.0
RECONCILE_BUDGET_SECONDS = 1.0


def action_fair_key(idempotency_key: str) -> str:
    """The fair key of a write: every action key starts with its store's id (plan_writes makes them)."""
    return "store-" + idempotency_key.split(":", 1)[0]


def plan_writes(session: Session, record: CaseRecord, decision: Mapping[str, Any]) -> list[str]:
    """Put the writes a stored decision needs in the outbox, as the store's adapter plans them; their keys."""
    store = session.get_one(Store, record.store_id)
    keys = []
    for planned in adapter_for(current_app, store.platform).plan_actions(decision, record, store):
        key = f"{record.store_id}:{planned.idempotency_key}"  # request keys are unique per store only
        enqueue_action(session, case_id=record.id, kind=planned.kind, payload=planned.payload, idempotency_key=key)
        keys.append(key)
    return keys


def queue_writes(keys: list[str]) -> None:
    """A perform_action job for each planned write, once the outbox rows are committed."""
    queue = queue_of(current_app)
    for key in keys:
        queue.enqueue(perform_action, key, job_id=job_id_for("action", key), fair_key=action_fair_key(key))


@runs_in(Stage.WRITE)
def perform_action(idempotency_key: str) -> None:
    """Claim the action (a done, failed, waiting or freshly claimed one is left alone), write it, record it. A lapsed
    claim is taken over: the writers look for the idempotency key first, so a dead worker's write is not repeated."""
    storage = storage_of(current_app)
    with storage.transaction() as session:
        action = claim_action(session, idempotency_key, lease=action_lease(settings_of(current_app)))
        if action is None:
            _come_back_when_due(session, idempotency_key)
            return
        claimed = _claimed(session, action)
    _perform(claimed)


def _come_back_when_due(session: Session, key: str) -> None:
    """A retry started before its time is queued again for then: RQ's scheduler keeps whole seconds, so a retry
    due at 12:00:03.7 may start at 12:00:03.0, and left alone it would wait for the relay."""
    waiting = find_action(session, key)
    if waiting is None or waiting.state != ActionState.PENDING.value or waiting.next_attempt_at is None:
        return
    delay = (waiting.next_attempt_at - utc_now()).total_seconds()
    if delay > 0:
        log.info("action.early", extra={"action_key": key, "delay_seconds": delay})
        queue_of(current_app).enqueue_in(delay + SCHEDULER_RESOLUTION_SECONDS, perform_action, key,
                                         job_id=job_id_for("action", f"{key}:{time.time_ns()}"),
                                         fair_key=action_fair_key(key))


def reconcile_actions(limit: int = 100, budget_seconds: float = RECONCILE_BUDGET_SECONDS) -> int:
    """Finish actions whose worker died mid-write (their lease ran out) or that were never picked up, for at most
    `budget_seconds`, so no one job holds a worker for long (the clock runs this again soon)."""
    storage = storage_of(current_app)
    done = 0
    started = time.monotonic()
    for _ in range(limit):
        if time.monotonic() - started > budget_seconds:
            break
        with storage.transaction() as session:
            action = claim_next_action(session, lease=action_lease(settings_of(current_app)))
            if action is None:
                break
            claimed = _claimed(session, action)
        _perform(claimed)
        done += 1
    return done


@dataclass(frozen=True)
class _Claimed:
    """A claimed action and the store it writes to, read in the claim's own transaction (no second session)."""

    key: str
    kind: str
    payload: dict[str, Any]
    case_id: int
    attempts: int
    store: Store
    credentials: StoreCredentials


def _claimed(session: Session, action: Action) -> _Claimed:
    store = store_of_case(session, action.case_id)
    credentials = store_credentials(store, storage_of(current_app).cipher)
    session.expunge(store)  # read after the claim commits, outside any session
    return _Claimed(action.idempotency_key, action.kind, dict(action.payload), action.case_id, action.attempts,
                    store, credentials)


def _perform(claimed: _Claimed) -> None:
    storage = storage_of(current_app)
    key, kind, payload, store = claimed.key, claimed.kind, claimed.payload, claimed.store
    context = {"action_key": key, "kind": kind, "case_id": claimed.case_id, "store": store.domain,
               "attempts": claimed.attempts}
    try:
        if is_demo_store(store.domain):
            result = recorded_write(store, kind, payload, key)
        else:
            adapter = adapter_for(current_app, store.platform)
            result = adapter.write_action(store, claimed.credentials, kind, payload, key, settings_of(current_app))
    except TransientWriteError as error:
        _reschedule(key, error, context)
        return
    except Exception as error:  # refused by the platform, or a fault of ours: a person must look, not a retry loop
        with storage.transaction() as session:
            fail_action(session, key, f"{type(error).__name__}: {error}", retry=False)
        log.exception("action.failed", extra={**context, "error": f"{type(error).__name__}: {error}"})
        return
    with storage.transaction() as session:
        complete_action(session, key, result)
    log.info("action.written", extra=context)


def _reschedule(key: str, error: TransientWriteError, context: dict[str, Any]) -> None:
    """Back to pending until the next try (or failed once the attempts are spent); the job itself ends now,
    so a slow platform holds no worker while it waits."""
    counted = error.retry_after is None  # throttled or Retry-After: a pause the platform asked for, not a failure
    attempts = int(context["attempts"]) - (0 if counted else 1)
    if isinstance(error, WriteDeferred):  # the platform kept this write a slot of its own: exactly then
        at: datetime | None = utc_now() + timedelta(seconds=error.retry_after)
    else:
        at = not_before(next_attempt(settings_of(current_app), attempts, utc_now(), error.retry_after), error.held_for)
    with storage_of(current_app).transaction() as session:
        if at is None:
            fail_action(session, key, f"gave up after {attempts} attempts: {error}", retry=False)
        else:
            reschedule_action(session, key, str(error), at=at, counted=counted)
    if at is None:
        log.error("action.failed", extra={**context, "error": str(error)})
        return
    delay = (at - utc_now()).total_seconds()
    if isinstance(error, WriteDeferred):
        log.info("action.deferred", extra={**context, "delay_seconds": delay})
    else:
        log.warning("action.retry", extra={**context, "error": str(error), "delay_seconds": delay})
    # Back behind the store's slots for due work: a backlog's due writes take a few places in the queue, not all.
    queue_of(current_app).enqueue_in(delay, perform_action, key, job_id=job_id_for("action", f"{key}:{time.time_ns()}"),
                                     fair_key=action_fair_key(key))
