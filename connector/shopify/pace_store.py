"""Where each store's pacing ledger lives (pacing.py): in Redis, shared by every worker, or in this process when
there is no Redis; and the per-job pacer the Shopify writer asks before its first call and tells at its end.

The Redis ledger of a store is three small keys under the queue's name (a hash: the bucket, the points promised
and a version; a sorted set of promises by expiry; a hash of the promises), each expiring an hour after its last
write. A change reads them in one round trip, applies pacing.py's arithmetic here, and writes back in a second
only if the version is still the one it read (a compare-and-set in a small Lua script), so two workers never take
the same slot and the arithmetic stays in one place. A job changes the ledger twice: admitted before its first
call, and at its end, when what its answers said (the last bucket, the points charged) is recorded with its
release. Until then its promise stands for what it spends. Pacing is help, not a gate: when Redis can't be
reached the job is simply not paced (Shopify's THROTTLED answer still reschedules it).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from flask import Flask

from connector.redis_ledgers import ledger_client
from connector.shopify import pacing
from connector.shopify.pacing import Bucket, Claim, Ledger
from storage.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
Change = Callable[[Ledger], tuple[T, Ledger]]

LEDGER_TTL_SECONDS = 3600
LEARNED_TTL_SECONDS = 7 * 24 * 3600
REDIS_TIMEOUT_SECONDS = 1.0
CHANGE_RETRIES = 50
CHANGE_BACKOFF_SECONDS = 0.002  # times the try and a random share, so racing workers fall out of step
LEARNED_FRESH_SECONDS = 10.0  # an estimate read from Redis is reused this long by the process (it is an estimate)
# Before the first job of a kind has been measured: about a read and a mutation (Shopify charges 10 a mutation).
DEFAULT_JOB_COST = 30.0
EXTENSION = "assay.shopify_pace"


class PaceStore(Protocol):
    def change(self, shop: str, job: str, now: float, change: Change[T]) -> T:
        """Apply `change` to the shop's ledger as job `job` sees it, atomically; returns what it returned."""

    def learned(self, kind: str) -> float | None: ...

    def learn(self, kind: str, spent: float) -> None: ...


class MemoryPaceStore:
    """The ledger in this process (no Redis: jobs run on the web process's threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ledgers: dict[str, tuple[Bucket | None, float, dict[str, Claim]]] = {}
        self._costs: dict[str, float] = {}

    def change(self, shop: str, job: str, now: float, change: Change[T]) -> T:
        with self._lock:
            bucket, promised, claims = self._ledgers.get(shop, (None, 0.0, {}))
            expired = {key: claim for key, claim in claims.items() if claim.expires < now}
            own = claims.get(job) if job not in expired else None
            result, after = change(Ledger(bucket, promised, own, tuple(expired.values())))
            kept = {key: claim for key, claim in claims.items() if key not in expired and key != job}
            if after.claim is not None:
                kept[job] = after.claim
            self._ledgers[shop] = (after.bucket, after.promised, kept)
            return result

    def learned(self, kind: str) -> float | None:
        return self._costs.get(kind)

    def learn(self, kind: str, spent: float) -> None:
        with self._lock:
            self._costs[kind] = pacing.learned_cost(self._costs.get(kind), spent)


# KEYS: the ledger's hash, its promises by expiry, its promises. ARGV: the version read, the change (JSON: the
# hash's fields, the promises gone, this job's promise or []), the keys' TTL. Writes only if no one wrote since.
_WRITE_IF_UNCHANGED = """
if (redis.call('HGET', KEYS[1], 'version') or '0') ~= ARGV[1] then return 0 end
local change = cjson.decode(ARGV[2])
for field, value in pairs(change.fields) do redis.call('HSET', KEYS[1], field, value) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
if #change.gone > 0 then
  redis.call('ZREM', KEYS[2], unpack(change.gone))
  redis.call('HDEL', KEYS[3], unpack(change.gone))
end
if #change.claim == 3 then
  redis.call('ZADD', KEYS[2], change.claim[3], change.claim[1])
  redis.call('HSET', KEYS[3], change.claim[1], change.claim[2])
end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[3]) end
return 1
"""


class RedisPaceStore:
    """The ledger in Redis, shared by every worker of this deployment (keys under `namespace`)."""

    def __init__(self, redis: Any, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace
        self._write_if_unchanged = redis.register_script(_WRITE_IF_UNCHANGED)
        self._learned: dict[str, tuple[float | None, float]] = {}  # kind: (estimate, monotonic time read)

    def _keys(self, shop: str) -> tuple[str, str, str]:
        base = f"{self.namespace}:shopify-pace:{shop}"
        return base, f"{base}:expiry", f"{base}:claims"

    def change(self, shop: str, job: str, now: float, change: Change[T]) -> T:
        keys = self._keys(shop)
        for attempt in range(CHANGE_RETRIES):
            version, ledger, expired = self._read(keys, job, now)
            result, after = change(ledger)
            if self._write_if_unchanged(keys=keys, args=[version, _written(job, after, expired), LEDGER_TTL_SECONDS]):
                return result
            time.sleep(CHANGE_BACKOFF_SECONDS * attempt * random.random())  # noqa: S311 - spacing, not secrecy
        raise RuntimeError(f"the pacing ledger of {shop} kept changing under {CHANGE_RETRIES} tries")

    def _read(self, keys: tuple[str, str, str], job: str, now: float) -> tuple[str, Ledger, list[str]]:
        """The ledger as one snapshot (MULTI), and its version; the promises that ran out are read only if any."""
        main, expiry, claims = keys
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(main)
        pipe.zrangebyscore(expiry, "-inf", now)
        pipe.hget(claims, job)
        raw, lapsed, own = pipe.execute()
        fields = {k.decode(): v for k, v in raw.items()}
        version = fields.pop("version", b"0").decode()
        values = {name: float(value) for name, value in fields.items()}
        bucket = None
        if {"available", "at", "maximum", "restore_rate"} <= values.keys():
            bucket = Bucket(values["available"], values["at"], values["maximum"], values["restore_rate"])
        expired = [key.decode() for key in lapsed]
        gone = tuple(claim for claim in map(_claim, self.redis.hmget(claims, expired) if expired else [])
                     if claim is not None)
        ledger = Ledger(bucket, values.get("promised", 0.0), None if job in expired else _claim(own), gone)
        return version, ledger, expired

    def _learned_key(self) -> str:
        return f"{self.namespace}:shopify-pace:job-cost"

    def learned(self, kind: str) -> float | None:
        cached = self._learned.get(kind)
        if cached is not None and time.monotonic() - cached[1] < LEARNED_FRESH_SECONDS:
            return cached[0]
        value = self.redis.hget(self._learned_key(), kind)
        estimate = None if value is None else float(value)
        self._learned[kind] = (estimate, time.monotonic())
        return estimate

    def learn(self, kind: str, spent: float) -> None:
        # Two workers learning at once: one of the two estimates wins, both are fair.
        estimate = pacing.learned_cost(self.learned(kind), spent)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(self._learned_key(), kind, estimate)
        pipe.expire(self._learned_key(), LEARNED_TTL_SECONDS)
        pipe.execute()
        self._learned[kind] = (estimate, time.monotonic())


def _written(job: str, after: Ledger, expired: list[str]) -> str:
    """The change the write script applies, as JSON; numbers as their repr, so no precision is lost on the way."""
    fields = {"promised": repr(after.promised)}
    if after.bucket is not None:
        bucket = after.bucket
        fields.update(available=repr(bucket.available), at=repr(bucket.at), maximum=repr(bucket.maximum),
                      restore_rate=repr(bucket.restore_rate))
    gone = [key for key in expired if key != job] + ([job] if after.claim is None else [])
    claim = after.claim
    own = [] if claim is None else [job, f"{claim.remaining!r} {claim.slot!r} {claim.expires!r}", repr(claim.expires)]
    return json.dumps({"fields": fields, "gone": gone, "claim": own})


def _claim(raw: bytes | None) -> Claim | None:
    if raw is None:
        return None
    remaining, slot, expires = (float(part) for part in raw.split())
    return Claim(remaining, slot, expires)


def init_app(app: Flask, settings: Settings) -> None:
    """The deployment's ledger: in Redis under the queue's name when REDIS_URL is set (every worker shares it), else
    the app's own; none when SHOPIFY_PACING is off."""
    store: PaceStore | None = None
    if settings.shopify_pacing:
        client = ledger_client(settings, REDIS_TIMEOUT_SECONDS)
        store = MemoryPaceStore() if client is None else RedisPaceStore(client, settings.rq_queue)
    app.extensions[EXTENSION] = store


def pace_store(extensions: Mapping[str, Any]) -> PaceStore | None:
    """The app's ledger, or None when pacing is off."""
    store: PaceStore | None = extensions[EXTENSION]
    return store


class JobPacer:
    """One write-back job's pacing: admitted before its first call, told of every answer, released at its end.

    What the answers say is kept here and recorded with the release, in one change of the ledger: meanwhile the
    job's promise (its estimate) stands in the ledger for what it spends, so other jobs are paced as if it had.
    `clock` is wall time (shared by every worker's clock, unlike a monotonic one)."""

    def __init__(self, store: PaceStore, shop: str, job: str, kind: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.shop, self.job, self.kind, self.clock = store, shop, job, kind, clock
        self.spent = 0.0
        self.bucket: Bucket | None = None  # as the last answer reported it
        self.working = True  # False once Redis failed: the rest of the job runs unpaced

    def admit(self) -> float:
        """Seconds this job must wait before its first call (0: go now); its slot is held meanwhile."""
        estimate = self._guarded(lambda: self.store.learned(self.kind), None) or DEFAULT_JOB_COST
        now = self.clock()
        wait: float = self._guarded(lambda: self.store.change(self.shop, self.job, now,
                                                              lambda ledger: pacing.admit(ledger, estimate, now)), 0.0)
        return wait

    def observe(self, cost: Mapping[str, Any] | None, executed: bool) -> None:
        """An answer's `extensions.cost`: `executed` when the call ran (and was charged), not when throttled."""
        self.spent += _number((cost or {}).get("requestedQueryCost")) if executed else 0.0
        self.bucket = pacing.bucket_from(cost, self.clock()) or self.bucket

    def release(self, *, completed: bool) -> None:
        """The job ended: the bucket is what its last answer said, what it did not spend is free for others again,
        and a completed one teaches the estimate for its kind what it cost."""
        def ended(ledger: Ledger) -> tuple[None, Ledger]:
            return None, pacing.release(pacing.observe(ledger, self.bucket, self.spent))

        self._guarded(lambda: self.store.change(self.shop, self.job, self.clock(), ended), None)
        if completed and self.spent > 0:
            self._guarded(lambda: self.store.learn(self.kind, self.spent), None)

    def _guarded(self, step: Callable[[], T], fallback: T) -> T:
        from redis.exceptions import RedisError

        if not self.working:
            return fallback
        try:
            return step()
        except (RedisError, RuntimeError) as error:
            self.working = False
            log.warning("shopify.pacing_unavailable", extra={"shop": self.shop, "error": repr(error)})
            return fallback


def _number(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0

