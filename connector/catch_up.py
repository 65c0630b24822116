"""What every platform's catch-up for missed webhooks shares: a store's failure recorded against the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from flask import current_app

from storage.db import storage_of
from storage.models import Store
from storage.repositories import StoreCredentials, store_credentials

log = logging.getLogger("assay.jobs")
POLL_ERROR_LIMIT = 2000
OVERLAP = timedelta(minutes=5)  # clock skew between the platform and us, and orders saved while a run reads
FIRST_LOOK_BACK = timedelta(days=2)  # a store never caught up: its webhooks' retries cover what came before


@dataclass
class CatchUpReport:
    """What one store's catch-up found and did; each platform's report adds its own findings."""

    store_id: int
    domain: str
    orders_seen: int = 0
    events_recorded: list[int] = field(default_factory=list)
    error: str | None = None


Report = TypeVar("Report", bound=CatchUpReport)


def store_to_catch_up(store_id: int, started: datetime) -> tuple[Store, StoreCredentials, datetime]:
    """The store (detached), its credentials, and since when to read: its last catch-up less the overlap."""
    storage = storage_of(current_app)
    with storage.sessions() as session:
        store = session.get_one(Store, store_id)
        credentials = store_credentials(store, storage.cipher)
        since = store.polled_at - OVERLAP if store.polled_at else started - FIRST_LOOK_BACK
        session.expunge(store)
    return store, credentials, since


def failed_catch_up(report: type[Report], store_id: int, message: str, event: str) -> Report:
    """A store's catch-up that failed: logged, recorded against the store, reported; never raised."""
    log.warning(event, extra={"store_id": store_id, "error": message})
    record_poll_error(store_id, message)
    return report(store_id, "", error=message)


def record_poll_error(store_id: int, message: str) -> None:
    """`stores.poll_error` = why this store's last catch-up failed; the next one that goes through clears it."""
    try:
        with storage_of(current_app).transaction() as session:
            session.get_one(Store, store_id).poll_error = message[:POLL_ERROR_LIMIT]
    except Exception:  # the database itself is down: the caller's log line says what happened
        log.exception("poll.error_not_recorded", extra={"store_id": store_id})
