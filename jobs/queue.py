"""Where jobs go: RQ on Redis when REDIS_URL is set, otherwise a thread in this process (the embedded default)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from flask import Flask

log = logging.getLogger("assay.jobs")

QUEUE_NAME = "assay"
EXTENSION = "assay.queue"
# Transient failures (a platform's 5xx, a timeout) are retried by RQ on this schedule, in seconds.
RETRY_INTERVALS = [5, 30, 120, 600, 1800]


def job_id_for(prefix: str, key: str) -> str:
    """RQ takes only letters, digits, _ and - in a job id; idempotency keys have more, so they are hashed."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


class JobQueue(Protocol):
    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> None: ...


class RedisQueue:
    """RQ: a job id makes a second enqueue of the same work a no-op while the first is known."""

    def __init__(self, redis_url: str, name: str = QUEUE_NAME) -> None:
        from redis import Redis
        from rq import Queue

        self.queue = Queue(name, connection=Redis.from_url(redis_url))

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> None:
        from rq import Retry
        from rq.exceptions import DuplicateJobError

        # Job ids live in one namespace per Redis; the queue's name keeps two deployments (or test runs) apart.
        scoped = None if job_id is None else f"{self.queue.name}-{job_id}"
        try:
            self.queue.enqueue_call(func, args=args, job_id=scoped, unique=scoped is not None,
                                    retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))
        except DuplicateJobError:
            log.info("job.duplicate", extra={"job_id": scoped})  # the same work is already queued or kept


class InProcessQueue:
    """No Redis: run each job on a worker thread inside the app, so the request still answers at once."""

    def __init__(self, app: Flask, workers: int = 2) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assay-job")

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> None:
        self.pool.submit(self._run, func, args, job_id)

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...], job_id: str | None) -> None:
        with self.app.app_context():
            try:
                func(*args)
            except Exception:  # the thread has no one else to tell; jobs are safe to run again
                log.exception("job.failed", extra={"job": func.__name__, "job_id": job_id})


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    name = app.config.get("RQ_QUEUE") or QUEUE_NAME
    app.extensions[EXTENSION] = RedisQueue(redis_url, name) if redis_url else InProcessQueue(app)


def queue_of(app: Flask) -> JobQueue:
    queue: JobQueue = app.extensions[EXTENSION]
    return queue
