"""A backlog of write-backs for the rate-limit test and bench: declined returns on the fake Shopify, their cases and
outbox actions seeded through the repositories, queued for real `assay worker` processes, and what became of them."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from support import shop_routes

from connector.shopify.write_back import RETURN_DECLINE
from jobs.actions import action_fair_key, perform_action
from jobs.queue import RedisQueue, job_id_for
from storage.db import Storage
from storage.models import Action
from storage.repositories import add_case, add_shopify_store, enqueue_action
from storage.settings import Settings

from .fakes.shopify import FakeShopify

ORDER = {"placed_at": "2026-11-20T09:00:00Z", "fulfilled_at": "2026-11-21T08:00:00Z",
         "delivered_at": "2026-11-23T10:00:00Z", "currency": "EUR",
         "lines": [{"title": "Rose quartz pendant", "unit_price": "49.00", "fulfilled_quantity": 1}]}


def add_store(storage: Storage, fake: FakeShopify, domain: str) -> int:
    """A Shopify store of Assay's whose Admin API is the fake (each shop has its own bucket there)."""
    shop_routes.route(domain, fake.origin)
    with storage.transaction() as session:
        return add_shopify_store(session, storage.cipher, domain=domain, access_token=fake.access_token).id


def seed_declines(storage: Storage, fake: FakeShopify, store_id: int, count: int, prefix: str) -> list[str]:
    """`count` requested returns on the fake, each with a case and a pending decline in the outbox; their keys."""
    keys = []
    with storage.transaction() as session:
        for number in range(count):
            order = fake.seed_order(ORDER)
            return_gid = fake.seed_return(order, [{"reason": "changed-my-mind"}])
            case, _ = add_case(session, store_id=store_id, order_id=order.gid, kind="return",
                               request_key=f"{prefix}:return:{number}", document={})
            key = f"{store_id}:{prefix}:decline:{number}"  # a store's keys start with its id, as decide_case's
            enqueue_action(session, case_id=case.id, kind=RETURN_DECLINE, idempotency_key=key,
                           payload={"return_gid": return_gid, "decline_reason": "RETURN_PERIOD_ENDED",
                                    "decline_note": "The 14-day return window has ended."})
            keys.append(key)
    return keys


def queue_actions(redis_url: str, queue_name: str, keys: Sequence[str]) -> None:
    """Queue each action's job, as planning a decision does: behind its store's slots (ASSAY_STORE_SLOTS' default)."""
    queue = RedisQueue(redis_url, queue_name, slots=Settings.store_slots)
    for key in keys:
        assert queue.enqueue(perform_action, key, job_id=job_id_for("action", key), fair_key=action_fair_key(key))


@dataclass(frozen=True)
class Outcome:
    """What became of a set of actions: how many are done or failed, how long each took from being recorded to
    being done, when each was done, and the first errors of those not done."""

    done: int
    failed: int
    latencies: list[float]
    finished: list[datetime]
    errors: list[str]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def outcome(storage: Storage, keys: Sequence[str]) -> Outcome:
    with storage.sessions() as session:
        actions = session.scalars(select(Action).where(Action.idempotency_key.in_(list(keys)))).all()
        done = [a for a in actions if a.state == "done" and a.done_at]
        return Outcome(done=len(done), failed=sum(a.state == "failed" for a in actions),
                       latencies=[(a.done_at - a.created_at).total_seconds() for a in done if a.done_at],
                       finished=[a.done_at for a in done if a.done_at],
                       errors=[f"{a.state}: {a.last_error}" for a in actions if a.state != "done"][:5])

