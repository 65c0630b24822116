"""process_event(event_id): the inbox's one job — hand the event to its platform's handler for its topic, once."""

from __future__ import annotations

import logging
import time

from flask import current_app

from connector.adapter import FollowUps, PermanentEventError
from connector.registry import adapter_for
from jobs.cases import decide_case
from jobs.queue import queue_of
from jobs.settings import next_attempt, not_before
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import EventStatus
from storage.repositories import find_event, mark_event, reschedule_event
from storage.settings import settings_of

log = logging.getLogger("assay.jobs")


def process_event(event_id: int) -> None:
    """Safe to run twice: only an event still `received` is handled, by one job at a time (the row is locked);
    a passing failure is rescheduled, and after the bounded attempts the event is `failed` with its error."""
    app = current_app
    follow_ups = FollowUps()
    context: dict[str, object] = {"event_id": event_id}
    try:
        with storage_of(app).transaction() as session:
            event = find_event(session, event_id, lock=True)
            if event is None or event.status != EventStatus.RECEIVED.value:
                return
            context.update(platform=event.platform, topic=event.topic, store=event.shop_domain)
            handler = adapter_for(app, event.platform).handlers.get(event.topic)
            if handler is not None:
                handler(session, event, follow_ups)
            mark_event(session, event_id, EventStatus.PROCESSED if handler else EventStatus.IGNORED)
    except PermanentEventError as error:
        with storage_of(app).transaction() as session:
            mark_event(session, event_id, EventStatus.FAILED, error=str(error))
        log.warning("event.failed", extra={**context, "error": str(error)})
        return
    except Exception as error:  # a platform down or slow, or a fault of ours: counted, tried again later
        _reschedule(event_id, error, context)
        return
    queue = queue_of(app)
    shop = f"{context['platform']}:{context['store']}"
    for case_id, job_id in follow_ups.decisions:
        queue.enqueue(decide_case, case_id, job_id=job_id, fair_key=shop)
    log.info("event.processed", extra={**context, "cases": [case_id for case_id, _ in follow_ups.decisions]})


def _reschedule(event_id: int, error: Exception, context: dict[str, object]) -> None:
    """Record the failed attempt. If the database itself is what failed, this raises too, and the event,
    still `received`, is handed out again by the relay once it is back."""
    message = f"{type(error).__name__}: {error}"
    retry_after = getattr(error, "retry_after", None)
    with storage_of(current_app).transaction() as session:
        event = find_event(session, event_id)
        # The platform said how long to wait (throttled, Retry-After): a pause, not a failed attempt.
        counted = retry_after is None
        attempts = (event.attempts if event else 0) + (1 if counted else 0)
        at = not_before(next_attempt(settings_of(current_app), attempts, utc_now(), retry_after),
                        getattr(error, "held_for", None))
        reschedule_event(session, event_id, message, at=at, counted=counted)
    if at is None:
        log.error("event.failed", extra={**context, "attempts": attempts, "error": message})
        return
    delay = (at - utc_now()).total_seconds()
    log.warning("event.retry", extra={**context, "attempts": attempts, "error": message, "delay_seconds": delay})
    queue_of(current_app).enqueue_in(delay, process_event, event_id, job_id=f"event-{event_id}-try-{time.time_ns()}")
