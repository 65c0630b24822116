"""The app's JobRunner: how a platform's routes and scheduled work queue Assay's jobs without importing jobs/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from connector.registry import set_runner
from jobs.cases import decide_case
from jobs.events import process_event
from jobs.queue import JobQueue, queue_of


class QueueRunner:
    """Each request becomes one job on the app's queue (RQ, or a thread in the embedded default)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @property
    def queue(self) -> JobQueue:
        return queue_of(self.app)

    def decide(self, case_id: int, *, job_id: str) -> None:
        self.queue.enqueue(decide_case, case_id, job_id=job_id)

    def process_event(self, event_id: int, *, job_id: str) -> None:
        self.queue.enqueue(process_event, event_id, job_id=job_id)

    def later(self, job: Callable[..., Any], *args: Any, job_id: str) -> None:
        self.queue.enqueue(job, *args, job_id=job_id)


def init_app(app: Flask) -> None:
    set_runner(app, QueueRunner(app))
