"""process_event(event_id): the inbox's one job — hand the event to its platform's handler for its topic, once."""

from __future__ import annotations

import logging

from flask import current_app

from connector.adapter import FollowUps, PermanentEventError
from connector.registry import adapter_for
from jobs.cases import decide_case
from jobs.queue import queue_of
from storage.db import storage_of
from storage.models import EventStatus
from storage.repositories import find_event, mark_event

log = logging.getLogger("assay.jobs")


def process_event(event_id: int) -> None:
    """Safe to run twice: only an event still `received` is handled; transient errors raise for a retry."""
    app = current_app
    follow_ups = FollowUps()
    try:
        with storage_of(app).transaction() as session:
            event = find_event(session, event_id)
            if event is None or event.status != EventStatus.RECEIVED.value:
                return
            handler = adapter_for(app, event.platform).handlers.get(event.topic)
            if handler is not None:
                handler(session, event, follow_ups)
            mark_event(session, event_id, EventStatus.PROCESSED if handler else EventStatus.IGNORED)
    except PermanentEventError as error:
        with storage_of(app).transaction() as session:
            mark_event(session, event_id, EventStatus.FAILED, error=str(error))
        log.warning("event.failed", extra={"event_id": event_id, "error": str(error)})
        return
    queue = queue_of(app)
    for case_id, job_id in follow_ups.decisions:
        queue.enqueue(decide_case, case_id, job_id=job_id)
    log.info("event.processed", extra={"event_id": event_id})
