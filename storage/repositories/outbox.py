"""The outbox: platform writes waiting to be done, each claimed by one worker and done once per idempotency key."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true, update
from sqlalchemy.orm import Session

from storage.columns import utc_now
from storage.models import Action, ActionState
from storage.repositories._once import insert_once

# A running action untouched this long belongs to a worker that died; another may take it over. The platform
# write carries the idempotency key, so a slow worker finishing late still writes nothing twice.
DEFAULT_LEASE = timedelta(minutes=10)
MAX_ERROR_LENGTH = 2000


def enqueue_action(session: Session, *, case_id: int, kind: str, payload: Mapping[str, Any],
                   idempotency_key: str) -> tuple[Action, bool]:
    """The action for this key, and True if it was new; enqueuing an existing key changes nothing."""
    values = {"case_id": case_id, "kind": kind, "payload": dict(payload), "idempotency_key": idempotency_key}
    return insert_once(session, Action, values, unique=("idempotency_key",))


def find_action(session: Session, idempotency_key: str) -> Action | None:
    return session.scalars(select(Action).where(Action.idempotency_key == idempotency_key)).first()


def list_actions(session: Session, case_id: int) -> Sequence[Action]:
    return session.scalars(select(Action).where(Action.case_id == case_id).order_by(Action.id)).all()


def claim_action(session: Session, idempotency_key: str, *, lease: timedelta = DEFAULT_LEASE) -> Action | None:
    """Take this action to perform it, or None if it is done, failed, or another worker has it."""
    return _claim(session, Action.idempotency_key == idempotency_key, lease)


def claim_next_action(session: Session, *, kinds: Collection[str] | None = None,
                      lease: timedelta = DEFAULT_LEASE) -> Action | None:
    """Take the oldest claimable action (of these kinds), or None if there is none free."""
    condition = Action.kind.in_(kinds) if kinds else true()
    return _claim(session, condition, lease)


def _claim(session: Session, condition: ColumnElement[bool], lease: timedelta) -> Action | None:
    now = utc_now()
    claimable = and_(condition, or_(
        # A write waiting out a platform's backoff is not taken early by whoever holds its key.
        and_(Action.state == ActionState.PENDING.value,
             or_(Action.next_attempt_at.is_(None), Action.next_attempt_at <= now)),
        and_(Action.state == ActionState.RUNNING.value, Action.claimed_at < now - lease),
    ))
    if session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED: a second worker passes over the row the first is claiming instead of waiting for it.
        query = select(Action).where(claimable).order_by(Action.id).limit(1).with_for_update(skip_locked=True)
        action = session.scalars(query).first()
        if action is None:
            return None
        action.state = ActionState.RUNNING.value
        action.attempts += 1
        action.claimed_at = now
        session.flush()
        return action
    # SQLite has no row locks; one guarded UPDATE is atomic there, so two claimers cannot both win.
    first = select(Action.id).where(claimable).order_by(Action.id).limit(1).scalar_subquery()
    statement = (update(Action).where(Action.id == first, claimable)
                 .values(state=ActionState.RUNNING.value, attempts=Action.attempts + 1, claimed_at=now)
                 .returning(Action))
    claimed: Action | None = session.scalars(statement).first()
    return claimed


def complete_action(session: Session, idempotency_key: str, result: Mapping[str, Any] | None = None) -> Action:
    """The platform write succeeded: record what it returned. Completing a done action changes nothing."""
    session.flush()  # the guarded UPDATE below reads the row as it stands, this session's changes included
    statement = (update(Action)
                 .where(Action.idempotency_key == idempotency_key, Action.state != ActionState.DONE.value)
                 .values(state=ActionState.DONE.value, result=None if result is None else dict(result),
                         done_at=utc_now())
                 .returning(Action)
                 .execution_options(synchronize_session="fetch"))
    done: Action | None = session.scalars(statement).first()  # one statement on the usual path
    return done if done is not None else _get(session, idempotency_key)  # done before, or no such key


def fail_action(session: Session, idempotency_key: str, error: str, *, retry: bool) -> Action:
    """The write failed: back to pending to be tried again, or failed for good. `error` must hold no secrets."""
    action = _get(session, idempotency_key)
    if action.state == ActionState.DONE.value:
        return action  # a late report from a worker whose lease ran out must not undo a success
    action.last_error = error[:MAX_ERROR_LENGTH]
    action.state = ActionState.PENDING.value if retry else ActionState.FAILED.value
    action.done_at = None if retry else utc_now()
    session.flush()
    return action


def reschedule_action(session: Session, idempotency_key: str, error: str, *, at: datetime,
                      counted: bool = True) -> Action:
    """A passing failure: back to pending until `at` (the relay or a scheduled job takes it then); a try the
    platform only asked to put off (`counted=False`) does not use up one of its attempts."""
    action = _get(session, idempotency_key)
    if action.state == ActionState.DONE.value:
        return action
    if not counted:
        action.attempts = max(0, action.attempts - 1)
    action.last_error = error[:MAX_ERROR_LENGTH]
    action.state = ActionState.PENDING.value
    action.next_attempt_at = at
    session.flush()
    return action


def _get(session: Session, idempotency_key: str) -> Action:
    action = find_action(session, idempotency_key)
    if action is None:
        raise LookupError(f"no action with idempotency key {idempotency_key!r}")
    return action
