"""decide_case(case_id): judge a stored case by the store's current policy, then plan its write-backs."""

from __future__ import annotations

import logging

from flask import current_app

from jobs.actions import plan_writes, queue_writes
from jobs.queue import queue_of
from policies.batch import CaseError, decide_document
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import CaseStatus
from storage.repositories import (
    current_policy_version,
    get_case,
    list_cases,
    save_decision,
    set_case_aside,
)

log = logging.getLogger("assay.jobs")


def decide_case(case_id: int) -> None:
    """Safe to run twice: only an open case is decided, and planned actions are unique by idempotency key."""
    with storage_of(current_app).transaction() as session:
        record = get_case(session, case_id, lock=True)
        if record is None or record.status != CaseStatus.OPEN.value:
            return
        policy = current_policy_version(session, record.store_id)
        if policy is None:  # it waits: saving the store's first policy decides it (decide_waiting_cases)
            log.warning("case.no_policy", extra={"case_id": case_id, "store_id": record.store_id})
            return
        try:
            decision = decide_document({**record.document, "policy": policy.document})
        except CaseError as error:  # nothing a retry could mend: set aside, once, for a person to look at
            set_case_aside(session, case_id, error.errors, utc_now())
            # The fields only: an error may quote a value the customer wrote; the row keeps the whole sentences.
            fields = sorted({message.split(":", 1)[0] for message in error.errors})
            log.error("case.set_aside", extra={"case_id": case_id, "store_id": record.store_id, "fields": fields})
            return
        save_decision(session, case_id, decision)
        keys = plan_writes(session, record, decision)
    queue_writes(keys)
    log.info("case.decided", extra={"case_id": case_id, "outcome": decision["outcome"], "actions": len(keys)})


def decide_waiting_cases(store_id: int, policy_version: int) -> int:
    """Queue a decision for each of the store's open cases (those that came before it had a policy, or whose
    decision failed); returns how many. Run whenever a policy is saved."""
    with storage_of(current_app).sessions() as session:
        waiting = [case.id for case in list_cases(session, store_id, status=CaseStatus.OPEN, limit=None)]
    queue = queue_of(current_app)
    for case_id in waiting:
        queue.enqueue(decide_case, case_id, job_id=f"case-{case_id}-policy-{policy_version}")
    if waiting:
        log.info("case.waiting_queued", extra={"store_id": store_id, "cases": len(waiting)})
    return len(waiting)
