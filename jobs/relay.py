"""relay(): hands out again the work the database still holds undone after a grace period (its job was lost), once
per grace period, least recently handed out first, so the database stays the source of truth for work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from jobs.actions import action_fair_key, perform_action
from jobs.cases import decide_case
from jobs.events import process_event
from jobs.queue import job_id_for, queue_of
from jobs.settings import action_lease, relay_grace
from storage.columns import utc_now
from storage.db import storage_of
from storage.repositories import take_due_actions, take_due_cases, take_due_events
from storage.settings import settings_of

log = logging.getLogger("assay.jobs")


@dataclass(frozen=True)
class Relayed:
    events: list[int]
    cases: list[int]
    actions: list[str]

    @property
    def total(self) -> int:
        return len(self.events) + len(self.cases) + len(self.actions)


def relay(limit: int = 500) -> Relayed:
    """Queue again each piece of work the database says is undone and overdue; returns what it queued."""
    settings = settings_of(current_app)
    now, grace = utc_now(), relay_grace(settings)
    with storage_of(current_app).transaction() as session:
        found = Relayed(take_due_events(session, now, grace, limit), take_due_cases(session, now, grace, limit),
                        take_due_actions(session, now, grace, action_lease(settings), limit))
    # One job id per item per grace period: a relay pass that runs again before the job did queues nothing new.
    window = int(now.timestamp() // max(grace.total_seconds(), 1))
    queue = queue_of(current_app)
    for event_id in found.events:
        queue.enqueue(process_event, event_id, job_id=f"event-{event_id}-relay-{window}")
    for case_id in found.cases:
        queue.enqueue(decide_case, case_id, job_id=f"case-{case_id}-relay-{window}")
    for key in found.actions:
        queue.enqueue(perform_action, key, job_id=job_id_for("action", f"{key}:relay:{window}"),
                      fair_key=action_fair_key(key))
    if found.total:
        log.info("relay.queued", extra={"events": found.events, "cases": found.cases, "actions": found.actions})
    return found
