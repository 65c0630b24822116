"""process_event(event_id): the inbox's one job — hand the event to its topic's handler, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from jobs.queue import queue_of
from storage.db import storage_of
from storage.models import Event, EventStatus
from storage.repositories import find_event, mark_event

log = logging.getLogger("assay.jobs")


class PermanentEventError(Exception):
    """The event can never be handled (a malformed payload, an unknown store): recorded, not retried."""


@dataclass
class FollowUps:
    """Jobs a handler wants run once its transaction has committed (they read what it wrote)."""

    jobs: list[tuple[Callable[..., Any], tuple[Any, ...], str]] = field(default_factory=list)

    def add(self, job: Callable[..., Any], *args: Any, job_id: str) -> None:
        self.jobs.append((job, args, job_id))


Handler = Callable[[Session, Event, FollowUps], None]
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(platform: str, *topics: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for topic in topics:
            HANDLERS[(platform, topic)] = handler
        return handler

    return register


def process_event(event_id: int) -> None:
    """Safe to run twice: only an event still `received` is handled; transient errors raise for a retry."""
    import jobs.shopify_events  # noqa: F401  (registers the Shopify handlers)
    import jobs.woocommerce_events  # noqa: F401  (registers the WooCommerce handlers)

    app = current_app
    follow_ups = FollowUps()
    try:
        with storage_of(app).transaction() as session:
            event = find_event(session, event_id)
            if event is None or event.status != EventStatus.RECEIVED.value:
                return
            handler = HANDLERS.get((event.platform, event.topic))
            if handler is not None:
                handler(session, event, follow_ups)
            mark_event(session, event_id, EventStatus.PROCESSED if handler else EventStatus.IGNORED)
    except PermanentEventError as error:
        with storage_of(app).transaction() as session:
            mark_event(session, event_id, EventStatus.FAILED, error=str(error))
        log.warning("event.failed", extra={"event_id": event_id, "error": str(error)})
        return
    queue = queue_of(app)
    for job, args, job_id in follow_ups.jobs:
        queue.enqueue(job, *args, job_id=job_id)
    log.info("event.processed", extra={"event_id": event_id})
