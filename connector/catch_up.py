"""What every platform's catch-up for missed webhooks shares: a store's failure recorded against the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app

from storage.db import storage_of
from storage.models import Store

log = logging.getLogger("assay.jobs")
POLL_ERROR_LIMIT = 2000


@dataclass
class CatchUpReport:
    """What one store's catch-up found and did; each platform's report adds its own findings."""

    store_id: int
    domain: str
    orders_seen: int = 0
    events_recorded: list[int] = field(default_factory=list)
    error: str | None = None


def record_poll_error(store_id: int, message: str) -> None:
    """`stores.poll_error` = why this store's last catch-up failed; the next one that goes through clears it."""
    try:
        with storage_of(current_app).transaction() as session:
            session.get_one(Store, store_id).poll_error = message[:POLL_ERROR_LIMIT]
    except Exception:  # the database itself is down: the caller's log line says what happened
        log.exception("poll.error_not_recorded", extra={"store_id": store_id})
