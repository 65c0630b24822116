"""Where jobs go: RQ on Redis when REDIS_URL is set, otherwise a thread in this process (the embedded default).

Enqueueing is best effort. Every job's work is a row in the database first (an event `received`, a case
open, an action pending), so a job Redis never took, or lost, is handed out again by the relay
(jobs/relay.py); a request that has recorded its work answers, whatever Redis says."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from flask import Flask

from jobs.settings import DEFAULT_JOB_TIMEOUT_SECONDS, job_timeout

log = logging.getLogger("assay.jobs")

QUEUE_NAME = "assay"
EXTENSION = "assay.queue"
# The web process must answer within Shopify's 5 seconds even when Redis hangs: fail fast, the relay re-sends.
WEB_REDIS_TIMEOUT_SECONDS = 1.0


def job_id_for(prefix: str, key: str) -> str:
    """RQ takes only letters, digits, _ and - in a job id; idempotency keys have more, so they are hashed."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


class JobQueue(Protocol):
    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> bool: ...

    def enqueue_in(self, delay_seconds: float, func: Callable[..., Any], *args: Any,
                   job_id: str | None = None) -> bool: ...


def redis_connection(redis_url: str, *, fail_fast: bool) -> Any:
    """A Redis client; `fail_fast` for callers that must not wait on a Redis that is down (the web, the relay)."""
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    if not fail_fast:
        return Redis.from_url(redis_url)
    return Redis.from_url(redis_url, socket_connect_timeout=WEB_REDIS_TIMEOUT_SECONDS,
                          socket_timeout=WEB_REDIS_TIMEOUT_SECONDS, retry=Retry(NoBackoff(), 0))


class RedisQueue:
    """RQ: a job id makes a second enqueue of the same work a no-op while the first is known."""

    def __init__(self, redis_url: str, name: str = QUEUE_NAME, timeout: int = DEFAULT_JOB_TIMEOUT_SECONDS) -> None:
        from rq import Queue

        self.redis_url = redis_url
        self.timeout = timeout
        self.queue = Queue(name, connection=redis_connection(redis_url, fail_fast=True))

    def _scoped(self, job_id: str | None) -> str | None:
        # Job ids live in one namespace per Redis; the queue's name keeps two deployments (or test runs) apart.
        return None if job_id is None else f"{self.queue.name}-{job_id}"

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> bool:
        """True once Redis holds the job (or already held it); False when Redis could not be reached."""
        from redis.exceptions import RedisError
        from rq.exceptions import DuplicateJobError

        scoped = self._scoped(job_id)
        try:
            # No RQ retries: a failed try is rescheduled by the job itself, from the database's count.
            self.queue.enqueue_call(func, args=args, job_id=scoped, unique=scoped is not None, timeout=self.timeout)
        except DuplicateJobError:
            log.info("job.duplicate", extra={"job_id": scoped})  # the same work is already queued or kept
        except RedisError as error:
            log.warning("job.enqueue_failed", extra={"job": func.__name__, "job_id": scoped, "error": repr(error)})
            return False
        return True

    def enqueue_in(self, delay_seconds: float, func: Callable[..., Any], *args: Any,
                   job_id: str | None = None) -> bool:
        """Run the job after the delay (RQ's scheduler, which runs inside `assay worker`)."""
        from redis.exceptions import RedisError

        scoped = self._scoped(job_id)
        try:
            self.queue.enqueue_at(run_at(delay_seconds), func, *args, job_id=scoped, job_timeout=self.timeout)
        except RedisError as error:
            log.warning("job.schedule_failed", extra={"job": func.__name__, "job_id": scoped, "error": repr(error)})
            return False
        return True


def run_at(delay_seconds: float) -> datetime:
    """When a job delayed this long is due, rounded up to the second: RQ's scheduled registry keeps whole seconds,
    truncated, so a job due at 12.7 s would run at 12 s, before its write may be claimed, and wait for the relay."""
    due = datetime.now(UTC) + timedelta(seconds=max(delay_seconds, 0.0))
    return due.replace(microsecond=0) + timedelta(seconds=1) if due.microsecond else due


class InProcessQueue:
    """No Redis: run each job on a worker thread inside the app, so the request still answers at once."""

    def __init__(self, app: Flask, workers: int = 2) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assay-job")

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> bool:
        self.pool.submit(self._run, func, args, job_id)
        return True

    def enqueue_in(self, delay_seconds: float, func: Callable[..., Any], *args: Any,
                   job_id: str | None = None) -> bool:
        timer = threading.Timer(max(delay_seconds, 0.0), self.enqueue, (func, *args), {"job_id": job_id})
        timer.daemon = True  # the row waits in the database; the relay finds it after a restart
        timer.start()
        return True

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...], job_id: str | None) -> None:
        with self.app.app_context():
            try:
                func(*args)
            except Exception as error:  # the relay hands the work out again: its row still says it is to do
                log.exception("job.failed", extra={"job": func.__name__, "job_id": job_id, "error": repr(error)})


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    name = app.config.get("RQ_QUEUE") or QUEUE_NAME
    app.extensions[EXTENSION] = (RedisQueue(redis_url, name, job_timeout(app.config)) if redis_url
                                 else InProcessQueue(app))


def queue_of(app: Flask) -> JobQueue:
    queue: JobQueue = app.extensions[EXTENSION]
    return queue
