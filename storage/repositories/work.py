"""The database as the source of truth for work: what is still to do (for the relay), what has failed for good
(for `/health`, the CLI and the settings page), and putting failed work back in line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import (
    Action,
    ActionState,
    CaseRecord,
    CaseStatus,
    DecisionRecord,
    Event,
    EventStatus,
    PolicyVersion,
)


def _due(waiting_since: InstrumentedAttribute[datetime], next_attempt_at: InstrumentedAttribute[datetime | None],
         now: datetime, grace: timedelta) -> ColumnElement[bool]:
    """Never retried: due once the grace period after it arrived is over; retried: due at its next attempt."""
    return or_(and_(next_attempt_at.is_(None), waiting_since < now - grace), next_attempt_at <= now)


def due_events(session: Session, now: datetime, grace: timedelta, limit: int) -> list[int]:
    """Events still `received` whose job may have been lost (Redis emptied, a worker killed, an enqueue failed)."""
    query = (select(Event.id).where(Event.status == EventStatus.RECEIVED.value,
                                    _due(Event.received_at, Event.next_attempt_at, now, grace))
             .order_by(Event.id).limit(limit))
    return list(session.scalars(query))


def due_cases(session: Session, now: datetime, grace: timedelta, limit: int) -> list[int]:
    """Open cases with no decision whose store has a policy (those without one wait for it, by design)."""
    query = (select(CaseRecord.id).where(
        CaseRecord.status == CaseStatus.OPEN.value, CaseRecord.created_at < now - grace,
        ~exists().where(DecisionRecord.case_id == CaseRecord.id),
        exists().where(PolicyVersion.store_id == CaseRecord.store_id),
    ).order_by(CaseRecord.id).limit(limit))
    return list(session.scalars(query))


def due_actions(session: Session, now: datetime, grace: timedelta, lease: timedelta, limit: int) -> list[str]:
    """Writes pending past their grace period or retry time, and writes `running` past their lease (worker dead)."""
    pending = and_(Action.state == ActionState.PENDING.value,
                   _due(Action.created_at, Action.next_attempt_at, now, grace))
    abandoned = and_(Action.state == ActionState.RUNNING.value, Action.claimed_at < now - lease)
    query = select(Action.idempotency_key).where(or_(pending, abandoned)).order_by(Action.id).limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True)
class FailedCounts:
    events: int
    actions: int


def failed_counts(session: Session) -> FailedCounts:
    events = session.scalar(select(func.count()).select_from(Event).where(Event.status == EventStatus.FAILED.value))
    actions = session.scalar(select(func.count()).select_from(Action)
                             .where(Action.state == ActionState.FAILED.value))
    return FailedCounts(int(events or 0), int(actions or 0))


def failed_events(session: Session, limit: int = 100) -> Sequence[Event]:
    query = select(Event).where(Event.status == EventStatus.FAILED.value).order_by(Event.id.desc()).limit(limit)
    return session.scalars(query).all()


def failed_actions(session: Session, limit: int = 100) -> Sequence[Action]:
    query = select(Action).where(Action.state == ActionState.FAILED.value).order_by(Action.id.desc()).limit(limit)
    return session.scalars(query).all()


class NotRetryable(LookupError):
    """The event or action named does not exist, or is not failed; the message says which."""


FailedRow = TypeVar("FailedRow", Event, Action)


def _locked_failed(session: Session, model: type[FailedRow], row_id: int, noun: str) -> FailedRow:
    """The failed row, locked for the change; NotRetryable names what stands in the way."""
    row = session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotRetryable(f"no {noun} with id {row_id}")
    state, failed = ((row.status, EventStatus.FAILED.value) if isinstance(row, Event)
                     else (row.state, ActionState.FAILED.value))
    if state != failed:
        raise NotRetryable(f"{noun} {row_id} is {state}, only a failed {noun} is retried")
    return row


def retry_event(session: Session, event_id: int) -> Event:
    """A failed event back to `received` with a fresh count of attempts; its error stays until it is handled."""
    event = _locked_failed(session, Event, event_id, "event")
    event.status, event.attempts, event.next_attempt_at, event.processed_at = EventStatus.RECEIVED.value, 0, None, None
    session.flush()
    return event


def retry_action(session: Session, action_id: int) -> Action:
    """A failed action back to `pending` with a fresh count of attempts; the write re-checks the platform first."""
    action = _locked_failed(session, Action, action_id, "action")
    action.state, action.attempts, action.next_attempt_at, action.done_at = ActionState.PENDING.value, 0, None, None
    session.flush()
    return action
