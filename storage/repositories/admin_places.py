"""What the settings page lists beside the cases: recent orders (for "try it"), and events that failed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Event, EventStatus, OrderSnapshot, Store


def recent_orders(session: Session, store_id: int, limit: int = 20) -> Sequence[OrderSnapshot]:
    """The store's most recently seen orders, newest first."""
    return session.scalars(select(OrderSnapshot).where(OrderSnapshot.store_id == store_id)
                           .order_by(OrderSnapshot.id.desc()).limit(limit)).all()


def failed_events(session: Session, store: Store, limit: int = 100) -> Sequence[Event]:
    """The store's webhook deliveries that failed to be handled, newest first (events name their shop, not an id)."""
    return session.scalars(select(Event).where(Event.platform == store.platform, Event.shop_domain == store.domain,
                                               Event.status == EventStatus.FAILED.value)
                           .order_by(Event.id.desc()).limit(limit)).all()
