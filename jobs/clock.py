"""The clock: Assay's scheduled work on RQ's cron (`assay clock`), or on threads in the embedded default. It drives
the scheduler one tick at a time, so it rides out a Redis outage where `CronScheduler.start()` would end."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask

from jobs.queue import RedisQueue, queue_of, redis_connection
from jobs.schedule import SCHEDULE, Scheduled
from storage.settings import settings_of

log = logging.getLogger("assay.clock")

TICK_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0


def cron_scheduler(app: Flask) -> Any:
    """RQ's CronScheduler with every scheduled job registered on the app's queue."""
    from rq.cron import CronScheduler

    queue = queue_of(app)
    assert isinstance(queue, RedisQueue)
    scheduler = CronScheduler(connection=redis_connection(queue.redis_url, fail_fast=True),
                              name=f"assay-clock-{queue.queue.name}")
    for entry in SCHEDULE:
        scheduler.register(entry.job, queue.queue.name, interval=entry.interval(settings_of(app)),
                           job_timeout=queue.timeout, name=f"{queue.queue.name}:{entry.job.__name__}")
    return scheduler


def run_clock(app: Flask, stop: threading.Event) -> None:
    """Tick until `stop` is set: enqueue what is due, say the clock is alive; back off while Redis is away."""
    from redis.exceptions import RedisError

    scheduler = cron_scheduler(app)
    backoff = TICK_SECONDS
    registered = False
    log.info("clock.started", extra={"jobs": [job.name for job in scheduler.get_jobs()]})
    while not stop.is_set():
        try:
            if not registered:
                scheduler.register_birth()
                registered = True
            if scheduler.enqueue_jobs():
                scheduler.save()
            scheduler.heartbeat()
            backoff = TICK_SECONDS
        except RedisError as error:
            log.warning("clock.redis_unavailable", extra={"error": repr(error), "retry_seconds": backoff})
            registered = False
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            continue
        stop.wait(min(TICK_SECONDS, scheduler.calculate_sleep_interval()) or 0.05)
    try:
        scheduler.register_death()
    except RedisError:
        pass  # Redis is away: its registry forgets the clock when the heartbeat lapses
    log.info("clock.stopped")


class EmbeddedClock:
    """No Redis: each scheduled job on a daemon thread of the web process, inside the app's context."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._every, args=(entry,), daemon=True,
                                         name=f"assay-clock-{entry.job.__name__}") for entry in SCHEDULE]

    def start(self) -> EmbeddedClock:
        for thread in self.threads:
            thread.start()
        return self

    def _every(self, entry: Scheduled) -> None:
        interval = entry.interval(settings_of(self.app))
        while not self.stop.wait(interval):
            started = time.monotonic()
            with self.app.app_context():
                try:
                    entry.job()
                except Exception as error:  # the next tick tries again; the work waits in the database
                    log.exception("clock.job_failed", extra={"job": entry.job.__name__, "error": repr(error)})
            log.debug("clock.job_done", extra={"job": entry.job.__name__,
                                               "seconds": round(time.monotonic() - started, 3)})
