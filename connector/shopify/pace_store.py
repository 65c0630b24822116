"""Where each store's pacing ledger lives (pacing.py): in Redis, shared by every worker, or in this process when
there is no Redis; and the per-job pacer the Shopify writer asks before its first call and tells of every answer.

The Redis ledger of a store is three small keys under the queue's name (a hash: the bucket and the points
promised; a sorted set of promises by expiry; a hash of the promises), each expiring an hour after its last
write. Each change reads them, applies pacing.py's arithmetic and writes back in one MULTI, under WATCH of
the first key, so two workers never take the same slot. Pacing is help, not a gate: when Redis can't be
reached the job is simply not paced (Shopify's THROTTLED answer still reschedules it).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from connector.shopify import pacing
from connector.shopify.pacing import Bucket, Claim, Ledger

log = logging.getLogger(__name__)

T = TypeVar("T")
Change = Callable[[Ledger], tuple[T, Ledger]]

LEDGER_TTL_SECONDS = 3600
LEARNED_TTL_SECONDS = 7 * 24 * 3600
REDIS_TIMEOUT_SECONDS = 1.0
WATCH_RETRIES = 50
WATCH_BACKOFF_SECONDS = 0.002  # times the try and a random share, so racing workers fall out of step
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


class RedisPaceStore:
    """The ledger in Redis, shared by every worker of this deployment (keys under `namespace`)."""

    def __init__(self, redis: Any, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace

    def _keys(self, shop: str) -> tuple[str, str, str]:
        base = f"{self.namespace}:shopify-pace:{shop}"
        return base, f"{base}:expiry", f"{base}:claims"

    def change(self, shop: str, job: str, now: float, change: Change[T]) -> T:
        from redis.exceptions import WatchError

        main, expiry, claims = self._keys(shop)
        with self.redis.pipeline() as pipe:
            for attempt in range(WATCH_RETRIES):
                try:
                    pipe.watch(main)
                    ledger, expired = self._read(pipe, main, expiry, claims, job, now)
                    result, after = change(ledger)
                    pipe.multi()
                    self._write(pipe, (main, expiry, claims), job, after, expired)
                    pipe.execute()
                    return result
                except WatchError:
                    time.sleep(WATCH_BACKOFF_SECONDS * attempt * random.random())  # noqa: S311 - spacing, not secrecy
        raise RuntimeError(f"the pacing ledger of {shop} kept changing under {WATCH_RETRIES} tries")

    @staticmethod
    def _read(pipe: Any, main: str, expiry: str, claims: str, job: str, now: float) -> tuple[Ledger, list[str]]:
        fields = {k.decode(): float(v) for k, v in pipe.hgetall(main).items()}
        bucket = None
        if {"available", "at", "maximum", "restore_rate"} <= fields.keys():
            bucket = Bucket(fields["available"], fields["at"], fields["maximum"], fields["restore_rate"])
        expired = [key.decode() for key in pipe.zrangebyscore(expiry, "-inf", now)]
        found = pipe.hmget(claims, [job, *expired])
        own = _claim(found[0])
        gone = tuple(claim for claim in map(_claim, found[1:]) if claim is not None)
        return Ledger(bucket, fields.get("promised", 0.0), own if job not in expired else None, gone), expired

    @staticmethod
    def _write(pipe: Any, keys: tuple[str, str, str], job: str, after: Ledger, expired: list[str]) -> None:
        main, expiry, claims = keys
        values: dict[str, float] = {"promised": after.promised}
        if after.bucket is not None:
            values.update(available=after.bucket.available, at=after.bucket.at, maximum=after.bucket.maximum,
                          restore_rate=after.bucket.restore_rate)
        pipe.hset(main, mapping=values)
        gone = [key for key in expired if key != job] + ([job] if after.claim is None else [])
        if gone:
            pipe.zrem(expiry, *gone)
            pipe.hdel(claims, *gone)
        if after.claim is not None:
            claim = after.claim
            pipe.zadd(expiry, {job: claim.expires})
            pipe.hset(claims, job, f"{claim.remaining!r} {claim.slot!r} {claim.expires!r}")
        for key in keys:
            pipe.expire(key, LEDGER_TTL_SECONDS)

    def learned(self, kind: str) -> float | None:
        value = self.redis.hget(f"{self.namespace}:shopify-pace:job-cost", kind)
        return None if value is None else float(value)

    def learn(self, kind: str, spent: float) -> None:
        key = f"{self.namespace}:shopify-pace:job-cost"
        # Two workers learning at once: one of the two estimates wins, both are fair.
        self.redis.hset(key, kind, pacing.learned_cost(self.learned(kind), spent))
        self.redis.expire(key, LEARNED_TTL_SECONDS)


def _claim(raw: bytes | None) -> Claim | None:
    if raw is None:
        return None
    remaining, slot, expires = (float(part) for part in raw.split())
    return Claim(remaining, slot, expires)


_redis_stores: dict[tuple[str, str], RedisPaceStore] = {}
_redis_lock = threading.Lock()


def pace_store(config: Mapping[str, Any], extensions: dict[str, Any]) -> PaceStore | None:
    """The deployment's ledger: Redis when REDIS_URL is set, else this app's own; None when pacing is off."""
    if str(config.get("SHOPIFY_PACING", "on")).lower() in ("off", "0", "false", "no"):
        return None
    redis_url = config.get("REDIS_URL")
    if not redis_url:
        store: PaceStore = extensions.setdefault(EXTENSION, MemoryPaceStore())
        return store
    namespace = str(config.get("RQ_QUEUE") or "assay")  # the queue's name keeps two deployments apart
    with _redis_lock:
        if (redis_url, namespace) not in _redis_stores:
            from redis import Redis

            client = Redis.from_url(redis_url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                    socket_timeout=REDIS_TIMEOUT_SECONDS)
            _redis_stores[(redis_url, namespace)] = RedisPaceStore(client, namespace)
        return _redis_stores[(redis_url, namespace)]


class JobPacer:
    """One write-back job's pacing: admitted before its first call, told of every answer, released at its end.

    `clock` is wall time (shared by every worker's clock, unlike a monotonic one)."""

    def __init__(self, store: PaceStore, shop: str, job: str, kind: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.shop, self.job, self.kind, self.clock = store, shop, job, kind, clock
        self.spent = 0.0
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
        charged = _number((cost or {}).get("requestedQueryCost")) if executed else 0.0
        self.spent += charged
        bucket = pacing.bucket_from(cost, self.clock())
        self._guarded(lambda: self.store.change(
            self.shop, self.job, self.clock(), lambda ledger: (None, pacing.observe(ledger, bucket, charged))), None)

    def release(self, *, completed: bool) -> None:
        """The job ended; a completed one teaches the estimate for its kind what it cost."""
        self._guarded(lambda: self.store.change(self.shop, self.job, self.clock(),
                                                lambda ledger: (None, pacing.release(ledger))), None)
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

