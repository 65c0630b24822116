"""The webhook inbox: each delivery recorded once, however often the platform sends it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.columns import utc_now
from storage.models import Event, EventStatus
from storage.repositories._once import insert_once
from storage.repositories.privacy import claim_delivery_digest

# Signatures and credentials prove a delivery once; stored, they would only be something to leak.
_SENSITIVE_HEADER_WORDS = ("hmac", "signature", "authorization", "token", "secret", "cookie", "api-key", "apikey")
MAX_ERROR_LENGTH = 2000


def safe_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """The headers worth keeping, with anything that could be a signature or a credential left out."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {name: value for name, value in pairs
            if not any(word in name.lower() for word in _SENSITIVE_HEADER_WORDS)}


def record_event(session: Session, *, platform: str, delivery_id: str, topic: str, shop_domain: str,
                 payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> tuple[Event, bool]:
    """The inbox row for this delivery, and True only for the first time it arrived (safe under concurrency)."""
    values = {
        "platform": platform,
        "delivery_id": delivery_id,
        "topic": topic,
        "shop_domain": shop_domain,
        "payload": dict(payload),
        "headers": safe_headers(headers or {}),
    }
    return insert_once(session, Event, values, unique=("platform", "delivery_id"))


@dataclass(frozen=True)
class Delivery:
    """What the intake needs to answer: the inbox row's id and status, and whether this request recorded it."""

    event_id: int
    status: str
    created: bool


def record_delivery_once(session: Session, *, platform: str, delivery_id: str, topic: str, shop_domain: str,
                         payload: Mapping[str, Any], headers: Mapping[str, str], digest: str, now: datetime,
                         horizon: timedelta, handled: bool) -> Delivery | None:
    """The intake's write, in the fewest statements: the inbox row (ignored at once when no handler wants its
    topic), then the body's digest pointing at it. None for a replayed body: the caller rolls back, so nothing
    of it is kept. Only the id and status come back, not the whole row (the payload is what was just sent)."""
    values: dict[str, Any] = {"platform": platform, "delivery_id": delivery_id, "topic": topic,
                              "shop_domain": shop_domain, "payload": dict(payload), "headers": safe_headers(headers),
                              "received_at": now}
    if not handled:
        values.update(status=EventStatus.IGNORED.value, processed_at=now)
    statement = _insert(session, Event).values(**values).on_conflict_do_nothing(
        index_elements=["platform", "delivery_id"]).returning(Event.id, Event.status)
    row = session.execute(statement).first()
    created = row is not None
    if row is None:  # this delivery id is known: the digest still decides whether the body is a replay
        row = session.execute(select(Event.id, Event.status).where(Event.platform == platform,
                                                                   Event.delivery_id == delivery_id)).one()
    event_id, status = int(row[0]), str(row[1])
    if claim_delivery_digest(session, platform=platform, topic=topic, digest=digest, now=now, horizon=horizon,
                             event_id=event_id) is None:
        return None
    return Delivery(event_id, status, created)


def _insert(session: Session, model: type[Event]) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(model)


def find_event(session: Session, event_id: int, *, lock: bool = False) -> Event | None:
    """`lock`: hold the row (PostgreSQL); None as well when another job holds it, which is handling it now."""
    if not lock:
        return session.get(Event, event_id)
    return session.get(Event, event_id, with_for_update={"skip_locked": True})


def reschedule_event(session: Session, event_id: int, error: str, *, at: datetime | None,
                     counted: bool = True) -> Event:
    """A passing failure (counted, unless the platform only asked to wait): tried again at `at`, or failed for
    good with its error when `at` is None."""
    event = session.get_one(Event, event_id)
    event.attempts += 1 if counted else 0
    event.error = error[:MAX_ERROR_LENGTH]
    if at is None:
        event.status = EventStatus.FAILED.value
        event.processed_at = utc_now()
    else:
        event.next_attempt_at = at
    session.flush()
    return event


def mark_event(session: Session, event_id: int, status: EventStatus, *, error: str | None = None) -> Event:
    """Record how handling the event ended: processed, ignored (nothing to do) or failed (with why)."""
    event = session.get_one(Event, event_id)
    event.status = status.value
    event.error = None if error is None else error[:MAX_ERROR_LENGTH]
    event.processed_at = utc_now()
    session.flush()
    return event


def prune_handled_events(session: Session, before: datetime) -> int:
    """Forget events handled (processed or ignored) before `before`; received and failed ones are kept."""
    handled = (EventStatus.PROCESSED.value, EventStatus.IGNORED.value)
    result = session.execute(delete(Event).where(Event.status.in_(handled), Event.processed_at < before)
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def last_event_at(session: Session, platform: str, shop_domain: str) -> datetime | None:
    """When the shop's latest delivery arrived, or None if none ever did."""
    query = select(func.max(Event.received_at)).where(Event.platform == platform, Event.shop_domain == shop_domain)
    return session.scalar(query)
