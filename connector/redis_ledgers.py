"""The Redis client of the deployment's ledgers (Shopify's pacing, the stores' outage breakers), with a short timeout
since a ledger is help, not a gate; the app factory makes each ledger on it, under the queue's name."""

from __future__ import annotations

from typing import Any

from storage.settings import Settings


def ledger_client(settings: Settings, timeout_seconds: float) -> Any | None:
    """A client of REDIS_URL's Redis (it connects on first use); None without one (each app keeps its own ledgers)."""
    if not settings.redis_url:
        return None
    from redis import Redis

    return Redis.from_url(settings.redis_url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)
