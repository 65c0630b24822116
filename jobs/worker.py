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
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from rq import SimpleWorker
from rq.timeouts import UnixSignalDeathPenalty
from sqlalchemy import text

from storage.db import storage_of

log = logging.getLogger("assay.worker")


class _FlaggedDeathPenalty(UnixSignalDeathPenalty):
    """RQ's SIGALRM timeout, remembering that it fired: the job may catch the exception, the worker must know."""

    fired = False

    def handle_death_penalty(self, signum: int, frame: Any) -> None:
        type(self).fired = True
        super().handle_death_penalty(signum, frame)  # type: ignore[no-untyped-call]


class WarmWorker(SimpleWorker):
    """Jobs run in this process, one at a time, each bounded by its timeout."""

    death_penalty_class = _FlaggedDeathPenalty

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
