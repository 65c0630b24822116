"""What the admin pages read of one store (cases paged, the review queue, failed write-backs, the weekly summary),
each bounded by `store_id` and shaped to an index of CaseRecord's, so 100,000 cases read as fast as 100."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, case, func, literal_column, select
from sqlalchemy.orm import Session

from storage.columns import utc_now
from storage.models import Action, ActionState, CaseRecord, CaseStatus, DecisionRecord

MAX_PAGE = 100
OUTCOMES = ("approve", "decline", "review")


@dataclass(frozen=True)
class CaseFilter:
    outcome: str | None = None
    kind: str | None = None
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    order: str | None = None  # the order number the merchant searches for


@dataclass(frozen=True)
class CaseLine:
    """A case as the admin's lists show it: its own columns, the outcome in force and two of its request's fields."""

    id: int
    order_id: str
    kind: str
    status: str
    created_at: datetime
    outcome: str | None
    reason: str | None
    submitted_at: str | None

    @classmethod
    def of(cls, record: CaseRecord) -> CaseLine:
        request = record.document.get("request") or {}
        return cls(record.id, record.order_id, record.kind, record.status, record.created_at, record.outcome,
                   request.get("reason"), request.get("submitted_at"))


@dataclass(frozen=True)
class ReviewLine:
    """A case waiting in the review queue, with what its decision says: when the store promised to answer, and why."""

    case: CaseLine
    respond_by: str | None
    reasons: list[Any]


# The columns of a CaseLine: two texts read out of the case document on the database, so no document is parsed.
_LINE = (CaseRecord.id, CaseRecord.order_id, CaseRecord.kind, CaseRecord.status, CaseRecord.created_at,
         CaseRecord.outcome, CaseRecord.document[("request", "reason")].as_string().label("reason"),
         CaseRecord.document[("request", "submitted_at")].as_string().label("submitted_at"))


def _line(row: Row[Any]) -> CaseLine:
    return CaseLine(row.id, row.order_id, row.kind, row.status, row.created_at, row.outcome, row.reason,
                    row.submitted_at)


def cases_page(session: Session, store_id: int, where: CaseFilter, *, before_id: int | None, limit: int
               ) -> tuple[list[CaseLine], int | None]:
    """Newest first, `limit` of them after the cursor (a case id); the next cursor, or None on the last page. Keyset
    paging on the store's index, so the thousandth page costs what the first does."""
    query = select(*_LINE).where(CaseRecord.store_id == store_id)
    if where.outcome is not None:
        query = query.where(CaseRecord.outcome == where.outcome)
    if where.kind is not None:
        query = query.where(CaseRecord.kind == where.kind)
    if where.status is not None:
        query = query.where(CaseRecord.status == where.status)
    if where.created_from is not None:
        query = query.where(CaseRecord.created_at >= where.created_from)
    if where.created_to is not None:
        query = query.where(CaseRecord.created_at < where.created_to)
    if where.order is not None:
        wanted = where.order.strip().lstrip("#")
        query = query.where(CaseRecord.order_id.in_([wanted, f"#{wanted}"]))
    if before_id is not None:
        query = query.where(CaseRecord.id < before_id)
    limit = min(limit, MAX_PAGE)
    rows = [_line(row) for row in session.execute(query.order_by(CaseRecord.id.desc()).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def store_case(session: Session, store_id: int, case_id: int, *, lock: bool = False) -> CaseRecord | None:
    """The case if it is this store's; None for an unknown id and for another store's alike."""
    query = select(CaseRecord).where(CaseRecord.id == case_id, CaseRecord.store_id == store_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def decisions_of(session: Session, case_id: int) -> Sequence[DecisionRecord]:
    return session.scalars(select(DecisionRecord).where(DecisionRecord.case_id == case_id)
                           .order_by(DecisionRecord.id)).all()


def review_queue(session: Session, store_id: int, limit: int = 500) -> list[ReviewLine]:
    """Decided cases whose decision in force is `review`: due first (`respond_by`) first, undated last, then oldest;
    read off the partial index of waiting cases, with their decisions' reasons in one more query."""
    # Constants, not parameters, so the planner can match the partial index's WHERE on a prepared statement too.
    waiting = (select(*_LINE)
               .where(CaseRecord.store_id == store_id,
                      CaseRecord.status == literal_column(f"'{CaseStatus.DECIDED.value}'"),
                      CaseRecord.outcome == literal_column("'review'"))
               .order_by(CaseRecord.respond_by.asc().nulls_last(), CaseRecord.id).limit(limit))
    lines = [_line(row) for row in session.execute(waiting)]
    if not lines:
        return []
    in_force: dict[int, Row[Any]] = {}
    for row in session.execute(select(DecisionRecord.case_id,
                                      DecisionRecord.document["respond_by"].as_string().label("respond_by"),
                                      DecisionRecord.document["reasons"].label("reasons"))
                               .where(DecisionRecord.case_id.in_([line.id for line in lines]))
                               .order_by(DecisionRecord.id)):
        in_force[row.case_id] = row  # the newest comes last and stays
    return [ReviewLine(line, in_force[line.id].respond_by, list(in_force[line.id].reasons or []))
            for line in lines if line.id in in_force]


def failed_actions(session: Session, store_id: int, limit: int = MAX_PAGE) -> Sequence[Action]:
    query = (select(Action).join(CaseRecord, CaseRecord.id == Action.case_id)
             .where(CaseRecord.store_id == store_id, Action.state == ActionState.FAILED.value)
             .order_by(Action.id.desc()).limit(limit))
    return session.scalars(query).all()


def store_action(session: Session, store_id: int, action_id: int, *, lock: bool = False) -> Action | None:
    query = (select(Action).join(CaseRecord, CaseRecord.id == Action.case_id)
             .where(Action.id == action_id, CaseRecord.store_id == store_id))
    if lock:
        query = query.with_for_update(of=Action)
    return session.scalars(query).first()


def retry_failed_action(action: Action) -> None:
    """Back to the outbox: the next perform_action claims it (its idempotency key keeps the write single)."""
    action.state = ActionState.PENDING.value
    action.done_at = None


def weekly_outcomes(session: Session, store_id: int, weeks: int = 12, now: datetime | None = None
                    ) -> list[dict[str, object]]:
    """Per ISO week (Monday, UTC), the last `weeks` oldest first: each case once, under its outcome in force and that
    decision's week; counted on the database, so at most weeks × 3 rows come back."""
    now = now or utc_now()
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks + 1)]
    week = case(*[(CaseRecord.decided_at < starts[i + 1], i) for i in range(weeks)], else_=weeks)
    decided = (select(CaseRecord.outcome, week.label("week"))
               .where(CaseRecord.store_id == store_id, CaseRecord.decided_at >= starts[0],
                      CaseRecord.decided_at < starts[-1]).subquery())
    counts = select(decided.c.outcome, decided.c.week, func.count()).group_by(decided.c.outcome, decided.c.week)
    buckets: list[dict[str, object]] = [{"week": start.date().isoformat(), **{o: 0 for o in OUTCOMES}}
                                        for start in starts[:-1]]
    for outcome, index, count in session.execute(counts):
        if outcome in OUTCOMES and 0 <= index < weeks:
            buckets[index][outcome] = int(count)
    return buckets
