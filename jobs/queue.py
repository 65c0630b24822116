"""Where jobs go: RQ on Redis when REDIS_URL is set, else a thread in this process; best effort, as the database holds
the work. Writes have a queue of their own, and each store's jobs are held to its slots (docs/decisions/0007)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from flask import Flask

from storage.settings import Settings

log = logging.getLogger("assay.jobs")

QUEUE_NAME = "assay"
EXTENSION = "assay.queue"
# The web process must answer within Shopify's 5 seconds even when Redis hangs: fail fast, the relay re-sends.
WEB_REDIS_TIMEOUT_SECONDS = 1.0
STAGE_ATTRIBUTE = "assay_stage"
DUE_AGAIN_SUFFIX = ":due"  # a store's limit for its scheduled work, beside the one for its first tries

Job = TypeVar("Job", bound=Callable[..., Any])


class Stage(StrEnum):
    """A job's place in line: workers empty the earlier stages first."""

    WRITE = "write"  # perform_action: the platform write-backs
    INTAKE = "intake"  # process_event, decide_case and everything else


PRIORITY = (Stage.WRITE, Stage.INTAKE)


def runs_in(stage: Stage) -> Callable[[Job], Job]:
    """Mark a job function with its stage; unmarked jobs are intake (the base queue)."""
    def mark(func: Job) -> Job:
        setattr(func, STAGE_ATTRIBUTE, stage)
        return func
    return mark


def stage_of(func: Callable[..., Any]) -> Stage:
    return Stage(getattr(func, STAGE_ATTRIBUTE, Stage.INTAKE))


def stage_queue_name(base: str, stage: Stage) -> str:
    """Intake keeps the base name, the one the clock queues on; each other stage adds its own."""
    return base if stage is Stage.INTAKE else f"{base}-{stage.value}"


def job_id_for(prefix: str, key: str) -> str:
    """RQ takes only letters, digits, _ and - in a job id; idempotency keys have more, so they are hashed."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


class JobQueue(Protocol):
    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None, stage: Stage | None = None,
                fair_key: str | None = None, first: bool = False) -> bool: ...

    def enqueue_in(self, delay_seconds: float, func: Callable[..., Any], *args: Any,
                   job_id: str | None = None, stage: Stage | None = None, fair_key: str | None = None) -> bool: ...


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

    def __init__(self, redis_url: str, name: str = QUEUE_NAME, timeout: int = Settings.job_timeout_seconds,
                 slots: int = 0) -> None:
        from rq import Queue

        self.redis_url = redis_url
        self.timeout = timeout
        self.slots = slots  # 0: no per-store limit
        self.connection = redis_connection(redis_url, fail_fast=True)
        self.queues = {stage: Queue(stage_queue_name(name, stage), connection=self.connection) for stage in Stage}
        self.queue = self.queues[Stage.INTAKE]  # the base queue: the clock's and older readers' name

    def listening(self, connection: Any = None) -> list[Any]:
        """Every stage's queue in priority order (on `connection`, a worker's own, when given)."""
        from rq import Queue

        return [self.queues[stage] if connection is None else Queue(self.queues[stage].name, connection=connection)
                for stage in PRIORITY]

    def _scoped(self, job_id: str | None) -> str | None:
        # Job ids live in one namespace per Redis; the queue's name keeps two deployments (or test runs) apart.
        return None if job_id is None else f"{self.queue.name}-{job_id}"

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None, stage: Stage | None = None,
                fair_key: str | None = None, first: bool = False) -> bool:
        """True once Redis holds the job (or already held it); False when Redis could not be reached. `first`:
        the job id names a row made just now, so no job can have it yet and it is not looked for."""
        from redis.exceptions import RedisError
        from rq.exceptions import DuplicateJobError

        queue = self.queues[stage or stage_of(func)]
        scoped = self._scoped(job_id)
        try:
            if fair_key and self.slots and scoped is not None:
                self._enqueue_fairly(queue, func, args, scoped, fair_key, first=first)
            else:
                # No RQ retries: a failed try is rescheduled by the job itself, from the database's count.
                queue.enqueue_call(func, args=args, job_id=scoped, unique=scoped is not None, timeout=self.timeout)
        except DuplicateJobError:
            log.info("job.duplicate", extra={"job_id": scoped})  # the same work is already queued or kept
        except RedisError as error:
            log.warning("job.enqueue_failed", extra={"job": func.__name__, "job_id": scoped, "error": repr(error)})
            return False
        return True

    def _enqueue_fairly(self, queue: Any, func: Callable[..., Any], args: tuple[Any, ...], job_id: str,
                        fair_key: str, *, first: bool) -> None:
        """Behind the store's concurrency limit. RQ refuses `unique` with a limit, so a known job id is looked
        for first; two racing enqueues may both pass, which costs a second run of a job that is safe twice."""
        from rq.exceptions import DuplicateJobError
        from rq.job import Job

        if not first and self.connection.exists(Job.key_for(job_id)):
            raise DuplicateJobError(job_id)
        queue.enqueue_call(func, args=args, job_id=job_id, timeout=self.timeout,
                           rate_limit=self._store_limit(queue, fair_key))

    def _store_limit(self, queue: Any, fair_key: str | None, *, due_again: bool = False) -> Any:
        """The store's RateLimit in `queue` (None without a fair key or slots); `due_again`: the one for its work
        that comes back from the scheduler."""
        from rq.rate_limit import RateLimit

        if not (fair_key and self.slots):
            return None
        return RateLimit(f"{queue.name}:{fair_key}{DUE_AGAIN_SUFFIX if due_again else ''}", concurrency=self.slots)

    def enqueue_in(self, delay_seconds: float, func: Callable[..., Any], *args: Any,
                   job_id: str | None = None, stage: Stage | None = None, fair_key: str | None = None) -> bool:
        """Run the job after the delay (RQ's scheduler, which runs inside `assay worker`); with a `fair_key`, once
        due it waits for one of that store's slots for work due again."""
        from redis.exceptions import RedisError

        scoped = self._scoped(job_id)
        queue = self.queues[stage or stage_of(func)]
        try:
            queue.enqueue_at(run_at(delay_seconds), func, *args, job_id=scoped, job_timeout=self.timeout,
                             rate_limit=self._store_limit(queue, fair_key, due_again=True))
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

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None, stage: Stage | None = None,
                fair_key: str | None = None, first: bool = False) -> bool:
        self.pool.submit(self._run, func, args, job_id)
        return True

    def enqueue_in(self, delay_seconds: float, func: Callable[..., Any], *args: Any,
                   job_id: str | None = None, stage: Stage | None = None, fair_key: str | None = None) -> bool:
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


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = (RedisQueue(settings.redis_url, settings.rq_queue, settings.job_timeout_seconds,
                                            settings.store_slots)
                                 if settings.redis_url else InProcessQueue(app))


def queue_of(app: Flask) -> JobQueue:
    queue: JobQueue = app.extensions[EXTENSION]
    return queue
