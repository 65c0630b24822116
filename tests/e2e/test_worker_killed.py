"""A real `assay worker` SIGKILLed (its whole session, as when its machine dies) at each step of a return's
write-back; then a fresh worker and the clock, on the production settings, finish every action exactly once
within 60 s. Nothing here knows how the worker runs its jobs (a forked work horse or not): the test kills every
process the worker started and reads only the database and the fake shop.

The worker is stopped at a step by the fake Shopify holding a write (mid-write), or, where nothing outside the job
marks the step, by running it paused there (tests/e2e/paused_worker.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from flask import Flask
from support.own_redis import OwnRedis

from storage.db import Storage
from storage.models import Action

from .fakes.shopify import FakeShopify, Fault
from .shopify_app import ORDER, approvals_and_refunds, install, order_created, post_webhook, return_payload, run_worker
from .worker_process import (
    assay_environment,
    kill_worker,
    needs_proc,
    start_clock,
    start_paused_worker,
    start_worker,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The bound. The slowest step is a write claimed just before the kill: its lease (the job timeout, 30 s,
# plus a 10 s margin) runs out at most 40 s later, and the relay, on the clock every 5 s, hands it out then.
RECOVERY_SECONDS = 60


@dataclass(frozen=True)
class Step:
    name: str
    pause: str | None = None  # a step of tests/e2e/paused_worker.py
    fault: Fault | None = None  # or the fake Shopify holding the approval: "hang" before acting, the other after


STEPS = (
    Step("after deciding, before the action's job is queued", pause="decided"),
    Step("after taking the action's job, before claiming the action", pause="taken"),
    Step("mid-write, before Shopify acted", fault="hang"),
    Step("mid-write, after Shopify acted and before it answered", fault="hang_after_execute"),
    Step("after Shopify answered, before the action is recorded done", pause="answered"),
)


@pytest.fixture
def redis_url(own_redis: OwnRedis) -> str:
    """A Redis of the test's own: the killed workers' registrations and jobs die with it."""
    return own_redis.url


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@needs_proc
def test_a_worker_killed_at_any_step_leaves_every_action_done_once_within_a_minute(
        app: Flask, base_url: str, fake_shopify: FakeShopify, storage: Storage, storage_url: str,
        own_redis: OwnRedis, encryption_keys: str, queue_name: str, tmp_path: Path) -> None:
    install(app, fake_shopify, "pristine-crystals")
    orders = [fake_shopify.seed_order(ORDER) for _ in STEPS]
    for order in orders:
        order_created(base_url, fake_shopify, order.gid)
    run_worker(app, settle_seconds=60)  # the fake's throttle bucket spaces the order reads out
    fake_shopify.hang_seconds = 60  # a held write stays held until its worker is dead
    environment = assay_environment(storage_url, own_redis.url, encryption_keys, queue_name)
    returns = []

    # One return per step, each with a worker of its own killed there; no clock yet, so nothing is taken over.
    for number, (step, order) in enumerate(zip(STEPS, orders, strict=True)):
        marker = tmp_path / f"paused-{number}"
        if step.fault:
            fake_shopify.fail_next(1, step.fault, operation="ReturnApproveRequest")
        # A full bucket: this worker reaches its step on its own. A throttled write would be rescheduled on RQ's
        # scheduler, whose lock the killed workers still hold (up to a minute); in production the clock's relay
        # hands a due retry out within its 5 s tick, but this phase runs without a clock on purpose.
        fake_shopify.bucket.set_available(fake_shopify.bucket.maximum_available)
        worker = start_paused_worker(environment, step.pause, str(marker)) if step.pause else start_worker(environment)
        try:
            return_gid = fake_shopify.seed_return(order, [{"reason": "changed-my-mind"}])
            payload = return_payload(fake_shopify, return_gid, order.gid, "unwanted")
            assert post_webhook(base_url, fake_shopify, "returns/request", payload, f"return-{number}"
                                ).status_code == 200
            returns.append(return_gid)
            assert wait_for(partial(_reached, step, marker, fake_shopify), 30), f"the worker reached {step.name!r}"
        finally:
            kill_worker(worker)

    with storage.sessions() as session:
        states = [action.state for action in session.query(Action).order_by(Action.id)]
    assert states == ["pending", "pending", "running", "running", "running"], "each worker died where it was told"
    approved, refunded = approvals_and_refunds(fake_shopify)
    assert (approved, refunded) == ({returns[3]: 1, returns[4]: 1}, {returns[4]: 1}), "what Shopify saw before"

    available = time.monotonic()
    worker, ticking = start_worker(environment), start_clock(environment)
    try:
        finished = wait_for(lambda: _all_done(storage), RECOVERY_SECONDS + 30)
        took = time.monotonic() - available
    finally:
        kill_worker(worker)
        kill_worker(ticking)

    with storage.sessions() as session:
        left = {step.name: (a.state, a.last_error) for step, a in zip(
            STEPS, session.query(Action).order_by(Action.id), strict=True) if a.state != "done"}
    assert finished, f"left undone: {left}"
    assert took <= RECOVERY_SECONDS, f"every action done {took:.0f} s after a worker was available"
    approved, refunded = approvals_and_refunds(fake_shopify)
    assert approved == {gid: 1 for gid in returns}, "each return approved exactly once, whichever step it died at"
    assert refunded == {gid: 1 for gid in returns}, "and refunded exactly once"


def _reached(step: Step, marker: Path, fake: FakeShopify) -> bool:
    """The paused job wrote its step's marker, or the fake holds its approval (recorded before it waits)."""
    if step.pause:
        return marker.exists()
    return any(request.fault == step.fault for request in fake.requests)


def _all_done(storage: Storage) -> bool:
    with storage.sessions() as session:
        return {action.state for action in session.query(Action)} == {"done"}
