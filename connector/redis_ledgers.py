"""The deployment's ledgers kept in Redis (Shopify's pacing, the stores' outage breakers): one of each kind per Redis
and queue name in a process, on a client with a short timeout, since a ledger is help, not a gate."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from storage.settings import Settings

Ledger = TypeVar("Ledger")

_lock = threading.Lock()
_made: dict[tuple[str, str, str], Any] = {}


def redis_ledger(kind: str, settings: Settings, make: Callable[[Any, str], Ledger],
                 timeout_seconds: float) -> Ledger | None:
    """The process's `kind` ledger on the deployment's Redis, made once by `make(client, namespace)`; None without
    REDIS_URL (the caller keeps one in the app instead)."""
    redis_url = settings.redis_url
    if not redis_url:
        return None
    namespace = settings.rq_queue  # the queue's name keeps two deployments apart
    key = (kind, str(redis_url), namespace)
    with _lock:
        if key not in _made:
            from redis import Redis

            client = Redis.from_url(redis_url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)
            _made[key] = make(client, namespace)
        ledger: Ledger = _made[key]
        return ledger
