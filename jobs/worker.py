"""The worker `assay worker` runs: RQ's SimpleWorker, warm (a job runs in the worker's own process, on the engine,
connections and clients made once), listening on every stage in priority order (docs/decisions/0006)."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler
from rq.timeouts import UnixSignalDeathPenalty
from rq.worker import WorkerStatus
from sqlalchemy import text

from storage.db import storage_of

log = logging.getLogger("assay.worker")


class _FlaggedDeathPenalty(UnixSignalDeathPenalty):
    """RQ's SIGALRM timeout, remembering that it fired: the job may catch the exception, the worker must know."""

    fired = False

    def handle_death_penalty(self, signum: int, frame: Any) -> None:
        type(self).fired = True
        super().handle_death_penalty(signum, frame)  # type: ignore[no-untyped-call]


class _WorkerBoundScheduler(RQScheduler):
    """RQ's scheduler process, which stops when the worker that forked it is gone, even SIGKILLed."""

    def start(self) -> Any:
        self._worker_pid = os.getpid()
        return super().start()  # type: ignore[no-untyped-call]

    def heartbeat(self) -> None:
        # getppid() polled on each 1 s tick, not prctl(PR_SET_PDEATHSIG): portable, no ctypes, no tie to the
        # forking thread, and the stop is RQ's own, releasing the scheduler locks for the next worker at once.
        if os.getppid() != self._worker_pid:
            log.warning("worker.scheduler_orphaned", extra={"worker_pid": self._worker_pid})
            self.request_stop()  # type: ignore[no-untyped-call]
        super().heartbeat()  # type: ignore[no-untyped-call]


class WarmWorker(SimpleWorker):
    """Jobs run in this process, one at a time, each bounded by its timeout."""

    death_penalty_class = _FlaggedDeathPenalty

    def __init__(self, *args: Any, stopping: threading.Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = stopping or threading.Event()

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[no-untyped-call]
        if self.stopping.is_set():  # a signal came before RQ listened: its loop stops before taking a job
            self._stop_requested = True

    def request_stop(self, signum: int, frame: Any) -> None:
        # RQ stops an idle worker by raising StopRequested without a trace on the worker: say it here first.
        self.stopping.set()
        log.info("worker.stop_requested", extra={"signal": signum, "busy": self.get_state() == WorkerStatus.BUSY})
        try:
            super().request_stop(signum, frame)  # type: ignore[no-untyped-call]
        except RedisError:  # busy, and Redis is away as RQ notes the stop: the job finishes all the same
            self._stop_requested = True

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
                         log_format: str = DEFAULT_LOGGING_FORMAT) -> None:
        if burst:  # RQ forks nothing in a burst
            super()._start_scheduler(burst, logging_level, date_format, log_format)
            return
        # RQ's own, with a scheduler that can't outlive this process (RQ has no setting for its class).
        self.scheduler = _WorkerBoundScheduler(
            self.queues, connection=self.connection, serializer=self.serializer, date_format=date_format,
            logging_level=logging_level if logging_level is not None else self.log.level, log_format=log_format)
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if self.scheduler.acquired_locks:
            self.scheduler.start()

    def execute_job(self, job: Any, queue: Any) -> None:
        _FlaggedDeathPenalty.fired = False
        try:
            super().execute_job(job, queue)
        finally:
            if _FlaggedDeathPenalty.fired:
                log.warning("worker.job_timed_out", extra={"job_id": job.id, "timeout_seconds": job.timeout})
                storage_of(current_app).dispose()  # a connection interrupted mid-query is never reused


def warm_up(app: Flask) -> None:
    """Connect before the first job: the pool's first connection and the cipher, made once for every job."""
    storage = storage_of(app)
    with storage.sessions() as session:
        session.execute(text("SELECT 1"))
    storage.cipher  # noqa: B018 - built on first use; the keys are read once
