"""The inbox records each delivery once, even when the platform sends it twice at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from storage.db import Storage
from storage.models import Event, EventStatus
from storage.repositories import find_event, mark_event, record_event

pytestmark = pytest.mark.integration

HEADERS = {
    "X-Shopify-Topic": "orders/cancelled",
    "X-Shopify-Hmac-Sha256": "c2lnbmF0dXJl",
    "X-Shopify-Webhook-Id": "d-1",
    "Authorization": "Bearer x",
    "X-WC-Webhook-Signature": "c2ln",
}


def record(storage: Storage, delivery_id: str = "d-1", platform: str = "shopify") -> tuple[int, bool]:
    with storage.transaction() as session:
        event, created = record_event(session, platform=platform, delivery_id=delivery_id, topic="orders/cancelled",
                                      shop_domain="shop.myshopify.com", payload={"id": 1001}, headers=HEADERS)
        return event.id, created


def test_the_first_delivery_is_recorded_without_its_signature(storage: Storage) -> None:
    event_id, created = record(storage)
    assert created
    with storage.transaction() as session:
        event = find_event(session, event_id)
        assert event is not None
        assert (event.status, event.payload, event.topic) == ("received", {"id": 1001}, "orders/cancelled")
        assert event.headers == {"X-Shopify-Topic": "orders/cancelled", "X-Shopify-Webhook-Id": "d-1"}
        assert event.received_at.tzinfo is not None


def test_a_redelivery_finds_the_first_event(storage: Storage) -> None:
    first_id, _ = record(storage)
    assert record(storage) == (first_id, False)


def test_delivery_ids_are_unique_per_platform_only(storage: Storage) -> None:
    assert record(storage, platform="shopify")[1]
    assert record(storage, platform="woocommerce")[1]


def test_concurrent_duplicate_deliveries_create_exactly_one_event(storage: Storage) -> None:
    workers = 8
    start = threading.Barrier(workers)

    def deliver(_: int) -> tuple[int, bool]:
        start.wait(timeout=10)  # all threads insert at the same moment
        return record(storage, "race")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(deliver, range(workers)))
    assert sum(created for _, created in results) == 1
    assert len({event_id for event_id, _ in results}) == 1
    with storage.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1


def test_handling_an_event_records_its_outcome(storage: Storage) -> None:
    event_id, _ = record(storage)
    with storage.transaction() as session:
        mark_event(session, event_id, EventStatus.FAILED, error="x" * 5000)
    with storage.transaction() as session:
        event = session.get_one(Event, event_id)
        assert (event.status, len(event.error or "")) == ("failed", 2000)
        assert event.processed_at is not None
