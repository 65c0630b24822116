"""Each store's platform outage breaker: after a timeout, a refused connection or a 5xx, the store's calls fail fast,
unsent, until a cool-down ends and one probe goes, so a failing store holds at most one worker per cool-down."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask

from connector.redis_ledgers import ledger_client
from storage.settings import Settings

log = logging.getLogger(__name__)

EXTENSION = "assay.outages"
FIRST_COOL_DOWN_SECONDS = 1.0
COOL_DOWN_CAP_SECONDS = 15.0
OUTAGE_TTL_SECONDS = 3600
PROBE_LEASE_SECONDS = 60.0  # longer than any one call; released at the probe's answer
# The book is shared in Redis by every worker, or kept in this process without it; like pacing it is help, not a
# gate: when Redis can't be reached, calls go as they would without a breaker.
REDIS_TIMEOUT_SECONDS = 1.0
# A platform that takes longer than this to accept a connection is down, whatever its read timeout allows: every
# platform client connects within it, so a dead host opens its store's breaker in seconds.
CONNECT_TIMEOUT_SECONDS = 3.0

Clock = Callable[[], float]


@dataclass(frozen=True)
class Held:
    """The store's platform is failing: its last failure and how long until a probe may go."""

    reason: str
    wait_seconds: float

    def __str__(self) -> str:
        return (f"{self.reason}; not asked again while the platform is failing "
                f"(a probe in {self.wait_seconds:.1f}s)")


@dataclass(frozen=True)
class Outage:
    reason: str
    retry_at: float  # wall time
    failures: int


def cool_down(failures: int) -> float:
    return float(min(COOL_DOWN_CAP_SECONDS, FIRST_COOL_DOWN_SECONDS * 2 ** max(failures - 1, 0)))


class OutageBook(Protocol):
    def read(self, store: str) -> Outage | None: ...

    def take_probe(self, store: str) -> bool: ...

    def fail(self, store: str, reason: str, now: float) -> None: ...

    def close(self, store: str) -> None: ...


class MemoryOutageBook:
    """The breakers of this process (no Redis: jobs run on the web process's threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outages: dict[str, Outage] = {}
        self._probes: dict[str, float] = {}

    def read(self, store: str) -> Outage | None:
        return self._outages.get(store)

    def take_probe(self, store: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._probes.get(store, 0.0) > now:
                return False
            self._probes[store] = now + PROBE_LEASE_SECONDS
            return True

    def fail(self, store: str, reason: str, now: float) -> None:
        with self._lock:
            known = self._outages.get(store)
            failures = (known.failures if known else 0) + 1
            self._outages[store] = Outage(reason, now + cool_down(failures), failures)
            self._probes.pop(store, None)

    def close(self, store: str) -> None:
        with self._lock:
            self._outages.pop(store, None)
            self._probes.pop(store, None)


class RedisOutageBook:
    """The breakers shared by every worker: `{namespace}:outage:{store}` (a hash) and its `:probe` lease."""

    def __init__(self, client: Any, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def _key(self, store: str) -> str:
        return f"{self.namespace}:outage:{store}"

    def read(self, store: str) -> Outage | None:
        found = self.client.hgetall(self._key(store))
        if not found:
            return None
        fields = {key.decode(): value.decode() for key, value in found.items()}
        return Outage(fields.get("reason", ""), float(fields.get("retry_at", 0)), int(fields.get("failures", 0)))

    def take_probe(self, store: str) -> bool:
        return bool(self.client.set(f"{self._key(store)}:probe", "1", nx=True, px=int(PROBE_LEASE_SECONDS * 1000)))

    def fail(self, store: str, reason: str, now: float) -> None:
        # Two failures racing may each double from the same count: the cool-down is a bound, not a ledger.
        key = self._key(store)
        failures = int(self.client.hincrby(key, "failures", 1))
        with self.client.pipeline() as pipe:
            pipe.hset(key, mapping={"reason": reason[:500], "retry_at": now + cool_down(failures)})
            pipe.expire(key, OUTAGE_TTL_SECONDS)
            pipe.delete(f"{key}:probe")
            pipe.execute()

    def close(self, store: str) -> None:
        key = self._key(store)
        self.client.delete(key, f"{key}:probe")


class OutageGate:
    """One platform client's view of its store's breaker: asked before its first call, told of each outcome."""

    def __init__(self, book: OutageBook, store: str, clock: Clock = time.time) -> None:
        self.book = book
        self.store = store
        self.clock = clock
        self._admitted = False
        self._probing = False
        self._failed = False

    def admit(self) -> Held | None:
        """None: call (the store is healthy, or this call is its probe); Held: don't, the platform is failing."""
        if self._admitted:
            return None
        try:
            outage = self.book.read(self.store)
            if outage is not None:
                wait = outage.retry_at - self.clock()
                if wait > 0 or not self.book.take_probe(self.store):
                    return Held(outage.reason, max(wait, FIRST_COOL_DOWN_SECONDS))
                self._probing = True
                log.info("platform.probe", extra={"store": self.store, "failures": outage.failures})
        except Exception as error:  # Redis away: call as without a breaker
            log.warning("platform.outages_unreachable", extra={"store": self.store, "error": repr(error)})
        self._admitted = True
        return None

    def failed(self, reason: str) -> None:
        """The platform timed out, could not be reached or answered 5xx (counted once a client: a job's check
        after its failed write is the same outage, not a second one)."""
        if self._failed:
            return
        self._failed = True
        try:
            self.book.fail(self.store, reason, self.clock())
        except Exception as error:
            log.warning("platform.outages_unreachable", extra={"store": self.store, "error": repr(error)})
            return
        self._probing = False
        log.warning("platform.failing", extra={"store": self.store, "reason": reason})

    def answered(self) -> None:
        """The platform answered (whatever it said): a probe's answer closes the breaker."""
        if not self._probing:
            return
        self._probing = False
        try:
            self.book.close(self.store)
        except Exception as error:
            log.warning("platform.outages_unreachable", extra={"store": self.store, "error": repr(error)})
            return
        log.info("platform.recovered", extra={"store": self.store})


def init_app(app: Flask, settings: Settings) -> None:
    """The deployment's book: in Redis under the queue's name when REDIS_URL is set (every worker shares it), else
    the app's own."""
    client = ledger_client(settings, REDIS_TIMEOUT_SECONDS)
    book: OutageBook = MemoryOutageBook() if client is None else RedisOutageBook(client, settings.rq_queue)
    app.extensions[EXTENSION] = book


def outage_gate(extensions: Mapping[str, Any], store: str) -> OutageGate:
    """A gate on the app's book for one store."""
    book: OutageBook = extensions[EXTENSION]
    return OutageGate(book, store)
