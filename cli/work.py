"""`assay events`, `assay actions` and `assay cases` (work that failed for good, cases set aside: list them, put one
back in line), `assay clock` (the scheduled work on RQ's cron) and the worker's loop that rides out a Redis outage."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from cli.stores import reports_storage_errors
from jobs.actions import perform_action
from jobs.cases import decide_case
from jobs.clock import run_clock
from jobs.events import process_event
from jobs.logs import configure_logging
from jobs.queue import RedisQueue, job_id_for, queue_of, redis_connection
from jobs.worker import WarmWorker, warm_up
from storage.db import storage_of
from storage.models import Store
from storage.repositories import (
    NotRetryable,
    failed_actions,
    failed_events,
    retry_action,
    retry_case,
    retry_event,
    set_aside_cases,
)
from storage.settings import settings_of

events_group = AppGroup("events", help="Webhook deliveries (the inbox) that failed for good.")
actions_group = AppGroup("actions", help="Platform writes (the outbox) that failed for good.")
cases_group = AppGroup("cases", help="Customers' requests no decision could be made of (set aside).")
log = logging.getLogger("assay.worker")

WORKER_MAX_BACKOFF_SECONDS = 30.0
# RQ finds a dead worker's jobs on its maintenance pass; every 30 s instead of every 10 minutes.
WORKER_MAINTENANCE_SECONDS = 30


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


@events_group.command("failed")
@reports_storage_errors
def events_failed() -> None:
    """List failed events, newest first: id, platform, topic, store, attempts, when, error."""
    with storage_of(current_app).sessions() as session:
        events = failed_events(session)
        for event in events:
            click.echo(f"{event.id}\t{event.platform}\t{event.topic}\t{event.shop_domain}\t"
                       f"{event.attempts} attempt(s)\t{_when(event.processed_at)}\t{event.error or ''}")
    if not events:
        click.echo("no failed events")


@events_group.command("retry")
@click.argument("event_id", type=int)
@reports_storage_errors
def events_retry(event_id: int) -> None:
    """Put a failed event back in line (its attempts start again) and queue it."""
    try:
        with storage_of(current_app).transaction() as session:
            retry_event(session, event_id)
    except NotRetryable as refused:
        raise click.BadParameter(str(refused), param_hint="EVENT_ID") from None
    queued = queue_of(current_app).enqueue(process_event, event_id, job_id=f"event-{event_id}-retry-{time.time_ns()}")
    click.echo(f"event {event_id} queued again" + ("" if queued else " (Redis unreachable: the relay will queue it)"))


@actions_group.command("failed")
@reports_storage_errors
def actions_failed() -> None:
    """List failed actions, newest first: id, kind, case, attempts, when, idempotency key, error."""
    with storage_of(current_app).sessions() as session:
        actions = failed_actions(session)
        for action in actions:
            click.echo(f"{action.id}\t{action.kind}\tcase {action.case_id}\t{action.attempts} attempt(s)\t"
                       f"{_when(action.done_at)}\t{action.idempotency_key}\t{action.last_error or ''}")
    if not actions:
        click.echo("no failed actions")


@actions_group.command("retry")
@click.argument("action_id", type=int)
@reports_storage_errors
def actions_retry(action_id: int) -> None:
    """Put a failed action back in line (its attempts start again) and queue it; the write checks the platform
    for its idempotency key first, so nothing is written twice."""
    try:
        with storage_of(current_app).transaction() as session:
            key = retry_action(session, action_id).idempotency_key
    except NotRetryable as refused:
        raise click.BadParameter(str(refused), param_hint="ACTION_ID") from None
    queued = queue_of(current_app).enqueue(perform_action, key, job_id=job_id_for("action", f"{key}:{time.time_ns()}"))
    click.echo(f"action {action_id} queued again" + ("" if queued else " (Redis unreachable: the relay will queue it)"))


@cases_group.command("set-aside")
@reports_storage_errors
def cases_set_aside() -> None:
    """List cases set aside, newest first: id, store, order, kind, when, and every error that kept it undecided."""
    with storage_of(current_app).sessions() as session:
        cases = set_aside_cases(session)
        for case in cases:
            store = session.get_one(Store, case.store_id)
            click.echo(f"{case.id}\t{store.platform}:{store.domain}\torder {case.order_id}\t{case.kind}\t"
                       f"{_when(case.set_aside_at)}\t{'; '.join(case.errors or [])}")
    if not cases:
        click.echo("no cases set aside")


@cases_group.command("retry")
@click.argument("case_id", type=int)
@reports_storage_errors
def cases_retry(case_id: int) -> None:
    """Open a case set aside again and queue its decision (once what kept it undecided is mended); still
    undecidable, it is set aside again with its errors."""
    try:
        with storage_of(current_app).transaction() as session:
            retry_case(session, case_id)
    except NotRetryable as refused:
        raise click.BadParameter(str(refused), param_hint="CASE_ID") from None
    queued = queue_of(current_app).enqueue(decide_case, case_id, job_id=f"case-{case_id}-retry-{time.time_ns()}")
    click.echo(f"case {case_id} queued again" + ("" if queued else " (Redis unreachable: the relay will queue it)"))


@click.command("clock")
@with_appcontext
def clock_command() -> None:
    """Enqueue Assay's scheduled work on RQ's cron: the relay, reconcile, the catch-up polls, pruning."""
    configure_logging(settings_of(current_app).log_level)
    if not isinstance(queue_of(current_app), RedisQueue):
        raise click.UsageError("REDIS_URL must be set to run the clock; without it `assay run` runs the schedule")
    stop = threading.Event()
    _stop_on_signals(stop)
    run_clock(current_app._get_current_object(), stop)  # type: ignore[attr-defined]


def work_until_stopped(burst: bool) -> None:
    """A warm RQ worker (jobs/worker.py), writes first, started anew with backoff whenever RQ's loop ends at a Redis
    error; SIGTERM or SIGINT ends it, after the running job when busy, and no new worker starts after that."""
    from redis.exceptions import RedisError


    queue = queue_of(current_app)
    if not isinstance(queue, RedisQueue):
        raise click.UsageError("REDIS_URL must be set to run a worker; without it jobs run inside the web process")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stopping = threading.Event()
    _stop_on_signals(stopping)
    try:
        warm_up(app)
    except Exception as error:  # the database is down: the first job will find out again, and be retried
        log.warning("worker.warm_up_failed", extra={"error": repr(error)})

    backoff = 0.5
    while not stopping.is_set():
        started = time.monotonic()
        try:
            connection = redis_connection(queue.redis_url, fail_fast=False)
            worker = WarmWorker(queue.listening(connection), connection=connection, stopping=stopping,
                                maintenance_interval=WORKER_MAINTENANCE_SECONDS)
            # RQ's loggers start at INFO on their own; ASSAY_LOG_LEVEL (the root's level) is theirs too.
            level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
            worker.work(burst=burst, with_scheduler=True, logging_level=level)
        except RedisError as error:
            log.warning("worker.redis_unavailable", extra={"error": repr(error), "retry_seconds": backoff})
        # RQ's handlers belong to the worker that ended; a signal during the backoff must only set the event.
        _stop_on_signals(stopping)
        if burst or stopping.is_set():
            break
        if time.monotonic() - started > 60:
            backoff = 0.5  # it ran a good while: this is a new outage, start the backoff again
        log.warning("worker.restarting", extra={"retry_seconds": backoff})
        stopping.wait(backoff)
        backoff = min(backoff * 2, WORKER_MAX_BACKOFF_SECONDS)
    log.info("worker.stopped")


def _stop_on_signals(stopping: threading.Event) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
