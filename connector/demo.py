"""The demo store's writes are recorded, never sent: a store under `.invalid` (a name no DNS resolves, RFC 2606)
is a demo store."""

from __future__ import annotations

import logging
from typing import Any

from storage.models import Store

DEMO_SUFFIX = ".invalid"
log = logging.getLogger("assay.demo")


def is_demo_store(domain: str) -> bool:
    return domain.endswith(DEMO_SUFFIX)


def recorded_write(store: Store, kind: str, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    """What a demo store's write leaves in its outbox row instead of a platform's answer."""
    log.info("action.recorded", extra={"key": idempotency_key, "kind": kind, "store_id": store.id})
    return {"recorded": True, "sent": False, "kind": kind, "payload": payload}
