"""What privacy asks of storage: replayed bodies recognised, inbox payloads pruned and scrubbed, a customer's
rows and a shop's rows deleted, and a customer's data exported (encrypted) for the merchant."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import (
    CaseRecord,
    DecisionRecord,
    DeliveryDigest,
    Event,
    EventStatus,
    OrderSnapshot,
    PrivacyExport,
    Store,
)
from storage.secrets import Cipher

PAYLOAD_DAYS = 30  # processed inbox payloads are kept this long by default (INBOX_PAYLOAD_DAYS)
_DONE = (EventStatus.PROCESSED.value, EventStatus.IGNORED.value, EventStatus.FAILED.value)


def claim_delivery_digest(session: Session, *, platform: str, topic: str, digest: str, now: datetime,
                          horizon: timedelta, event_id: int | None = None, signer: str = "") -> int | None:
    """The digest row's id when this body is new to its signer within `horizon`, in one statement (insert, or take over
    a row older than the horizon); None for a replay. `event_id`: its inbox row, when already known."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(DeliveryDigest).values(platform=platform, signer=signer, topic=topic, digest=digest,
                                              seen_at=now, event_id=event_id)
    upsert = statement.on_conflict_do_update(
        index_elements=["platform", "signer", "topic", "digest"],
        set_={"seen_at": now, "event_id": event_id},
        where=DeliveryDigest.seen_at < now - horizon,
    ).returning(DeliveryDigest.id)
    claimed = session.scalar(upsert)
    return None if claimed is None else int(claimed)


def link_delivery_digest(session: Session, digest_id: int, event_id: int) -> None:
    session.execute(update(DeliveryDigest).where(DeliveryDigest.id == digest_id).values(event_id=event_id)
                    .execution_options(synchronize_session=False))


def prune_inbox(session: Session, now: datetime, keep_for: timedelta,
                replay_horizon: timedelta = timedelta(days=7)) -> int:
    """Empty the payloads of events handled more than `keep_for` ago (their cases keep what they need), and
    forget body digests past any platform's retry horizon; returns the payloads emptied."""
    old = select(Event.id).where(Event.status.in_(_DONE), Event.received_at < now - keep_for,
                                 Event.payload != {})
    ids = list(session.scalars(old))
    if ids:
        session.execute(update(Event).where(Event.id.in_(ids)).values(payload={})
                        .execution_options(synchronize_session=False))
    emptied = len(ids)
    session.execute(delete(DeliveryDigest).where(DeliveryDigest.seen_at < now - replay_horizon))
    return emptied


def scrub_events(session: Session, platform: str, shop_domain: str, holds: Callable[[Mapping[str, Any]], bool],
                 *, except_id: int | None = None) -> int:
    """Empty the payload of each of the shop's inbox rows whose payload `holds` the customer's data."""
    rows = session.scalars(select(Event).where(Event.platform == platform, Event.shop_domain == shop_domain,
                                               Event.payload != {}))
    scrubbed = 0
    for event in rows:
        if event.id != except_id and holds(event.payload):
            event.payload = {}
            scrubbed += 1
    session.flush()
    return scrubbed


def customer_order_ids(session: Session, store_id: int, order_ids: Iterable[str], customer_id: str | None) -> set[str]:
    """The named orders, and every order Assay snapshotted for the customer."""
    found = set(order_ids)
    if customer_id:
        found.update(session.scalars(select(OrderSnapshot.order_id).where(
            OrderSnapshot.store_id == store_id, OrderSnapshot.customer_id == customer_id)))
    return found


def delete_customer_rows(session: Session, store_id: int, order_ids: set[str], customer_id: str | None) -> None:
    """The orders' snapshots and cases (their decisions and actions cascade), and the customer's exports."""
    session.execute(delete(OrderSnapshot).where(OrderSnapshot.store_id == store_id, or_(
        OrderSnapshot.order_id.in_(order_ids), OrderSnapshot.customer_id == (customer_id or None))))
    session.execute(delete(CaseRecord).where(CaseRecord.store_id == store_id, CaseRecord.order_id.in_(order_ids)))
    if customer_id:
        session.execute(delete(PrivacyExport).where(PrivacyExport.store_id == store_id,
                                                    PrivacyExport.customer_id == customer_id))


def forget_shop(session: Session, store: Store, *, keep_event_id: int | None = None) -> None:
    """Everything of the shop: its inbox rows and the store (policies, snapshots, cases, exports cascade); the event
    being handled (`keep_event_id`) stays, emptied, so its job can still mark it done."""
    session.execute(delete(Event).where(Event.platform == store.platform, Event.shop_domain == store.domain,
                                        Event.id != (keep_event_id or 0)).execution_options(synchronize_session=False))
    if keep_event_id is not None:
        session.execute(update(Event).where(Event.id == keep_event_id)
                        .values(payload={}, headers={}, shop_domain="(redacted)")
                        .execution_options(synchronize_session="fetch"))
    session.delete(store)
    session.flush()


def customer_export(session: Session, store_id: int, order_ids: set[str]) -> dict[str, Any]:
    """What Assay holds on the customer's orders: snapshots, cases and their decisions."""
    snapshots = session.scalars(select(OrderSnapshot).where(OrderSnapshot.store_id == store_id,
                                                            OrderSnapshot.order_id.in_(order_ids))).all()
    cases = session.scalars(select(CaseRecord).where(CaseRecord.store_id == store_id,
                                                     CaseRecord.order_id.in_(order_ids))).all()
    decisions = session.scalars(select(DecisionRecord).where(
        DecisionRecord.case_id.in_([case.id for case in cases]))).all() if cases else []
    return {
        "orders": [{"order_id": s.order_id, "order": s.document} for s in snapshots],
        "cases": [{"case_id": c.id, "order_id": c.order_id, "kind": c.kind, "status": c.status,
                   "request": c.document.get("request"),
                   "decisions": [d.document for d in decisions if d.case_id == c.id]} for c in cases],
    }


def save_privacy_export(session: Session, cipher: Cipher, store_id: int, customer_id: str | None,
                        document: Mapping[str, Any]) -> PrivacyExport:
    row = PrivacyExport(store_id=store_id, customer_id=customer_id,
                        document_encrypted=cipher.encrypt(json.dumps(document, sort_keys=True, default=str)))
    session.add(row)
    session.flush()
    return row


def privacy_exports(session: Session, store_id: int) -> Sequence[PrivacyExport]:
    """The store's exports, newest first."""
    return session.scalars(select(PrivacyExport).where(PrivacyExport.store_id == store_id)
                           .order_by(PrivacyExport.id.desc())).all()


def read_privacy_export(session: Session, cipher: Cipher, store_id: int, export_id: int) -> dict[str, Any] | None:
    """One export's document, decrypted, if it is the store's."""
    row = session.get(PrivacyExport, export_id)
    if row is None or row.store_id != store_id:
        return None
    document: dict[str, Any] = json.loads(cipher.decrypt(row.document_encrypted))
    return document
