"""The webhook inbox: each delivery recorded once, however often the platform sends it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, select
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
    return insert_once(session, Event, values, unique=("platform", "shop_domain", "delivery_id"))


@dataclass(frozen=True)
class Delivery:
    """What the intake needs to answer: the inbox row's id and status, and whether this request recorded it."""

    event_id: int
    status: str
    created: bool


def record_delivery_once(session: Session, *, platform: str, delivery_id: str, topic: str, shop_domain: str,
                         payload: Mapping[str, Any], headers: Mapping[str, str], digest: str, now: datetime,
                         horizon: timedelta, handled: bool, signer: str = "") -> Delivery | None:
    """The intake's write in the fewest statements: the inbox row, then the body's digest pointing at it; None for a
    replayed body (the caller rolls back, so nothing is kept). Only the id and status come back."""
    values: dict[str, Any] = {"platform": platform, "delivery_id": delivery_id, "topic": topic,
                              "shop_domain": shop_domain, "payload": dict(payload), "headers": safe_headers(headers),
                              "received_at": now}
    if not handled:
        values.update(status=EventStatus.IGNORED.value, processed_at=now)
    statement = _insert(session, Event).values(**values).on_conflict_do_nothing(
        index_elements=["platform", "shop_domain", "delivery_id"]).returning(Event.id, Event.status)
    row = session.execute(statement).first()
    created = row is not None
    if row is None:  # this delivery id is known: the digest still decides whether the body is a replay
        row = session.execute(select(Event.id, Event.status).where(
            Event.platform == platform, Event.shop_domain == shop_domain, Event.delivery_id == delivery_id)).one()
    event_id, status = int(row[0]), str(row[1])
    if claim_delivery_digest(session, platform=platform, topic=topic, digest=digest, now=now, horizon=horizon,
                             event_id=event_id, signer=signer) is None:
        return None
    return Delivery(event_id, status, created)


class NotAtOnce(Exception):
    """The one statement could not settle this delivery (a twin with its delivery id is being recorded right
    now): nothing was kept; record it with record_delivery_once in a transaction instead."""


# record_delivery_once in one statement, on PostgreSQL, for the intake: the digest is claimed first (a replay
# matches nothing, so nothing is inserted and nothing is kept), then the inbox row is inserted with an id taken
# up front, so the digest can point at it. A known delivery id with a new body keeps its row and points the
# digest at it. In autocommit this is the delivery's whole transaction: one round trip, committed on return.
_RECORD_AT_ONCE = """
WITH fresh AS (SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id),
known AS (SELECT id, status FROM events
          WHERE platform = %(platform)s AND shop_domain = %(shop_domain)s AND delivery_id = %(delivery_id)s),
claimed AS (
    INSERT INTO delivery_digests (platform, signer, topic, digest, seen_at, event_id)
    SELECT %(platform)s, %(signer)s, %(topic)s, %(digest)s, %(now)s::timestamptz,
           COALESCE((SELECT id FROM known), (SELECT id FROM fresh))
    ON CONFLICT (platform, signer, topic, digest) DO UPDATE SET seen_at = EXCLUDED.seen_at, event_id = EXCLUDED.event_id
        WHERE delivery_digests.seen_at < %(stale_before)s::timestamptz
    RETURNING event_id),
inserted AS (
    INSERT INTO events (id, platform, delivery_id, topic, shop_domain, payload, headers, received_at, status,
                        processed_at, attempts)
    SELECT fresh.id, %(platform)s, %(delivery_id)s, %(topic)s, %(shop_domain)s, %(payload)s::jsonb,
           %(headers)s::jsonb, %(now)s::timestamptz, %(status)s, %(processed_at)s::timestamptz, 0
    FROM fresh WHERE EXISTS (SELECT 1 FROM claimed) AND NOT EXISTS (SELECT 1 FROM known)
    ON CONFLICT (platform, shop_domain, delivery_id) DO NOTHING
    RETURNING id, status)
SELECT (SELECT count(*) FROM claimed), inserted.id, inserted.status, known.id, known.status
FROM (SELECT 1) AS one LEFT JOIN inserted ON true LEFT JOIN known ON true
"""


def record_delivery_at_once(connection: Connection, *, platform: str, delivery_id: str, topic: str, shop_domain: str,
                            payload: Mapping[str, Any], headers: Mapping[str, str], digest: str, now: datetime,
                            horizon: timedelta, handled: bool, signer: str = "") -> Delivery | None:
    """record_delivery_once as one statement, on a connection in autocommit on PostgreSQL (the intake's fast path).
    NotAtOnce when a concurrent twin kept it from settling; an IntegrityError from the same race says so too."""
    from sqlalchemy.exc import IntegrityError

    status = EventStatus.RECEIVED.value if handled else EventStatus.IGNORED.value
    values = {"platform": platform, "delivery_id": delivery_id, "topic": topic, "shop_domain": shop_domain,
              "payload": _json(payload), "headers": _json(safe_headers(headers)), "digest": digest, "signer": signer,
              "now": now,
              "stale_before": now - horizon, "status": status, "processed_at": None if handled else now}
    try:
        claimed, new_id, new_status, known_id, known_status = connection.exec_driver_sql(_RECORD_AT_ONCE,
                                                                                        values).one()
    except IntegrityError as race:  # the digest pointed at a row a twin's insert kept from being made
        raise NotAtOnce from race
    if not claimed:
        return None
    if new_id is not None:
        return Delivery(int(new_id), str(new_status), True)
    if known_id is not None:
        return Delivery(int(known_id), str(known_status), False)
    raise NotAtOnce


def _json(document: Mapping[str, Any]) -> str:
    try:
        return orjson.dumps(document).decode()
    except TypeError:  # what orjson can't write (an integer past 64 bits), the standard library can
        return json.dumps(document)


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
