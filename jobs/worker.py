"""The worker `assay worker` runs: RQ's SimpleWorker, warm, listening on every stage in priority order.

Why not RQ's forking Worker: it forks a work horse per job, and each horse starts cold — the lazy imports
(psycopg, holidays' countries, httpx, the schemas), a new engine, a new PostgreSQL connection, an empty SQL
compile cache: 150-210 ms a job for 0.6 ms of work (issue 14's profile). SimpleWorker runs each job in the
worker's own process, on the engine, the connections and the platform clients made once (bench/throughput.py
measures both). What the fork gave is kept another way:

- a hung job is still ended: RQ arms SIGALRM (UnixSignalDeathPenalty) around every job in the main thread, and
  the JobTimeoutException it raises interrupts a blocking socket read (PEP 475); a job that timed out may have
  left a connection mid-protocol, so the engine's pool is dropped and the next job connects afresh;
- a job killed mid-write (SIGKILL, the machine gone) is finished exactly once exactly as before: nothing lived
  in a horse that the database did not already hold; the action's lease runs out, reconcile takes it over and
  the writer finds its idempotency key on the platform;
- memory a job leaks would stay with the process instead of dying with a horse; `assay worker` can be
  restarted at any time for the same reason a horse could be killed.

SIGTERM or SIGINT stops it as RQ's warm shutdown does (a running job finishes within its timeout); the worker
also says so on the `stopping` event it is given, so the loop around it knows a stop from a Redis outage.
"""

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
