"""Cases (customers' requests as case documents) and the decisions made on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from storage.columns import utc_now
from storage.models import CaseRecord, CaseStatus, DecisionRecord, Store
from storage.repositories._once import insert_once


def add_case(session: Session, *, store_id: int, order_id: str, kind: str, request_key: str,
             document: Mapping[str, Any]) -> tuple[CaseRecord, bool]:
    """The case for this request, and True if it is new; a job run twice finds the first run's case."""
    values = {
        "store_id": store_id,
        "order_id": order_id,
        "kind": kind,
        "request_key": request_key,
        "document": dict(document),
    }
    return insert_once(session, CaseRecord, values, unique=("store_id", "request_key"))


def find_case(session: Session, store_id: int, request_key: str) -> CaseRecord | None:
    query = select(CaseRecord).where(CaseRecord.store_id == store_id, CaseRecord.request_key == request_key)
    return session.scalars(query).first()


def store_of_case(session: Session, case_id: int) -> Store:
    """The case's store, in one query (a write-back needs the store, and has only the case's id)."""
    return session.scalars(select(Store).join(CaseRecord, CaseRecord.store_id == Store.id)
                           .where(CaseRecord.id == case_id)).one()


def get_case(session: Session, case_id: int, *, lock: bool = False) -> CaseRecord | None:
    """`lock`: hold the row until the transaction ends, so two jobs deciding one case take turns."""
    return session.get(CaseRecord, case_id, with_for_update=lock)


def list_cases(session: Session, store_id: int, *, status: CaseStatus | None = None,
               limit: int | None = 100) -> Sequence[CaseRecord]:
    """The store's cases, newest first (the review queue passes status=CaseStatus.DECIDED and filters outcome)."""
    query = select(CaseRecord).where(CaseRecord.store_id == store_id)
    if status is not None:
        query = query.where(CaseRecord.status == status.value)
    return session.scalars(query.order_by(CaseRecord.id.desc()).limit(limit)).all()


def set_case_status(session: Session, case_id: int, status: CaseStatus) -> CaseRecord:
    case = session.get_one(CaseRecord, case_id)
    case.status = status.value
    session.flush()
    return case


def set_case_aside(session: Session, case_id: int, errors: Sequence[str], at: datetime) -> CaseRecord:
    """No decision can be made of the case as it is: out of the relay's way, with why, until a person looks."""
    case = session.get_one(CaseRecord, case_id)
    case.status, case.errors, case.set_aside_at = CaseStatus.SET_ASIDE.value, list(errors), at
    session.flush()
    return case


def close_cases(session: Session, store_id: int, order_id: str, *, including_decided: bool = False) -> list[int]:
    """The order ended or went away: its open cases and those waiting for a person's review are closed (and with
    `including_decided`, every decided one)."""
    waiting_review = and_(CaseRecord.status == CaseStatus.DECIDED.value, CaseRecord.outcome == "review")
    closing = CaseRecord.status.in_([CaseStatus.OPEN.value, CaseStatus.DECIDED.value]) if including_decided \
        else or_(CaseRecord.status == CaseStatus.OPEN.value, waiting_review)
    query = select(CaseRecord).where(CaseRecord.store_id == store_id, CaseRecord.order_id == order_id, closing)
    closed = []
    for record in session.scalars(query):
        record.status = CaseStatus.CLOSED.value
        closed.append(record.id)
    session.flush()
    return closed


def reopen_closed_cases(session: Session, store_id: int, order_id: str) -> list[int]:
    """The order came back (restored from the trash): its cases closed before any decision are open again (their
    ids, to be decided), and those closed while waiting for review are back in the review queue."""
    decided = select(DecisionRecord.case_id)
    query = select(CaseRecord).where(CaseRecord.store_id == store_id, CaseRecord.order_id == order_id,
                                     CaseRecord.status == CaseStatus.CLOSED.value,
                                     or_(CaseRecord.id.not_in(decided), CaseRecord.outcome == "review"))
    reopened = []
    for record in session.scalars(query):
        if record.outcome == "review":
            record.status = CaseStatus.DECIDED.value
            continue
        record.status = CaseStatus.OPEN.value
        reopened.append(record.id)
    session.flush()
    return reopened


def save_decision(session: Session, case_id: int, decision: Mapping[str, Any]) -> DecisionRecord:
    """Store a decision document (policies.decision_schema's shape), mark its case decided and copy what the
    admin's lists show of the decision in force onto the case (see CaseRecord.outcome)."""
    record = DecisionRecord(
        case_id=case_id,
        outcome=decision["outcome"],
        policy_version=decision["policy_version"],
        document=dict(decision),
        decided_at=utc_now(),
    )
    session.add(record)
    case = session.get_one(CaseRecord, case_id)
    respond_by = decision.get("respond_by") if record.outcome == "review" else None
    # Every column set before the one flush: the case is written in a single UPDATE beside the decision's INSERT.
    case.status, case.outcome, case.decided_at = CaseStatus.DECIDED.value, record.outcome, record.decided_at
    case.respond_by = datetime.fromisoformat(respond_by) if respond_by else None
    session.flush()
    return record


def date_decision(session: Session, decision: DecisionRecord, at: datetime) -> None:
    """Set when a decision was made (the demo dates its sample data back), on the case too if it is in force."""
    decision.decided_at = at
    case = session.get_one(CaseRecord, decision.case_id)
    latest = latest_decision(session, decision.case_id)
    if latest is not None and latest.id == decision.id:
        case.decided_at = at
    session.flush()


def latest_decision(session: Session, case_id: int) -> DecisionRecord | None:
    """The decision in force: a merchant's call on a review comes after the engine's."""
    query = select(DecisionRecord).where(DecisionRecord.case_id == case_id).order_by(DecisionRecord.id.desc())
    return session.scalars(query.limit(1)).first()
