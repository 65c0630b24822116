"""A merchant's answer to a case in the review queue: stored as a person's decision (who, when, why) with the case's
row locked, so twice at once is once, then written back as the engine's decisions are (jobs/actions.py)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from jobs.actions import plan_writes, queue_writes
from policies.case_schema import load_case
from policies.decision_schema import dump_decision, load_verdict
from policies.person import person_decision
from policies.policy import Outcome
from storage.db import storage_of
from storage.models import CaseRecord, CaseStatus, DecisionRecord, PolicyVersion
from storage.repositories import (
    current_policy_version,
    find_policy_version,
    latest_decision,
    save_decision,
)
from storage.repositories.admin_queries import store_case

log = logging.getLogger("assay.jobs")
_VERSION = re.compile(r"@(\d+)$")


class ReviewRefused(Exception):
    """The answer can't be recorded: `reason` for the merchant, `status` for HTTP (404 never says whose)."""

    def __init__(self, reason: str, status: int, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class PersonAnswer:
    decision: dict[str, Any]
    decided_by: str
    decided_at: str
    note: str | None
    recorded: bool  # False: the same answer was already recorded (a repeated or concurrent request)


def answer_review(store_id: int, case_id: int, outcome: str, note: str | None, person: str) -> PersonAnswer:
    with storage_of(current_app).transaction() as session:
        record = store_case(session, store_id, case_id, lock=True)
        if record is None:
            raise ReviewRefused("not_found", 404, f"no case {case_id}")
        current = latest_decision(session, case_id)
        if current is not None and current.decided_by is not None:
            if current.outcome != outcome:
                raise ReviewRefused("already_decided", 409, f"{current.decided_by} already chose {current.outcome}")
            return _answer(current, recorded=False)
        if current is None or current.outcome != Outcome.REVIEW.value or record.status != CaseStatus.DECIDED.value:
            raise ReviewRefused("not_in_review", 409, "only a case waiting in the review queue can be answered")
        policy = _policy_of(session, record, current)
        try:
            loaded = load_case({**record.document, "policy": policy.document})
        except ValidationError as error:
            raise ReviewRefused("invalid_case", 409, f"the stored case no longer loads: {error.messages}") from None
        lines, reasons = load_verdict(current.document)  # what the engine said per line, which the person answers
        decision = dump_decision(person_decision(loaded.case, loaded.policy, Outcome(outcome), note, lines, reasons))
        saved = save_decision(session, case_id, decision)
        saved.decided_by, saved.note = person, note
        session.flush()
        keys = plan_writes(session, record, decision)
        answer = _answer(saved, recorded=True)
    queue_writes(keys)
    log.info("case.answered", extra={"case_id": case_id, "outcome": outcome, "actions": len(keys)})
    return answer


def _policy_of(session: Session, record: CaseRecord, review: DecisionRecord) -> PolicyVersion:
    """The policy version the case was judged under (its refund rules), else the one in force."""
    found = _VERSION.search(review.policy_version)
    version = find_policy_version(session, record.store_id, int(found.group(1))) if found else None
    version = version or current_policy_version(session, record.store_id)
    if version is None:
        raise ReviewRefused("no_policy", 409, "the store has no policy")
    return version


def _answer(record: DecisionRecord, *, recorded: bool) -> PersonAnswer:
    assert record.decided_by is not None
    return PersonAnswer(dict(record.document), record.decided_by, record.decided_at.isoformat(), record.note,
                        recorded)
