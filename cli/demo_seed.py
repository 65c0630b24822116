"""The demo store `make run` opens on: Pristine Crystals' preset and sample cases of every outcome, decided by the
engine; its domain is under `.invalid`, so its writes are recorded, never sent. Seeded into an empty database only."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask import current_app
from sqlalchemy import func, select

from connector.case_opening import open_case
from jobs.cases import decide_case
from jobs.queue import queue_of
from policies.presets import preset_document
from storage.db import storage_of
from storage.models import Action, ActionState, CaseRecord, EventStatus, Store
from storage.repositories import (
    add_woocommerce_store,
    customer_export,
    date_decision,
    latest_decision,
    record_event,
    save_order_snapshot,
    save_privacy_export,
    set_policy,
)

DEMO_URL = "https://pristine-crystals.demo.invalid"
PRODUCTS = [("Crystal ring", "Ring", []), ("Drop earrings", "Earrings", []), ("Sale bracelet", "Bracelet", ["sale"]),
            ("Personalized pendant", "Necklace", ["personalized"]), ("Silver chain", "Necklace", [])]
# (kind, reason, hours after delivery or placement, shipped): a spread that lands on every outcome of the preset.
REQUESTS = [("cancel", None, 2, False), ("cancel", None, 60, False), ("cancel", None, 30, True),
            ("return", "changed_mind", 24 * 5, True), ("return", "wrong_size", 24 * 20, True),
            ("return", "changed_mind", 24 * 3, True), ("claim", "damaged_in_transit", 24 * 2, True),
            ("claim", "not_as_described", 24 * 4, True), ("claim", "defective", 24 * 30, True),
            ("claim", "wrong_item", 24, True)]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def sample_case(rng: random.Random, number: int, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """One order and one request on it, `number` making its ids; times in the past 10 weeks."""
    kind, reason, hours, shipped = REQUESTS[number % len(REQUESTS)]
    submitted = now - timedelta(hours=rng.randrange(2, 24 * 70))
    if number % len(REQUESTS) == 1:  # one review waits: recent enough that its promised reply is still ahead
        submitted = now - timedelta(hours=3)
    delivered = submitted - timedelta(hours=hours) if shipped else None
    placed = (delivered - timedelta(days=4)) if delivered else submitted - timedelta(hours=hours)
    lines = []
    for index in range(1, rng.randint(1, 3) + 1):
        title, product_type, tags = PRODUCTS[(number + index) % len(PRODUCTS)]
        price = rng.randrange(2500, 24000)
        lines.append({"id": f"L{index}", "title": title, "sku": f"PC-{number}-{index}", "quantity": 1,
                      "unit_price": f"{price / 100:.2f}", "compare_at_price": None, "discount": "0.00",
                      "product_type": product_type, "tags": tags, "gift_card": False, "properties": {},
                      "fulfilled_quantity": None})
    order = {"id": str(1000 + number), "placed_at": _iso(placed), "currency": "USD", "country": "US",
             "shipping": {"amount": "6.90", "international": False},
             "fulfilled_at": _iso(placed + timedelta(days=1)) if shipped else None,
             "delivered_at": _iso(delivered) if delivered else None, "lines": lines}
    asked = [] if kind == "cancel" else [{"line_id": lines[0]["id"], "quantity": 1, "condition": "unused"}]
    request = {"kind": kind, "submitted_at": _iso(submitted), "reason": reason, "lines": asked,
               "evidence": {"photos": rng.choice([0, 1, 2])}, "note": ""}
    return order, request


def seed_demo(cases: int) -> None:
    """Create the demo store with its sample cases, unless the database already has a store."""
    storage = storage_of(current_app)
    with storage.transaction() as session:
        if session.scalar(select(func.count()).select_from(Store)):
            click.echo("demo: the database already has a store; nothing seeded")
            return
        store = add_woocommerce_store(session, storage.cipher, url=DEMO_URL, consumer_key="ck_demo",
                                      consumer_secret="cs_demo", webhook_secret="demo")
        store.country, store.timezone, store.currency = "US", "America/New_York", "USD"
        set_policy(session, store.id, preset_document("pristine-crystals") or {})
        store_id = store.id
    rng, now = random.Random(13), datetime.now(UTC)
    case_ids = []
    samples = sorted((sample_case(rng, number, now) for number in range(cases)),
                     key=lambda sample: sample[1]["submitted_at"])  # ids follow time, as real cases' do
    for number, (order, request) in enumerate(samples):
        with storage.transaction() as session:
            store = session.get_one(Store, store_id)
            save_order_snapshot(session, store_id=store_id, order_id=order["id"], document=order,
                                customer_id=f"demo-customer-{number % 7}")
            case_id, _ = open_case(session, store, order=order, request=request, request_key=f"demo-{number}",
                                   refs={"order_id": order["id"]})
        decide_case(case_id)
        case_ids.append(case_id)
    pool = getattr(queue_of(current_app), "pool", None)
    if pool is not None:
        pool.shutdown(wait=True)  # the recorded writes finish before the data is dated back
    with storage.transaction() as session:
        _date_back(session, case_ids)
        _attention(session, store_id)
    click.echo(f"demo: store {DEMO_URL} with {cases} sample cases; its writes are recorded, never sent")


def _date_back(session: Any, case_ids: list[int]) -> None:
    """Each sample case, its decision and its write-backs dated when its request came, so the weeks fill in."""
    for case_id in case_ids:
        case = session.get_one(CaseRecord, case_id)
        at = datetime.fromisoformat(case.document["request"]["submitted_at"].replace("Z", "+00:00"))
        case.created_at = at
        decision = latest_decision(session, case_id)
        if decision is not None:
            date_decision(session, decision, at + timedelta(seconds=2))


def _attention(session: Any, store_id: int) -> None:
    """One write-back the platform refused, one event that failed, one customer's data export: each screen has one."""
    store = session.get_one(Store, store_id)
    action = session.scalars(select(Action).join(CaseRecord, CaseRecord.id == Action.case_id)
                             .where(CaseRecord.store_id == store_id).order_by(Action.id.desc())).first()
    if action is not None:
        action.state, action.last_error = ActionState.FAILED.value, "the platform answered 503: try again later"
    event, _ = record_event(session, platform=store.platform, delivery_id="demo-failed-1", topic="order.updated",
                            shop_domain=store.domain, payload={})
    event.status, event.error = EventStatus.FAILED.value, "the order's lines could not be read (demo)"
    orders = {row.order_id for row in session.scalars(select(CaseRecord).where(CaseRecord.store_id == store_id))
              if row.order_id in {"1000", "1007"}}
    document = {"customer_id": "demo-customer-0", "requested_orders": sorted(orders), **customer_export(
        session, store_id, orders)}
    save_privacy_export(session, storage_of(current_app).cipher, store_id, "demo-customer-0", document)
