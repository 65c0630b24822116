"""Several shops on a flaky Shopify, one of them hanging: real `assay worker` processes on a Redis of the test's
own, fake shops answering 30% of calls (a seeded draw) with 5xx, 429 + Retry-After or THROTTLED, and one shop
that accepts every connection and never answers.

Every other shop's returns are written exactly once, seconds after their webhook; no job waits in place more
than a second nor runs longer than a second plus Shopify's timeout (read from RQ's own start and end times); the
hanging shop's writes end `failed` after the bounded attempts, with their error, and `assay actions retry`
writes each once when the shop answers again."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry
from sqlalchemy import select
from support.own_redis import OwnRedis

from jobs.cases import decide_case
from jobs.events import process_event
from jobs.queue import Stage, stage_queue_name
from storage.db import storage_of
from storage.models import Action, CaseRecord, Event, Store

from .fakes.shopify_chaos import FlakyShopify
from .shopify_app import SECRET, install, order_created, post_webhook, return_payload, run_worker
from .worker_process import ASSAY, kill_worker, needs_proc, process_environment, start_clock, start_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FLAKY_SHOPS = 4
RETURNS_PER_SHOP = 2
FAULT_RATE = 0.3
TIMEOUT_SECONDS = 1.0
MAX_ATTEMPTS = 6
WORKERS = 3
INLINE_WAIT_SECONDS = 1.0  # connector/shopify/api.py: what a job may wait in place, in all
# Beyond a job's own work: a loaded 2-core machine running two workers, the database and this test.
MACHINE_MARGIN_SECONDS = 2.0
# Measured on this 2-core machine: 11-22 s with it to itself, 22-36 s beside other test runs (load 7); each
# write is ~6 calls with 30% of them failing, and Retry-After / THROTTLED waits past a second reschedule it.
# A sanity bound, not a benchmark: the figures are printed.
WRITTEN_WITHIN_SECONDS = 60.0
RETURN_WRITES = ("ReturnApproveRequest", "ReturnProcess")


@pytest.fixture
def redis_url(own_redis: OwnRedis) -> str:
    return own_redis.url


@pytest.fixture
def shops() -> Iterator[list[FlakyShopify]]:
    """Four flaky shops and, last, the one that will hang; each a fake of its own on its own port."""
    fakes = [FlakyShopify(f"flaky-{number}.myshopify.com", f"shpat_flaky_{number}", seed=number).start()
             for number in range(FLAKY_SHOPS)]
    fakes.append(FlakyShopify("hanging.myshopify.com", "shpat_hanging", seed=99).start())
    yield fakes
    for fake in fakes:
        fake.stop()


def recent_order() -> dict[str, Any]:
    now = datetime.now(UTC)
    at = [(now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ") for days in (6, 5, 2)]
    return {"placed_at": at[0], "fulfilled_at": at[1], "delivered_at": at[2], "country": "DE", "currency": "EUR",
            "lines": [{"title": "Rose quartz pendant", "unit_price": "49.00", "fulfilled_quantity": 1}]}


def ask_returns(base_url: str, fake: FlakyShopify, orders: list[Any]) -> list[str]:
    """Each order's customer asks now to return the necklace; the signed webhook is sent."""
    asked = []
    for number, order in enumerate(orders):
        return_gid = fake.seed_return(order, [{"reason": "changed-my-mind"}])
        payload = return_payload(fake, return_gid, order.gid, "unwanted")
        answer = post_webhook(base_url, fake, "returns/request", payload, f"{fake.shop_domain}-{number}",
                              triggered_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert answer.status_code == 200
        asked.append(return_gid)
    return asked


def writes(fake: FlakyShopify) -> Counter[tuple[str, str]]:
    """Each return write Shopify carried out, by operation and return."""
    def target(variables: dict[str, Any]) -> str:
        return str(variables.get("id") or (variables.get("input") or {}).get("returnId"))

    return Counter((r.operation_name or "", target(r.variables)) for r in fake.operations()
                   if r.operation_name in RETURN_WRITES)


def actions_of(app: Flask, domain: str) -> list[Action]:
    with storage_of(app).sessions() as session:
        query = (select(Action).join(CaseRecord, Action.case_id == CaseRecord.id)
                 .join(Store, CaseRecord.store_id == Store.id).where(Store.domain == domain))
        return list(session.scalars(query))


def wait_until(condition: Any, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


def job_runs(redis_url: str, queue_name: str) -> list[tuple[str, float]]:
    """Every job the workers ran, with how long it ran: RQ's own started_at and ended_at."""
    connection = Redis.from_url(redis_url)
    ids = []
    for stage in Stage:  # the writes have a queue of their own
        queue = Queue(stage_queue_name(queue_name, stage), connection=connection)
        ids += FinishedJobRegistry(queue=queue).get_job_ids() + FailedJobRegistry(queue=queue).get_job_ids()
    runs = []
    for job in Job.fetch_many(ids, connection=connection):
        if job is not None and job.started_at and job.ended_at:
            runs.append((job.func_name, (job.ended_at - job.started_at).total_seconds()))
    return runs


def log_lines(paths: list[Path]) -> list[dict[str, Any]]:
    lines = []
    for path in paths:
        for raw in path.read_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue  # a worker's plain line (a traceback's continuation)
    return lines


@needs_proc
def test_flaky_shops_are_written_once_in_seconds_and_the_hanging_one_fails_then_is_retried(
        app: Flask, base_url: str, shops: list[FlakyShopify], own_redis: OwnRedis, storage_url: str,
        encryption_keys: str, queue_name: str, tmp_path: Path) -> None:
    flaky, hanging = shops[:-1], shops[-1]
    placed = {}
    for fake in shops:  # every shop answering: installed, its orders snapshotted
        install(app, fake, "pristine-crystals")
        placed[fake.shop_domain] = [fake.seed_order(recent_order()) for _ in range(RETURNS_PER_SHOP)]
        for order in placed[fake.shop_domain]:
            order_created(base_url, fake, order.gid)
    run_worker(app, settle_seconds=60)

    # The hanging shop's returns are decided while it still answers; its writes wait in the queue for a worker.
    hanging_returns = ask_returns(base_url, hanging, placed[hanging.shop_domain])
    with app.app_context():
        with storage_of(app).sessions() as session:
            event_ids = [e.id for e in session.scalars(select(Event).where(Event.topic == "returns/request"))]
        for event_id in event_ids:
            process_event(event_id)
        with storage_of(app).sessions() as session:
            case_ids = [c.id for c in session.scalars(select(CaseRecord))]
        for case_id in case_ids:
            decide_case(case_id)
    assert len(actions_of(app, hanging.shop_domain)) == RETURNS_PER_SHOP

    hanging.hang()
    for fake in flaky:
        fake.fault_rate = FAULT_RATE
    environment = {"DATABASE_URL": storage_url, "REDIS_URL": own_redis.url, "ASSAY_ENCRYPTION_KEYS": encryption_keys,
                   "SHOPIFY_API_SECRET": SECRET, "RQ_QUEUE": queue_name,
                   "SHOPIFY_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS), "ASSAY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
                   "ASSAY_RETRY_BASE_SECONDS": "0.2", "ASSAY_RELAY_INTERVAL_SECONDS": "1",
                   "ASSAY_RELAY_GRACE_SECONDS": "10", "ASSAY_POLL_INTERVAL_SECONDS": "3600"}
    logs = [tmp_path / f"worker-{number}.log" for number in range(WORKERS)]
    # Production's processes (Procfile): workers and the one clock, whose relay hands out again what was lost.
    workers = [start_worker(environment, str(path)) for path in logs] + [start_clock(environment)]
    try:
        asked = {fake.shop_domain: ask_returns(base_url, fake, placed[fake.shop_domain]) for fake in flaky}
        flaky_domains = [fake.shop_domain for fake in flaky]
        assert wait_until(lambda: all(a.state == "done" for d in flaky_domains for a in actions_of(app, d))
                          and sum(len(actions_of(app, d)) for d in flaky_domains) == FLAKY_SHOPS * RETURNS_PER_SHOP,
                          90), [(a.state, a.last_error) for d in flaky_domains for a in actions_of(app, d)]
        assert wait_until(lambda: all(a.state == "failed" for a in actions_of(app, hanging.shop_domain)), 60), \
            [(a.state, a.attempts, a.last_error) for a in actions_of(app, hanging.shop_domain)]

        # Every flaky shop's returns: approved and refunded exactly once each, seconds after the webhook.
        for fake in flaky:
            expected = Counter({(operation, gid): 1 for gid in asked[fake.shop_domain] for operation in RETURN_WRITES})
            assert writes(fake) == expected, fake.shop_domain
            assert len(fake.state.refunds) == RETURNS_PER_SHOP
        faults = Counter(r.fault for fake in flaky for r in fake.requests if r.fault)
        assert set(faults) == {"5xx", "429", "throttled"}, f"each kind of fault was met: {faults}"
        with storage_of(app).sessions() as session:
            received = {e.payload["admin_graphql_api_id"]: e.received_at
                        for e in session.scalars(select(Event).where(Event.topic == "returns/request"))}
            cases = {c.id: c.document["platform"]["return_gid"] for c in session.scalars(select(CaseRecord))}
        latencies = [(a.done_at - received[cases[a.case_id]]).total_seconds()
                     for d in flaky_domains for a in actions_of(app, d) if a.done_at is not None]
        assert len(latencies) == FLAKY_SHOPS * RETURNS_PER_SHOP
        assert max(latencies) < WRITTEN_WITHIN_SECONDS, latencies
        print(f"written after the webhook: max {max(latencies):.1f} s of {sorted(latencies)}")

        # The hanging shop: each write tried MAX_ATTEMPTS times, a timeout each, then failed with its error.
        for action in actions_of(app, hanging.shop_domain):
            assert action.attempts == MAX_ATTEMPTS
            assert action.last_error and "not asked again" in action.last_error
        assert writes(hanging) == Counter()

        # No job waited in place more than a second, nor ran longer than that plus Shopify's timeout.
        runs = job_runs(own_redis.url, queue_name)
        assert len(runs) >= FLAKY_SHOPS * RETURNS_PER_SHOP * 2
        slowest = max(seconds for _, seconds in runs)
        longest = sorted(runs, key=lambda run: run[1])[-5:]
        assert slowest < INLINE_WAIT_SECONDS + TIMEOUT_SECONDS + MACHINE_MARGIN_SECONDS, longest
        print(f"jobs: {len(runs)}, slowest {slowest:.2f} s")
        waits = [float(line["delay_seconds"]) for line in log_lines(logs) if line.get("event") == "shopify.retry"]
        assert waits and max(waits) <= INLINE_WAIT_SECONDS
        print(f"inline waits: {len(waits)}, longest {max(waits):.2f} s; faults met: {dict(faults)}")

        # It answers again: `assay actions retry ID` writes each once.
        hanging.release()
        for action in actions_of(app, hanging.shop_domain):
            retried = subprocess.run([ASSAY, "actions", "retry", str(action.id)], env=process_environment(environment),
                                     capture_output=True, text=True, check=False)
            assert retried.returncode == 0, retried.stderr
        assert wait_until(lambda: all(a.state == "done" for a in actions_of(app, hanging.shop_domain)), 30), \
            [(a.state, a.last_error) for a in actions_of(app, hanging.shop_domain)]
        expected = Counter({(operation, gid): 1 for gid in hanging_returns for operation in RETURN_WRITES})
        assert writes(hanging) == expected
    finally:
        for worker in workers:
            kill_worker(worker)
