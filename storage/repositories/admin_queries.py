"""What the admin pages read of one store: its cases filtered and paged, the review queue, failed write-backs and
the weekly summary. Every query is bounded by `store_id`: another store's id reads as nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from storage.columns import utc_now
from storage.models import Action, ActionState, CaseRecord, CaseStatus, DecisionRecord

MAX_PAGE = 100


@dataclass(frozen=True)
class CaseFilter:
    outcome: str | None = None
    kind: str | None = None
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    order: str | None = None  # the order number the merchant searches for


def _latest_decisions() -> Subquery:
    """Each decided case's decision in force: its newest (a person's call on a review comes after the engine's)."""
    return (select(DecisionRecord.case_id, func.max(DecisionRecord.id).label("decision_id"))
            .group_by(DecisionRecord.case_id).subquery())


def cases_page(session: Session, store_id: int, where: CaseFilter, *, before_id: int | None, limit: int
               ) -> tuple[list[tuple[CaseRecord, DecisionRecord | None]], int | None]:
    """Newest first, `limit` of them after the cursor (a case id); the next cursor, or None on the last page."""
    latest = _latest_decisions()
    query = (select(CaseRecord, DecisionRecord).where(CaseRecord.store_id == store_id)
             .outerjoin(latest, latest.c.case_id == CaseRecord.id)
             .outerjoin(DecisionRecord, DecisionRecord.id == latest.c.decision_id))
    if where.outcome is not None:
        query = query.where(DecisionRecord.outcome == where.outcome)
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
    rows: list[tuple[CaseRecord, DecisionRecord | None]] = [
        (case, decision) for case, decision in session.execute(query.order_by(CaseRecord.id.desc())
                                                               .limit(min(limit, MAX_PAGE) + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0].id if more and rows else None)


def store_case(session: Session, store_id: int, case_id: int, *, lock: bool = False) -> CaseRecord | None:
    """The case if it is this store's; None for an unknown id and for another store's alike."""
    query = select(CaseRecord).where(CaseRecord.id == case_id, CaseRecord.store_id == store_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def decisions_of(session: Session, case_id: int) -> Sequence[DecisionRecord]:
    return session.scalars(select(DecisionRecord).where(DecisionRecord.case_id == case_id)
                           .order_by(DecisionRecord.id)).all()


def review_queue(session: Session, store_id: int, limit: int = 500) -> list[tuple[CaseRecord, DecisionRecord]]:
    """Decided cases whose decision in force is `review`, the one due first (`respond_by`) first, undated last."""
    latest = _latest_decisions()
    query = (select(CaseRecord, DecisionRecord)
             .join(latest, latest.c.case_id == CaseRecord.id)
             .join(DecisionRecord, DecisionRecord.id == latest.c.decision_id)
             .where(CaseRecord.store_id == store_id, CaseRecord.status == CaseStatus.DECIDED.value,
                    DecisionRecord.outcome == "review")
             .order_by(CaseRecord.id).limit(limit))
    rows = [(case, decision) for case, decision in session.execute(query)]

    def due(row: tuple[CaseRecord, DecisionRecord]) -> tuple[int, str, int]:
        respond_by = row[1].document.get("respond_by")
        # ISO instants in UTC sort as text; an undated review waits behind every dated one, oldest first.
        return (0, _utc_text(respond_by), row[0].id) if respond_by else (1, "", row[0].id)

    return sorted(rows, key=due)


def _utc_text(instant: str) -> str:
    from datetime import UTC

    return datetime.fromisoformat(instant).astimezone(UTC).isoformat()


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
    """Per ISO week (Monday, UTC), the last `weeks` of them oldest first: each case counted once, under the
    outcome in force and the week that decision was made."""
    now = now or utc_now()
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    first = this_monday - timedelta(weeks=weeks - 1)
    latest = _latest_decisions()
    query = (select(DecisionRecord.outcome, DecisionRecord.decided_at)
             .join(latest, latest.c.decision_id == DecisionRecord.id)
             .join(CaseRecord, CaseRecord.id == DecisionRecord.case_id)
             .where(CaseRecord.store_id == store_id, DecisionRecord.decided_at >= first))
    buckets = [{"week": (first + timedelta(weeks=i)).date().isoformat(), "approve": 0, "decline": 0, "review": 0}
               for i in range(weeks)]
    for outcome, decided_at in session.execute(query):
        index = (decided_at - first).days // 7
        if 0 <= index < weeks:
            bucket = buckets[index]
            bucket[outcome] = int(str(bucket[outcome])) + 1
    return buckets
